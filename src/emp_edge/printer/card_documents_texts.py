"""The Lithuanian words of the card station's documents (§15: the school's official forms are in
Lithuanian, whatever language the pages are shown in).

The mappings turn the codes the store keeps (Requester, Recipient, ReplacementReason and
CardState values) into the words printed on the forms. Pages may reuse them for these PDFs only;
they translate their own words with gettext. An unknown code is an InputError, not a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Final

from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import CardState, ReplacementReason
from emp_edge.domain.money import format_eur
from emp_edge.errors import InputError
from emp_edge.printer.card_documents_data import ParentsNotice

BLANK: Final = "blank"
"""The ``state`` of a spoiled blank that never became a card."""

REQUESTER_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        Requester.PUPIL: "mokinys",
        Requester.PARENT: "tėvai",
        Requester.GUARDIAN: "globėjas",
        Requester.CARER: "rūpintojas",
    }
)
"""Who asked for the card, as the request form names them."""

RECIPIENT_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        Recipient.PUPIL: "mokinys",
        Recipient.PARENT: "tėvai (globėjai)",
        Recipient.CLASS_TEACHER: "klasės vadovas",
    }
)
"""Who took the card and signed the journal (§43)."""

REASON_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        ReplacementReason.SCHOOL_CHANGE: "pakeista mokykla",
        ReplacementReason.NAME_CHANGE: "pakeistas vardas ar pavardė",
        ReplacementReason.DAMAGED: "sugadintas",
        ReplacementReason.LOST: "pamestas ar kitaip prarastas",
        ReplacementReason.INACCURATE_ENTRIES: "netikslūs įrašai",
        ReplacementReason.CHIP_FAILURE: "neveikia lustas",
        ReplacementReason.DEFECTIVE: "brokuota kortelė",
        ReplacementReason.SPOILED_IN_PRINTING: "sugadintas spausdinant",
    }
)
"""Why a card is replaced (§37, §39)."""

STATE_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        CardState.REQUESTED: "užsakytas",
        CardState.PERSONALISED: "neišduotas (personalizuotas)",
        CardState.ISSUED: "išduotas",
        CardState.RETURNED: "grąžintas",
        CardState.REPLACED: "pakeistas",
        CardState.EXPIRED: "nebegaliojantis",
        CardState.SPOILED: "sugadintas",
        CardState.DESTROYED: "sunaikintas",
        CardState.CANCELLED: "atšauktas",
    }
)
"""Where a card is in its life, as a form says it."""

DESTRUCTION_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        CardState.RETURNED: STATE_WORDS[CardState.RETURNED],
        CardState.SPOILED: STATE_WORDS[CardState.SPOILED],
        CardState.PERSONALISED: STATE_WORDS[CardState.PERSONALISED],
        CardState.REPLACED: STATE_WORDS[CardState.REPLACED],
        CardState.EXPIRED: STATE_WORDS[CardState.EXPIRED],
        BLANK: "sugadintas blankas",
    }
)
"""Why a card or blank is in the destruction act: only these may be destroyed (§44, §47)."""

FIRST_CARD: Final = "pirmasis pažymėjimas"
REQUEST_TITLE: Final = "Prašymas dėl mokinio pažymėjimo išdavimo"
HANDOVER_TITLE: Final = "EMP perdavimo–priėmimo aktas"
JOURNAL_TITLE: Final = "Elektroninių mokinio pažymėjimų išdavimo žurnalas"
NOTICE_TITLE: Final = "Pranešimas dėl pakartotinio EMP išdavimo ir apmokėjimo"
DESTRUCTION_TITLE: Final = "Elektroninių mokinio pažymėjimų (EMP) sunaikinimo aktas"
PROCEDURE: Final = "Elektroninio mokinio pažymėjimo išdavimo, apskaitos ir naudojimo tvarkos aprašo"


def requester_word(code: str) -> str:
    """The requester's relation to the pupil: mokinys, tėvai, globėjas, rūpintojas."""
    if code not in REQUESTER_WORDS:
        raise InputError("unknown requester {code!r}", where="card document", code=code)
    return REQUESTER_WORDS[code]


def recipient_word(code: str) -> str:
    """Who received the card: mokinys, tėvai (globėjai), klasės vadovas."""
    if code not in RECIPIENT_WORDS:
        raise InputError("unknown recipient {code!r}", where="card document", code=code)
    return RECIPIENT_WORDS[code]


def reason_word(code: str) -> str:
    """Why the card is replaced, in the form's words."""
    if code not in REASON_WORDS:
        raise InputError("unknown replacement reason {code!r}", where="card document", code=code)
    return REASON_WORDS[code]


def destruction_word(code: str) -> str:
    """Why a card or blank is destroyed; a card in any other state cannot be in the act."""
    if code not in DESTRUCTION_WORDS:
        raise InputError(
            "a card in state {code!r} cannot be in a destruction act",
            where="card document",
            code=code,
        )
    return DESTRUCTION_WORDS[code]


def day_text(day: date) -> str:
    """A date as the forms write it: 2026-10-05."""
    return day.isoformat()


def eur_text(cents: int) -> str:
    """An amount as the forms write it: 6,00 Eur, 1 234,50 Eur."""
    return format_eur(cents).removesuffix("€").rstrip() + " Eur"


def payment_purpose(notice: ParentsNotice) -> str:
    """The payment's purpose as §40.3 asks: the child's name and surname, the class and the EMP
    blank's number when it is known, e.g. ``Žydrūnė Čepulionytė, 5b kl., EMP blanko Nr. 000123``."""
    name = " ".join(notice.pupil_name.split())
    if not name:
        raise InputError("the pupil's name is empty", where="payment purpose")
    parts = [name]
    class_label = " ".join(notice.class_label.split())
    if class_label:
        parts.append(f"{class_label} kl.")
    blank = notice.blank_number.strip()
    if blank:
        parts.append(f"EMP blanko Nr. {blank}")
    return ", ".join(parts)
