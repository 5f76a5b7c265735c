"""The card station's PDF documents, in Lithuanian as the school's procedure sets them (§15):

- ``request_form_pdf`` — the request for a card by the pupil (annex 1) or a parent (annex 2);
- ``handover_act_pdf`` — the act handing personalised cards to the school (§35);
- ``journal_pdf`` — the issue journal signed on receipt (annex 4);
- ``parents_notice_pdf`` and ``payment_purpose`` — the notice of a new card and its payment
  (annex 5, §40.3);
- ``destruction_act_pdf`` — the commission's destruction act (annex 6).

Each takes a frozen dataclass of names, numbers, dates and codes and returns the PDF's bytes. An
unknown code is an InputError; fpdf2's errors and a missing font are PrinterError.
"""

from __future__ import annotations

from emp_edge.printer.card_acts_pdf import destruction_act_pdf, handover_act_pdf, journal_pdf
from emp_edge.printer.card_documents_data import (
    ActCard,
    DestructionAct,
    HandoverAct,
    Journal,
    JournalRow,
    ParentsNotice,
    RequestForm,
)
from emp_edge.printer.card_documents_texts import payment_purpose
from emp_edge.printer.card_forms_pdf import parents_notice_pdf, request_form_pdf

__all__ = [
    "ActCard",
    "DestructionAct",
    "HandoverAct",
    "Journal",
    "JournalRow",
    "ParentsNotice",
    "RequestForm",
    "destruction_act_pdf",
    "handover_act_pdf",
    "journal_pdf",
    "parents_notice_pdf",
    "payment_purpose",
    "request_form_pdf",
]
