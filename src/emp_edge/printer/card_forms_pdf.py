"""The forms a pupil's family reads and signs: the request for a card written by the pupil
(annex 1) or by a parent, guardian or carer (annex 2), and the notice to parents of a new card and
its payment (annex 5, §38, §40.3).
"""

from __future__ import annotations

from emp_edge.domain.card_station import Requester
from emp_edge.domain.cards import REQUEST_DAYS, request_due_date
from emp_edge.errors import InputError
from emp_edge.printer.card_documents_data import ParentsNotice, RequestForm
from emp_edge.printer.card_documents_page import (
    annex_note,
    centred,
    drawing,
    field,
    finish,
    new_document,
    paragraph,
    signature,
    title,
)
from emp_edge.printer.card_documents_texts import (
    FIRST_CARD,
    NOTICE_TITLE,
    REQUEST_TITLE,
    day_text,
    eur_text,
    payment_purpose,
    reason_word,
    requester_word,
)

PUPIL_FORM = "pupil"
PARENT_FORM = "parent"


def _checked_request(form: RequestForm) -> tuple[str, str]:
    """The relation's and the reason's words; a form that does not fit its requester is refused."""
    relation = requester_word(form.requester_relation)
    if form.form == PUPIL_FORM:
        if form.requester_relation != Requester.PUPIL:
            raise InputError(
                "the pupil's form (annex 1) is written by the pupil, not by {relation!r}",
                where="request form",
                relation=form.requester_relation,
            )
    elif form.form == PARENT_FORM:
        if form.requester_relation == Requester.PUPIL:
            raise InputError(
                "the parents' form (annex 2) is written by a parent, guardian or carer",
                where="request form",
            )
    else:
        raise InputError("unknown request form {form!r}", where="request form", form=form.form)
    if not " ".join(form.pupil_name.split()):
        raise InputError("the pupil's name is empty", where="request form")
    reason = (
        FIRST_CARD
        if form.replacement_reason is None
        else f"pažymėjimo keitimas – {reason_word(form.replacement_reason)}"
    )
    return relation, reason


def request_form_pdf(form: RequestForm) -> bytes:
    """The request for a card, pre-filled, as a one-page PDF (annex 1 or 2)."""
    relation, reason = _checked_request(form)
    due = request_due_date(form.requested_on)
    by_pupil = form.form == PUPIL_FORM
    with drawing():
        pdf = new_document(f"{REQUEST_TITLE} – {form.pupil_name}")
        annex_note(pdf, 1 if by_pupil else 2)
        centred(pdf, form.school_name, size=11, bold=True)
        centred(pdf, "Direktoriui", gap=8)
        title(pdf, ("Prašymas", "dėl mokinio pažymėjimo išdavimo"))
        centred(pdf, f"{day_text(form.requested_on)} Nr. {form.card_id}")
        centred(pdf, "(data, prašymo Nr.)", size=7, gap=6)
        if by_pupil:
            paragraph(pdf, "Prašau išduoti man elektroninį mokinio pažymėjimą (EMP).", gap=4)
        else:
            paragraph(
                pdf,
                "Prašau išduoti mano vaikui (globotiniui, rūpintiniui) elektroninį mokinio "
                "pažymėjimą (EMP).",
                gap=4,
            )
        paragraph(pdf, "Mokinio duomenys", bold=True, gap=1)
        field(pdf, "Vardas, pavardė", form.pupil_name)
        field(pdf, "Gimimo data", day_text(form.birth_date))
        field(pdf, "Klasė", form.class_label)
        pdf.ln(3)
        if by_pupil:
            paragraph(pdf, "Mokinio kontaktai", bold=True, gap=1)
        else:
            paragraph(pdf, "Prašymą pateikė", bold=True, gap=1)
            field(pdf, "Vardas, pavardė", form.requester_name)
            field(pdf, "Ryšys su mokiniu", relation)
        field(pdf, "Telefonas, el. paštas", form.requester_contact)
        pdf.ln(3)
        field(pdf, "Prašymo priežastis", reason)
        pdf.ln(4)
        paragraph(
            pdf,
            f"Pažymėjimas išduodamas per {REQUEST_DAYS} kalendorinę dieną po kreipimosi "
            f"(Aprašo 42 p.) – iki {day_text(due)}.",
        )
        paragraph(
            pdf,
            "Pateikti asmens duomenys naudojami tik EMP gamybai ir nesaugomi ilgiau, nei "
            "trunka gamyba (Aprašo 24 p.).",
            gap=6,
        )
        signature(pdf, "Prašymą pateikė", form.requester_name)
        pdf.ln(8)
        signature(pdf, "Prašymą priėmė", "", name_caption="pareigos, vardas, pavardė")
        return finish(pdf)


def parents_notice_pdf(notice: ParentsNotice) -> bytes:
    """The written notice to parents of a new card: why, how much and where to pay (annex 5)."""
    reason = reason_word(notice.replacement_reason)
    if notice.fee_cents < 0:
        raise InputError(
            "the replacement fee cannot be negative: {fee} cents",
            where="parents notice",
            fee=notice.fee_cents,
        )
    purpose = payment_purpose(notice)
    with drawing():
        pdf = new_document(f"{NOTICE_TITLE} – {notice.pupil_name}")
        annex_note(pdf, 5)
        centred(pdf, notice.school_name, size=11, bold=True, gap=8)
        title(pdf, ("Pranešimas", "dėl pakartotinio EMP išdavimo ir apmokėjimo"))
        centred(pdf, day_text(notice.made_on), gap=8)
        paragraph(pdf, "Mokinio tėvams (globėjams, rūpintojams)", gap=4)
        paragraph(
            pdf,
            "Informuojame, kad Jūsų vaikui pakartotinai išduodamas elektroninis mokinio "
            "pažymėjimas (EMP).",
            gap=3,
        )
        field(pdf, "Mokinio vardas, pavardė", notice.pupil_name)
        field(pdf, "Klasė", notice.class_label)
        field(pdf, "Priežastis", reason)
        pdf.ln(4)
        if notice.fee_cents == 0:
            paragraph(pdf, "Pažymėjimas išduodamas nemokamai (Aprašo 39 p.).", gap=6)
        else:
            fee = eur_text(notice.fee_cents)
            paragraph(
                pdf,
                "Už naujai pagamintą EMP sumokamas blanko ir personalizavimo mokestis – "
                f"{fee} (Aprašo 38 ir 40.3 p.). Pinigus prašome pervesti į mokyklos "
                "sąskaitą, mokėjimo paskirtyje nurodant vaiko vardą, pavardę, klasę ir EMP "
                "blanko numerį (jei jis žinomas).",
                gap=3,
            )
            field(pdf, "Gavėjas", notice.school_name)
            field(pdf, "Sąskaitos Nr.", notice.account.strip())
            field(pdf, "Suma", fee)
            field(pdf, "Mokėjimo paskirtis", purpose)
            pdf.ln(4)
        paragraph(
            pdf,
            "Naujas EMP išduodamas per 21 kalendorinę dieną po kreipimosi (Aprašo 42 p.).",
            gap=6,
        )
        signature(pdf, "Pranešimą parengė", "", name_caption="pareigos, vardas, pavardė")
        pdf.ln(8)
        signature(
            pdf,
            "Susipažinau",
            "",
            name_caption="tėvų (globėjų, rūpintojų) vardas, pavardė, data",
        )
        return finish(pdf)
