"""What goes on the card station's documents: the request forms (annexes 1 and 2), the handover
act (§35), the issue journal (annex 4), the notice to parents (annex 5) and the destruction act
(annex 6).

The fields hold names, numbers, dates and CODES (Requester, Recipient, ReplacementReason and
CardState values); the documents write the Lithuanian words for the codes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RequestForm:
    """A request for a card, pre-filled: ``form`` is ``pupil`` (annex 1) or ``parent`` (annex 2);
    ``requester_relation`` a Requester value; ``replacement_reason`` a ReplacementReason value,
    None for a first card."""

    form: str
    school_name: str
    pupil_name: str
    class_label: str
    birth_date: date
    requester_name: str
    requester_relation: str
    requester_contact: str
    replacement_reason: str | None
    requested_on: date
    card_id: int


@dataclass(frozen=True)
class ActCard:
    """One card (or spoiled blank) in an act; ``state`` is a CardState value, ``blank`` for a
    spoiled blank with no card, or empty where the act does not say why."""

    blank_number: str
    card_number: str
    pupil_name: str
    class_label: str
    state: str = ""


@dataclass(frozen=True)
class HandoverAct:
    """Personalised cards handed to the school (§35)."""

    act_id: int
    made_on: date
    school_name: str
    handed_by: str
    received_by: str
    cards: tuple[ActCard, ...]


@dataclass(frozen=True)
class JournalRow:
    """A line of the issue journal; ``received_role`` is a Recipient value."""

    registration_number: str
    issued_on: date
    pupil_name: str
    class_label: str
    card_number: str
    blank_number: str
    valid_until: date
    received_by: str
    received_role: str


@dataclass(frozen=True)
class Journal:
    """The issue journal (annex 4) for a period, e.g. ``2026 m.``."""

    school_name: str
    title_period: str
    rows: tuple[JournalRow, ...]


@dataclass(frozen=True)
class ParentsNotice:
    """The notice to parents of a new card and its payment (annex 5); ``replacement_reason`` is a
    ReplacementReason value, ``account`` may be empty (a line to fill by hand), ``blank_number``
    empty when not known yet."""

    school_name: str
    pupil_name: str
    class_label: str
    replacement_reason: str
    fee_cents: int
    account: str
    blank_number: str
    made_on: date


@dataclass(frozen=True)
class DestructionAct:
    """Cards and blanks destroyed by the commission (§44, §47); the first of ``commission`` is
    its chair, the others its members."""

    act_id: int
    made_on: date
    school_name: str
    commission: tuple[str, ...]
    cards: tuple[ActCard, ...]
