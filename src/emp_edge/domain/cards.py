"""The EMP card: validity, states, the terminal's verdict, replacement fees, the request clock
and the "Kiti įrašai" entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from emp_edge.errors import InputError, TransitionError

from .school import school_year

# ---------------------------------------------------------------- validity (§30–31)

VALIDITY_YEARS: Final[Mapping[int, int]] = MappingProxyType(
    {1: 4, 5: 4, 2: 3, 6: 3, 3: 2, 7: 2, 9: 2, 11: 2, 4: 1, 8: 1, 10: 1, 12: 1}
)
"""School years a card is valid for, by the grade the pupil is in when it is made (§30)."""


def valid_until(grade: int, issued_on: date) -> date:
    """The last day a card is valid: 31 August at the end of its last school year (§31)."""
    years = VALIDITY_YEARS.get(grade)
    if years is None:
        raise InputError("grade {grade} does not exist: grades are 1–12", grade=grade)
    end_year = school_year(issued_on) + years
    if end_year > date.max.year:
        raise InputError(
            "a card made on {day} would be valid past the calendar", day=issued_on.isoformat()
        )
    return date(end_year, 8, 31)


# ---------------------------------------------------------------- states (§20–47)


class CardState(StrEnum):
    """Where a card is in its life."""

    REQUESTED = "requested"  # a request from the pupil or a parent is recorded (§20)
    PERSONALISED = "personalised"  # printed and bound to the pupil (§25–28)
    ISSUED = "issued"  # handed over against a signature in the journal (§43)
    RETURNED = "returned"  # given back by a pupil who left before expiry (§44)
    REPLACED = "replaced"  # a new card is asked for; this one is blocked (§37)
    EXPIRED = "expired"  # past its validity; need not be returned (§45)
    SPOILED = "spoiled"  # spoiled in printing (§39, §47)
    DESTROYED = "destroyed"  # destroyed by the commission with an act (§44, §47)
    CANCELLED = "cancelled"  # the request was withdrawn before personalisation


CARD_MOVES: Final[Mapping[CardState, frozenset[CardState]]] = MappingProxyType(
    {
        CardState.REQUESTED: frozenset({CardState.PERSONALISED, CardState.CANCELLED}),
        CardState.PERSONALISED: frozenset(
            {CardState.ISSUED, CardState.SPOILED, CardState.DESTROYED}
        ),
        CardState.ISSUED: frozenset({CardState.RETURNED, CardState.REPLACED, CardState.EXPIRED}),
        CardState.RETURNED: frozenset({CardState.DESTROYED}),
        CardState.SPOILED: frozenset({CardState.DESTROYED}),
        CardState.REPLACED: frozenset({CardState.DESTROYED}),
        CardState.EXPIRED: frozenset({CardState.DESTROYED}),
        CardState.DESTROYED: frozenset(),
        CardState.CANCELLED: frozenset(),
    }
)
"""The only moves a card can make; every other one is refused."""


def allowed_moves(state: CardState) -> frozenset[CardState]:
    """The states a card in this state can move to (none when it is final)."""
    return CARD_MOVES[state]


def move(current: CardState, target: CardState) -> CardState:
    """The new state, or a TransitionError saying why the card cannot get there."""
    allowed = CARD_MOVES[current]
    if target in allowed:
        return target
    if not allowed:
        raise TransitionError(
            "a card cannot move from {current} to {target}: {current} is final",
            current=current.value,
            target=target.value,
        )
    raise TransitionError(
        "a card cannot move from {current} to {target}: from {current} it can go only to {allowed}",
        current=current.value,
        target=target.value,
        allowed=", ".join(state.value for state in CardState if state in allowed),
    )


# ---------------------------------------------------------------- terminal (§45)


class CardVerdict(StrEnum):
    """What a terminal answers to a tap: ok, or why the card is refused."""

    OK = "ok"
    NOT_ISSUED = "not_issued"  # requested, personalised or spoiled: never handed to the pupil
    NO_VALIDITY = "no_validity"  # issued, but no validity date is on record
    EXPIRED = "expired"
    RETURNED = "returned"
    REPLACED = "replaced"
    DESTROYED = "destroyed"
    CANCELLED = "cancelled"


_REFUSED: Final[Mapping[CardState, CardVerdict]] = MappingProxyType(
    {
        CardState.REQUESTED: CardVerdict.NOT_ISSUED,
        CardState.PERSONALISED: CardVerdict.NOT_ISSUED,
        CardState.SPOILED: CardVerdict.NOT_ISSUED,
        CardState.RETURNED: CardVerdict.RETURNED,
        CardState.REPLACED: CardVerdict.REPLACED,
        CardState.EXPIRED: CardVerdict.EXPIRED,
        CardState.DESTROYED: CardVerdict.DESTROYED,
        CardState.CANCELLED: CardVerdict.CANCELLED,
    }
)


def verdict_at_terminal(state: CardState, valid_until: date | None, today: date) -> CardVerdict:
    """Only an issued card on or before its last valid day is ok; past it, it is expired (§45)."""
    if state is not CardState.ISSUED:
        return _REFUSED[state]
    if valid_until is None:
        return CardVerdict.NO_VALIDITY
    return CardVerdict.OK if today <= valid_until else CardVerdict.EXPIRED


# ---------------------------------------------------------------- replacement (§37–40)


class ReplacementReason(StrEnum):
    """Why a card is replaced by a new one (§37, §39)."""

    SCHOOL_CHANGE = "school_change"  # changed school within the municipality
    NAME_CHANGE = "name_change"  # changed name or surname
    DAMAGED = "damaged"  # damaged, unusable
    LOST = "lost"  # lost or otherwise missing
    INACCURATE_ENTRIES = "inaccurate_entries"
    CHIP_FAILURE = "chip_failure"  # the chip does not work at the readers
    DEFECTIVE = "defective"  # the card came out of the factory faulty
    SPOILED_IN_PRINTING = "spoiled_in_printing"


PAID_REASONS: Final = frozenset(
    {
        ReplacementReason.SCHOOL_CHANGE,
        ReplacementReason.NAME_CHANGE,
        ReplacementReason.DAMAGED,
        ReplacementReason.LOST,
    }
)
"""The pupil or the parents pay for a new card before the old one expires (§38)."""

FREE_REASONS: Final = frozenset(ReplacementReason) - PAID_REASONS
"""The new card is free (§39)."""

DEFAULT_REPLACEMENT_FEE_CENTS: Final = 600
"""6,00 Eur: the blank and its personalisation (§38, §40.3)."""


def replacement_fee(
    reason: ReplacementReason,
    *,
    old_valid_until: date,
    on: date,
    fee_cents: int = DEFAULT_REPLACEMENT_FEE_CENTS,
) -> int:
    """The set fee for a paid reason on or before the old card's last day; otherwise 0."""
    if fee_cents < 0:
        raise InputError("the replacement fee cannot be negative: {fee} cents", fee=fee_cents)
    if reason in PAID_REASONS and on <= old_valid_until:
        return fee_cents
    return 0


def needs_parent_notice(reason: ReplacementReason) -> bool:
    """Whether the parents get the written notice of the new card and its payment (annex 5)."""
    return reason in PAID_REASONS


# ---------------------------------------------------------------- request clock (§42)

REQUEST_DAYS: Final = 21
"""A card is issued within 21 calendar days of the request (§42)."""


class RequestStatus(StrEnum):
    """How a request stands against the 21-day limit."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def request_due_date(requested_on: date) -> date:
    """The last day the card may be issued: 21 calendar days after the request."""
    try:
        return requested_on + timedelta(days=REQUEST_DAYS)
    except OverflowError:
        raise InputError(
            "request date {day} is out of range", day=requested_on.isoformat()
        ) from None


def request_status(requested_on: date, today: date, *, warn_days: int = 5) -> RequestStatus:
    """Overdue after the due date; due soon when at most warn_days are left."""
    if warn_days < 0:
        raise InputError("warn_days cannot be negative: {days}", days=warn_days)
    days_left = (request_due_date(requested_on) - today).days
    if days_left < 0:
        return RequestStatus.OVERDUE
    if days_left <= warn_days:
        return RequestStatus.DUE_SOON
    return RequestStatus.ON_TIME


# ---------------------------------------------------------------- "Kiti įrašai" (§17–18)


class OtherEntryKind(StrEnum):
    """What may be written under "Kiti įrašai" on the back of the card (§17)."""

    PROGRAMME = "programme"  # the education programme the pupil follows (§17.1)
    LEARNING_FORM = "learning_form"  # form of learning and how it is organised (§17.2)
    TRANSPORT_ROUTE = "transport_route"  # public transport, from stop to stop (§17.3)
    RESIDENCE_MARK = "residence_mark"  # dormitory, children's home or NVŠ school (§17.4)
    SAFETY_NOTE = "safety_note"  # other note for the child's safety or rights (§17.5)


@dataclass(frozen=True)
class OtherEntry:
    """One "Kiti įrašai" entry, with the number of the director's order naming the pupil (§18)."""

    kind: OtherEntryKind
    text: str
    director_order: str

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise InputError("the {kind} entry is empty", kind=self.kind.value)
        if not self.director_order.strip():
            raise InputError(
                "the {kind} entry needs the number of the director's order naming the pupil",
                kind=self.kind.value,
            )


def other_entry(kind: OtherEntryKind | str, text: str, director_order: str) -> OtherEntry:
    """A checked "Kiti įrašai" entry, with surrounding spaces taken off."""
    try:
        entry_kind = OtherEntryKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in OtherEntryKind)
        raise InputError(
            "there is no entry kind {kind!r}: use one of {known}", kind=kind, known=known
        ) from None
    return OtherEntry(entry_kind, text.strip(), director_order.strip())
