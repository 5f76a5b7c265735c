"""The card station's PDF documents read back with pypdf: the request forms (annexes 1, 2), the
handover act (§35), the issue journal (annex 4), the notice to parents (annex 5) and the
destruction act (annex 6). Each is Lithuanian text in DejaVu Sans, names with every Lithuanian
letter, the codes written as the school's words; bad codes are InputError, a missing or broken
font PrinterError."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import CARD_MOVES, CardState, ReplacementReason
from emp_edge.errors import InputError, PrinterError
from emp_edge.printer import card_documents_page, fonts
from emp_edge.printer.card_documents import (
    ActCard,
    DestructionAct,
    HandoverAct,
    Journal,
    JournalRow,
    ParentsNotice,
    RequestForm,
    destruction_act_pdf,
    handover_act_pdf,
    journal_pdf,
    parents_notice_pdf,
    payment_purpose,
    request_form_pdf,
)
from emp_edge.printer.card_documents_texts import (
    DESTRUCTION_WORDS,
    REASON_WORDS,
    RECIPIENT_WORDS,
    REQUESTER_WORDS,
    STATE_WORDS,
)

SCHOOL = "Raseinių Šaltinio progimnazija"
PUPIL = "Žydrūnė Čepulionytė"
PARENT = "Šarūnas Ąžuolas"
TEACHER = "Ęglė Įvairienė"


def pages(content: bytes) -> list[str]:
    """Each page's text with its white space made single spaces."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text(content: bytes) -> str:
    return " ".join(pages(content))


def request(**changes: object) -> RequestForm:
    form = RequestForm(
        form="parent",
        school_name=SCHOOL,
        pupil_name=PUPIL,
        class_label="5b",
        birth_date=date(2015, 2, 28),
        requester_name=PARENT,
        requester_relation="parent",
        requester_contact="+370 612 34567, sarunas@pastas.lt",
        replacement_reason=None,
        requested_on=date(2026, 10, 5),
        card_id=417,
    )
    return replace(form, **changes)  # type: ignore[arg-type]


def notice(**changes: object) -> ParentsNotice:
    made = ParentsNotice(
        school_name=SCHOOL,
        pupil_name=PUPIL,
        class_label="5b",
        replacement_reason="lost",
        fee_cents=600,
        account="LT444010041400060051",
        blank_number="000123",
        made_on=date(2026, 10, 5),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


CARDS = (
    ActCard("000101", "1904512300000017", PUPIL, "5b", "returned"),
    ActCard("000102", "1904512300000018", PARENT, "8a", "personalised"),
    ActCard("000103", "", "", "", "blank"),
)


def handover(cards: tuple[ActCard, ...] = CARDS[:2]) -> HandoverAct:
    return HandoverAct(3, date(2026, 10, 5), SCHOOL, "Jonas Jonaitis", "Ona Šimkūnienė", cards)


def destruction(**changes: object) -> DestructionAct:
    act = DestructionAct(
        act_id=9,
        made_on=date(2026, 11, 2),
        school_name=SCHOOL,
        commission=("Ona Šimkūnienė", "Petras Žukauskas", "Rūta Ėmužienė"),
        cards=CARDS,
    )
    return replace(act, **changes)  # type: ignore[arg-type]


def journal_row(n: int, role: str = "pupil", name: str = "") -> JournalRow:
    return JournalRow(
        registration_number=f"2026/{n:04d}",
        issued_on=date(2026, 10, 6),
        pupil_name=name or f"Mokinys Nr. {n:03d} Šiaurys",
        class_label="5b",
        card_number=f"190451230{n:07d}",
        blank_number=f"{n:06d}",
        valid_until=date(2030, 8, 31),
        received_by=TEACHER,
        received_role=role,
    )


# ---------------------------------------------------------------- request forms (annexes 1, 2)


def test_the_pupils_request_form_is_annex_1_written_by_the_pupil() -> None:
    content = request_form_pdf(
        request(form="pupil", requester_name=PUPIL, requester_relation="pupil")
    )
    assert len(pages(content)) == 1
    body = text(content)
    for expected in (
        "1 priedas",
        SCHOOL,
        "PRAŠYMAS DĖL MOKINIO PAŽYMĖJIMO IŠDAVIMO",
        "2026-10-05 Nr. 417",
        "Prašau išduoti man elektroninį mokinio pažymėjimą (EMP).",
        f"Vardas, pavardė {PUPIL}",
        "Gimimo data 2015-02-28",
        "Klasė 5b",
        "+370 612 34567, sarunas@pastas.lt",
        "Prašymo priežastis pirmasis pažymėjimas",
        "iki 2026-10-26",  # 21 calendar days (§42)
        f"Prašymą pateikė {PUPIL} (parašas) (vardas, pavardė)",
    ):
        assert expected in body, expected
    assert "2 priedas" not in body
    assert "mano vaikui" not in body


@pytest.mark.parametrize(
    ("relation", "word"), [("parent", "tėvai"), ("guardian", "globėjas"), ("carer", "rūpintojas")]
)
def test_the_parents_request_form_is_annex_2_with_the_relation(relation: str, word: str) -> None:
    content = request_form_pdf(request(requester_relation=relation, replacement_reason="lost"))
    assert len(pages(content)) == 1
    body = text(content)
    for expected in (
        "2 priedas",
        "Prašau išduoti mano vaikui",
        f"Vardas, pavardė {PUPIL}",
        f"Vardas, pavardė {PARENT}",
        f"Ryšys su mokiniu {word}",
        "pažymėjimo keitimas – pamestas ar kitaip prarastas",
        "iki 2026-10-26",
        f"Prašymą pateikė {PARENT}",
    ):
        assert expected in body, expected
    assert "pirmasis pažymėjimas" not in body


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("school_change", "pakeista mokykla"),
        ("name_change", "pakeistas vardas ar pavardė"),
        ("damaged", "sugadintas"),
        ("lost", "pamestas ar kitaip prarastas"),
        ("inaccurate_entries", "netikslūs įrašai"),
        ("chip_failure", "neveikia lustas"),
        ("defective", "brokuota kortelė"),
        ("spoiled_in_printing", "sugadintas spausdinant"),
    ],
)
def test_each_replacement_reason_is_written_in_lithuanian(reason: str, words: str) -> None:
    assert f"pažymėjimo keitimas – {words}" in text(
        request_form_pdf(request(replacement_reason=reason))
    )
    assert f"Priežastis {words}" in text(parents_notice_pdf(notice(replacement_reason=reason)))


@pytest.mark.parametrize(
    "changes",
    [
        {"form": "teacher"},
        {"form": "pupil", "requester_relation": "parent"},
        {"form": "parent", "requester_relation": "pupil"},
        {"requester_relation": "uncle"},
        {"replacement_reason": "stolen_by_dragon"},
        {"pupil_name": "   "},
    ],
)
def test_a_request_form_that_does_not_fit_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InputError):  # an InputError, never a KeyError from a mapping
        request_form_pdf(request(**changes))


# ---------------------------------------------------------------- handover act (§35)


def test_the_handover_act_lists_the_cards_with_the_count_and_two_signatures() -> None:
    content = handover_act_pdf(handover())
    assert len(pages(content)) == 1
    body = text(content)
    for expected in (
        SCHOOL,
        "EMP PERDAVIMO–PRIĖMIMO AKTAS",
        "2026-10-05 Nr. 3",
        "Eil. Nr. Blanko Nr. Pažymėjimo Nr. Mokinio vardas, pavardė Klasė",
        f"1. 000101 1904512300000017 {PUPIL} 5b",
        f"2. 000102 1904512300000018 {PARENT} 8a",
        "Iš viso perduota: 2 vnt.",
        "Perdavė Jonas Jonaitis (parašas) (vardas, pavardė)",
        "Priėmė Ona Šimkūnienė (parašas) (vardas, pavardė)",
        "Puslapis 1 iš 1",
    ):
        assert expected in body, expected


def test_a_long_handover_act_runs_over_pages_and_counts_every_card() -> None:
    many = tuple(ActCard(f"{n:06d}", f"190451230{n:07d}", f"Mokinė Nr. {n:03d} Ūsaitė", "1a")
                 for n in range(1, 81))  # fmt: skip
    seen = pages(handover_act_pdf(handover(many)))
    assert len(seen) > 1
    assert all("Pažymėjimo Nr." in page for page in seen)
    assert "80. 000080 1904512300000080 Mokinė Nr. 080 Ūsaitė 1a" in " ".join(seen)
    assert "Iš viso perduota: 80 vnt." in seen[-1]


def test_an_act_with_no_cards_or_no_names_is_refused() -> None:
    with pytest.raises(InputError, match="at least one card"):
        handover_act_pdf(handover(()))
    with pytest.raises(InputError, match="needs a name"):
        handover_act_pdf(replace(handover(), received_by=" "))


# ---------------------------------------------------------------- journal (annex 4)


def test_the_journal_is_landscape_with_who_received_each_card() -> None:
    rows = (
        journal_row(1, "pupil", PUPIL),
        journal_row(2, "parent", PARENT),
        journal_row(3, "class_teacher"),
    )
    content = journal_pdf(Journal(SCHOOL, "2026 m.", rows))
    reader = PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    assert len(reader.pages) == 1
    body = text(content)
    for expected in (
        "4 priedas",
        "ELEKTRONINIŲ MOKINIO PAŽYMĖJIMŲ IŠDAVIMO ŽURNALAS",
        "2026 m.",
        "Mokinio vardas, pavardė",
        "Galioja iki Atsiėmė Parašas",
        f"1. 2026/0001 2026-10-06 {PUPIL} 5b 1904512300000001 000001 2030-08-31 {TEACHER} mokinys",
        f"2. 2026/0002 2026-10-06 {PARENT} 5b",
        f"{TEACHER} tėvai (globėjai)",
        f"{TEACHER} klasės vadovas",
        "Puslapis 1 iš 1",
    ):
        assert expected in body, expected


def test_a_journal_of_120_cards_spans_pages_with_the_heads_on_each() -> None:
    content = journal_pdf(
        Journal(SCHOOL, "2026–2027 m. m.", tuple(map(journal_row, range(1, 121))))
    )
    seen = pages(content)
    assert len(seen) > 2
    for number, page in enumerate(seen, start=1):
        assert "Registracijos Nr." in page, number
        assert "Pažymėjimo Nr. Blanko Nr. Galioja iki Atsiėmė Parašas" in page, number
        assert f"Puslapis {number} iš {len(seen)}" in page
    body = " ".join(seen)
    for n in (1, 60, 120):
        assert f"{n}. 2026/{n:04d} 2026-10-06 Mokinys Nr. {n:03d} Šiaurys" in body


def test_an_empty_journal_says_so() -> None:
    content = journal_pdf(Journal(SCHOOL, "2026 m.", ()))
    assert len(pages(content)) == 1
    assert "Įrašų nėra." in text(content)


def test_an_unknown_recipient_in_the_journal_is_refused() -> None:
    with pytest.raises(InputError, match="unknown recipient 'neighbour'"):
        journal_pdf(Journal(SCHOOL, "2026 m.", (journal_row(1, "neighbour"),)))


# ---------------------------------------------------------------- notice to parents (annex 5)


def test_the_notice_to_parents_names_the_fee_the_account_and_the_payment_purpose() -> None:
    made = notice()
    assert payment_purpose(made) == f"{PUPIL}, 5b kl., EMP blanko Nr. 000123"
    content = parents_notice_pdf(made)
    assert len(pages(content)) == 1
    body = text(content)
    for expected in (
        "5 priedas",
        "PRANEŠIMAS DĖL PAKARTOTINIO EMP IŠDAVIMO IR APMOKĖJIMO",
        "2026-10-05",
        f"Mokinio vardas, pavardė {PUPIL}",
        "Priežastis pamestas ar kitaip prarastas",
        "personalizavimo mokestis – 6,00 Eur",
        "Sąskaitos Nr. LT444010041400060051",
        "Suma 6,00 Eur",
        f"Mokėjimo paskirtis {payment_purpose(made)}",
    ):
        assert expected in body, expected


def test_without_a_blank_number_or_an_account_the_lines_are_left_to_fill() -> None:
    made = notice(blank_number="", account="", fee_cents=123450)
    assert payment_purpose(made) == f"{PUPIL}, 5b kl."
    body = text(parents_notice_pdf(made))
    assert "Sąskaitos Nr. Suma 1 234,50 Eur" in body  # the account's line is empty
    assert f"Mokėjimo paskirtis {PUPIL}, 5b kl." in body
    assert "blanko Nr." not in body.split("Mokėjimo paskirtis")[-1]


def test_a_free_replacement_asks_for_no_money() -> None:
    body = text(parents_notice_pdf(notice(replacement_reason="chip_failure", fee_cents=0)))
    assert "nemokamai" in body
    assert "Eur" not in body
    assert "Mokėjimo paskirtis" not in body


@pytest.mark.parametrize(
    "changes", [{"replacement_reason": "forgot"}, {"fee_cents": -600}, {"pupil_name": ""}]
)
def test_a_notice_with_bad_data_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InputError):
        parents_notice_pdf(notice(**changes))


# ---------------------------------------------------------------- destruction act (annex 6)


def test_the_destruction_act_names_the_commission_the_cards_and_why() -> None:
    content = destruction_act_pdf(destruction())
    assert len(pages(content)) == 1
    body = text(content)
    for expected in (
        "6 priedas",
        "ELEKTRONINIŲ MOKINIO PAŽYMĖJIMŲ (EMP) SUNAIKINIMO AKTAS",
        "2026-11-02 Nr. 9",
        "Komisijos pirmininkas (-ė) Ona Šimkūnienė",
        "Komisijos nariai Petras Žukauskas, Rūta Ėmužienė",
        f"1. 000101 1904512300000017 {PUPIL} 5b grąžintas",
        f"2. 000102 1904512300000018 {PARENT} 8a neišduotas (personalizuotas)",
        "3. 000103 sugadintas blankas",  # a spoiled blank: no card, no pupil
        "Iš viso sunaikinta: 3 vnt.",
        "sunaikinti taip, kad juose esanti informacija nebūtų atpažįstama",
        "Pirmininkas (-ė) Ona Šimkūnienė (parašas)",
        "Narys (-ė) Petras Žukauskas (parašas)",
        "Narys (-ė) Rūta Ėmužienė (parašas)",
    ):
        assert expected in body, expected


@pytest.mark.parametrize(
    ("state", "word"),
    [
        ("returned", "grąžintas"),
        ("spoiled", "sugadintas"),
        ("personalised", "neišduotas (personalizuotas)"),
        ("replaced", "pakeistas"),
        ("expired", "nebegaliojantis"),
    ],
)
def test_each_reason_for_destruction_is_written_in_lithuanian(state: str, word: str) -> None:
    card = ActCard("000555", "1904512300000555", PUPIL, "7c", state)
    body = text(destruction_act_pdf(destruction(cards=(card,))))
    assert f"1. 000555 1904512300000555 {PUPIL} 7c {word}" in body


@pytest.mark.parametrize("state", ["issued", "requested", "cancelled", "", "lost"])
def test_a_card_that_cannot_be_destroyed_is_refused(state: str) -> None:
    card = ActCard("000555", "1904512300000555", PUPIL, "7c", state)
    with pytest.raises(InputError, match="cannot be in a destruction act"):
        destruction_act_pdf(destruction(cards=(card,)))


def test_a_destruction_act_needs_its_commission() -> None:
    with pytest.raises(InputError, match="needs a name"):
        destruction_act_pdf(destruction(commission=()))
    with pytest.raises(InputError, match="needs a name"):
        destruction_act_pdf(destruction(commission=("Ona Šimkūnienė", "")))


# ---------------------------------------------------------------- the words and the fonts


def test_every_code_has_its_lithuanian_word() -> None:
    assert set(REQUESTER_WORDS) == set(Requester)
    assert set(RECIPIENT_WORDS) == set(Recipient)
    assert set(REASON_WORDS) == set(ReplacementReason)
    assert set(STATE_WORDS) == set(CardState)
    destroyable = {state for state in CardState if CardState.DESTROYED in CARD_MOVES[state]}
    assert set(DESTRUCTION_WORDS) == destroyable | {"blank"}


DOCUMENTS: dict[str, Callable[[], bytes]] = {
    "request": lambda: request_form_pdf(request()),
    "handover": lambda: handover_act_pdf(handover()),
    "journal": lambda: journal_pdf(Journal(SCHOOL, "2026 m.", (journal_row(1),))),
    "notice": lambda: parents_notice_pdf(notice()),
    "destruction": lambda: destruction_act_pdf(destruction()),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_embeds_dejavu_sans_and_has_its_title(name: str) -> None:
    reader = PdfReader(io.BytesIO(DOCUMENTS[name]()))
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for entry in resources["/Font"].values():
            font: Any = entry.get_object()
            assert "DejaVuSans" in str(font["/BaseFont"])
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert reader.metadata is not None
    assert reader.metadata.title


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A system where the DejaVu fonts are not where they are looked for."""
    monkeypatch.setattr(fonts, "FONT_FOLDERS", (str(tmp_path),))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    fonts.font_file.cache_clear()
    yield tmp_path
    fonts.font_file.cache_clear()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_missing_font_is_a_printer_error(no_fonts: Path, name: str) -> None:
    with pytest.raises(PrinterError, match="install fonts-dejavu-core"):
        DOCUMENTS[name]()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_broken_font_is_a_printer_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    broken = tmp_path / "DejaVuSans.ttf"
    broken.write_bytes(b"not a font at all")
    monkeypatch.setattr(card_documents_page, "font_file", lambda _name: broken)
    with pytest.raises(PrinterError, match="the PDF could not be made"):
        DOCUMENTS[name]()
