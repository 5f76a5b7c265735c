"""The station's registers and acts: the handover act for personalised cards handed to the
school (§35), the issue journal signed on receipt (annex 4, §43, §49) and the commission's
destruction act (annex 6, §44, §47). Each table runs over as many pages as it needs, its head row
repeated, with page numbers at the foot.
"""

from __future__ import annotations

from typing import Final

from emp_edge.errors import InputError
from emp_edge.printer.card_documents_data import ActCard, DestructionAct, HandoverAct, Journal
from emp_edge.printer.card_documents_page import (
    annex_note,
    centred,
    drawing,
    field,
    finish,
    new_document,
    paragraph,
    signature,
    table,
    title,
)
from emp_edge.printer.card_documents_texts import (
    DESTRUCTION_TITLE,
    HANDOVER_TITLE,
    JOURNAL_TITLE,
    day_text,
    destruction_word,
    recipient_word,
)

HANDOVER_HEADS: Final = ("Eil. Nr.", "Blanko Nr.", "Pažymėjimo Nr.", "Mokinio vardas, pavardė",
                         "Klasė")  # fmt: skip
HANDOVER_WIDTHS: Final = (14.0, 32.0, 38.0, 76.0, 20.0)
HANDOVER_ALIGNS: Final = ("RIGHT", "LEFT", "LEFT", "LEFT", "CENTER")

JOURNAL_HEADS: Final = ("Eil. Nr.", "Registracijos Nr.", "Išdavimo data", "Mokinio vardas, pavardė",
                        "Klasė", "Pažymėjimo Nr.", "Blanko Nr.", "Galioja iki", "Atsiėmė",
                        "Parašas")  # fmt: skip
JOURNAL_WIDTHS: Final = (11.0, 24.0, 20.0, 48.0, 13.0, 33.0, 24.0, 20.0, 48.0, 26.0)
JOURNAL_ALIGNS: Final = ("RIGHT", "LEFT", "CENTER", "LEFT", "CENTER", "LEFT", "LEFT", "CENTER",
                         "LEFT", "LEFT")  # fmt: skip

DESTRUCTION_HEADS: Final = ("Eil. Nr.", "Blanko Nr.", "Pažymėjimo Nr.", "Mokinio vardas, pavardė",
                            "Klasė", "Priežastis")  # fmt: skip
DESTRUCTION_WIDTHS: Final = (11.0, 24.0, 36.0, 50.0, 14.0, 45.0)
DESTRUCTION_ALIGNS: Final = ("RIGHT", "LEFT", "LEFT", "LEFT", "CENTER", "LEFT")


def _names(people: tuple[str, ...] | list[str], *, where: str) -> list[str]:
    names = [" ".join(name.split()) for name in people]
    if not names or not all(names):
        raise InputError("every person signing the act needs a name", where=where)
    return names


def _some_cards(cards: tuple[ActCard, ...], *, where: str) -> None:
    if not cards:
        raise InputError("an act needs at least one card", where=where)


def handover_act_pdf(act: HandoverAct) -> bytes:
    """The act by which personalised cards are handed to the school and received (§35)."""
    _some_cards(act.cards, where="handover act")
    handed_by, received_by = _names([act.handed_by, act.received_by], where="handover act")
    rows = [
        (f"{n}.", card.blank_number, card.card_number, card.pupil_name, card.class_label)
        for n, card in enumerate(act.cards, start=1)
    ]
    with drawing():
        pdf = new_document(f"{HANDOVER_TITLE} Nr. {act.act_id}", numbered=True)
        centred(pdf, act.school_name, size=11, bold=True, gap=6)
        title(pdf, ("EMP perdavimo–priėmimo aktas",))
        centred(pdf, f"{day_text(act.made_on)} Nr. {act.act_id}", gap=6)
        field(pdf, "Perdavė", handed_by)
        field(pdf, "Priėmė", received_by)
        pdf.ln(3)
        paragraph(
            pdf,
            "Perduodami ir priimami šie personalizuoti elektroniniai mokinio pažymėjimai "
            "(EMP) (Aprašo 35 p.):",
        )
        table(pdf, HANDOVER_HEADS, HANDOVER_WIDTHS, HANDOVER_ALIGNS, rows)
        paragraph(pdf, f"Iš viso perduota: {len(rows)} vnt.", bold=True, gap=6)
        signature(pdf, "Perdavė", handed_by)
        pdf.ln(4)
        signature(pdf, "Priėmė", received_by)
        return finish(pdf)


def journal_pdf(journal: Journal) -> bytes:
    """The issue journal (annex 4) in A4 landscape, with an empty column for the signatures."""
    rows = [
        (
            f"{n}.",
            row.registration_number,
            day_text(row.issued_on),
            row.pupil_name,
            row.class_label,
            row.card_number,
            row.blank_number,
            day_text(row.valid_until),
            f"{row.received_by}\n{recipient_word(row.received_role)}",
            "",
        )
        for n, row in enumerate(journal.rows, start=1)
    ]
    with drawing():
        pdf = new_document(
            f"{JOURNAL_TITLE}, {journal.title_period}", landscape=True, numbered=True
        )
        annex_note(pdf, 4)
        centred(pdf, journal.school_name, size=11, bold=True, gap=3)
        title(pdf, (JOURNAL_TITLE,))
        centred(pdf, journal.title_period, gap=4)
        table(pdf, JOURNAL_HEADS, JOURNAL_WIDTHS, JOURNAL_ALIGNS, rows, size=8)
        if not rows:
            paragraph(pdf, "Įrašų nėra.")
        return finish(pdf)


def destruction_act_pdf(act: DestructionAct) -> bytes:
    """The commission's act destroying returned, spoiled, replaced, expired or never-issued cards
    and spoiled blanks (annex 6); the first name of the commission is its chair."""
    _some_cards(act.cards, where="destruction act")
    chair, *members = _names(act.commission, where="destruction act")
    rows = [
        (f"{n}.", card.blank_number, card.card_number, card.pupil_name, card.class_label,
         destruction_word(card.state))
        for n, card in enumerate(act.cards, start=1)
    ]  # fmt: skip
    with drawing():
        pdf = new_document(f"{DESTRUCTION_TITLE} Nr. {act.act_id}", numbered=True)
        annex_note(pdf, 6)
        centred(pdf, act.school_name, size=11, bold=True, gap=6)
        title(pdf, ("Elektroninių mokinio pažymėjimų (EMP)", "sunaikinimo aktas"))
        centred(pdf, f"{day_text(act.made_on)} Nr. {act.act_id}", gap=6)
        paragraph(pdf, "Mokyklos vadovo sudaryta komisija:", gap=1)
        field(pdf, "Komisijos pirmininkas (-ė)", chair)
        field(pdf, "Komisijos nariai", ", ".join(members))
        pdf.ln(3)
        paragraph(
            pdf,
            "Komisija sunaikino šiuos elektroninius mokinio pažymėjimus (EMP) ir sugadintus EMP "
            "blankus (Aprašo 44, 46 ir 47 p.):",
        )
        table(pdf, DESTRUCTION_HEADS, DESTRUCTION_WIDTHS, DESTRUCTION_ALIGNS, rows)
        paragraph(pdf, f"Iš viso sunaikinta: {len(rows)} vnt.", bold=True, gap=2)
        paragraph(
            pdf,
            "Pažymėjimai ir blankai sunaikinti taip, kad juose esanti informacija nebūtų "
            "atpažįstama (Aprašo 47 p.).",
            gap=6,
        )
        paragraph(pdf, "Komisijos parašai:", gap=0)
        signature(pdf, "Pirmininkas (-ė)", chair)
        for member in members:
            pdf.ln(2)
            signature(pdf, "Narys (-ė)", member)
        return finish(pdf)
