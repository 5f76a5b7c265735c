"""The clubs' (NVŠ) rules: enrolment and its contract, departure, weekly sessions, attendance marks
and whether a month is fundable from the basket.

Pure: dates, times and counts in, a verdict or an InputError out (SPEC §4.5, the registry's NVŠ
screens). The store keeps the rows; these functions say what may be written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Final, TypeVar

from emp_edge.domain.school import school_year_bounds
from emp_edge.errors import InputError

#: contracts are recorded only for arrivals from this day on (registration step 2 of 3)
CONTRACTS_FROM: Final = date(2012, 9, 1)
#: the registry's contract types ("Dvišalės mokymo sutartys" …)
CONTRACT_TYPES: Final = ("bilateral", "trilateral")
CONTRACT_NUMBER_MAX: Final = 40
#: why a pupil leaves a group (išvykimo priežastis)
DEPARTURE_REASONS: Final = ("contract_ended", "own_wish", "moved", "health", "finished", "other")
ORDER_NUMBER_MAX: Final = 40
#: "NVŠ finansavimo pobūdis": one, several or all
FUNDING_KINDS: Final = ("basket", "municipal", "state", "other")
BASKET: Final = "basket"
MAX_ACADEMIC_HOURS: Final = 8


@dataclass(frozen=True)
class Contract:
    """The learning contract of an enrolment; all empty for an arrival before 2012-09-01."""

    type: str = ""
    signed_on: date | None = None
    number: str = ""

    @property
    def empty(self) -> bool:
        return not self.type and self.signed_on is None and not self.number.strip()


def check_first_day(first_day: date, school_year: int, left_on: date | None = None) -> None:
    """The first day lies in the group's school year and not after the pupil's departure."""
    begins, ends = school_year_bounds(school_year)
    if first_day < begins:
        raise InputError(
            "the first day {day} is before the school year begins ({begins})",
            day=first_day.isoformat(),
            begins=begins.isoformat(),
        )
    if first_day > ends:
        raise InputError(
            "the first day {day} is after the school year ends ({ends})",
            day=first_day.isoformat(),
            ends=ends.isoformat(),
        )
    if left_on is not None and first_day > left_on:
        raise InputError(
            "the first day {day} is after the pupil's departure on {left}",
            day=first_day.isoformat(),
            left=left_on.isoformat(),
        )


def check_contract(first_day: date, contract: Contract) -> None:
    """From 2012-09-01 an arrival needs its contract's type, date and number; before, none."""
    if contract.type and contract.type not in CONTRACT_TYPES:
        raise InputError("{type!r} is not a contract type", type=contract.type)
    if len(contract.number.strip()) > CONTRACT_NUMBER_MAX:
        raise InputError("the contract number is longer than {max} characters", max=40)
    if first_day < CONTRACTS_FROM:
        return
    if not contract.type:
        raise InputError("the contract type is required for arrivals from 2012-09-01")
    if contract.signed_on is None:
        raise InputError("the contract date is required for arrivals from 2012-09-01")
    if not contract.number.strip():
        raise InputError("the contract number is required for arrivals from 2012-09-01")


def check_departure(first_day: date, left_on: date, reason: str, order_number: str = "") -> None:
    """The departure date is not before the first day; the reason is one of the list."""
    if left_on < first_day:
        raise InputError(
            "the departure date {left} is before the first day {day}",
            left=left_on.isoformat(),
            day=first_day.isoformat(),
        )
    if reason not in DEPARTURE_REASONS:
        raise InputError("choose the reason for leaving from the list")
    if len(order_number.strip()) > ORDER_NUMBER_MAX:
        raise InputError("the order number is longer than {max} characters", max=40)


def enrolled_on(first_day: date, left_on: date | None, day: date) -> bool:
    """In the group's lists on ``day``: from the first day until the day before departure."""
    return first_day <= day and (left_on is None or day < left_on)


def periods_overlap(
    first_day: date, left_on: date | None, other_first: date, other_left: date | None
) -> bool:
    """Two enrolments of one pupil in one group would both hold some day."""
    ends_before_other = left_on is not None and left_on <= other_first
    other_ends_before = other_left is not None and other_left <= first_day
    return not (ends_before_other or other_ends_before)


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Slot:
    """A weekly session of a group: ISO weekday (1 Monday), school-time start and end, hours."""

    weekday: int
    starts: time
    ends: time
    academic_hours: int


def check_slot(slot: Slot) -> None:
    if not 1 <= slot.weekday <= 7:
        raise InputError("choose the day of the week")
    if slot.starts >= slot.ends:
        raise InputError(
            "a session ends after it starts: {starts}–{ends}",
            starts=slot.starts.strftime("%H:%M"),
            ends=slot.ends.strftime("%H:%M"),
        )
    if not 1 <= slot.academic_hours <= MAX_ACADEMIC_HOURS:
        raise InputError("a session lasts 1 to {max} academic hours", max=MAX_ACADEMIC_HOURS)


Moment = TypeVar("Moment", time, datetime)


def times_overlap(starts: Moment, ends: Moment, other_starts: Moment, other_ends: Moment) -> bool:
    """Two spans share a moment (touching ends do not)."""
    return starts < other_ends and other_starts < ends


def check_slot_fits(slot: Slot, others: list[Slot]) -> None:
    """A group never meets twice at once: refuse a slot overlapping one it already has."""
    check_slot(slot)
    for other in others:
        if other.weekday == slot.weekday and times_overlap(
            slot.starts, slot.ends, other.starts, other.ends
        ):
            raise InputError(
                "the group already meets on that day {starts}–{ends}",
                starts=other.starts.strftime("%H:%M"),
                ends=other.ends.strftime("%H:%M"),
            )


#: an academic hour, in minutes (a session's hours must fit between its start and end)
ACADEMIC_HOUR_MINUTES: Final = 45


def check_slot_length(slot: Slot) -> None:
    """The slot's academic hours fit in it: two hours need at least 90 minutes."""
    minutes = (slot.ends.hour * 60 + slot.ends.minute) - (
        slot.starts.hour * 60 + slot.starts.minute
    )
    if slot.academic_hours * ACADEMIC_HOUR_MINUTES > minutes:
        raise InputError(
            "{hours} academic hours of 45 minutes do not fit in {starts}–{ends}",
            hours=slot.academic_hours,
            starts=slot.starts.strftime("%H:%M"),
            ends=slot.ends.strftime("%H:%M"),
        )


#: a KTPRR programme code: digits only, this many
KTPRR_DIGITS: Final = (6, 12)


def check_ktprr_code(text: str) -> str:
    """A programme's KTPRR code as typed (spaces allowed between digits), digits only."""
    code = "".join(text.split())
    shortest, longest = KTPRR_DIGITS
    if not (code.isascii() and code.isdigit() and shortest <= len(code) <= longest):
        raise InputError(
            "a KTPRR code is {shortest} to {longest} digits, not {code!r}",
            shortest=shortest,
            longest=longest,
            code=text.strip()[:40],
        )
    return code


def check_session_fits(
    starts: datetime, ends: datetime, others: list[tuple[datetime, datetime]]
) -> None:
    """A session of a group may not overlap another session of the same group."""
    if starts >= ends:
        raise InputError("a session ends after it starts")
    for other_starts, other_ends in others:
        if times_overlap(starts, ends, other_starts, other_ends):
            raise InputError(
                "the group already has a session from {starts} to {ends}",
                starts=other_starts.strftime("%Y-%m-%d %H:%M"),
                ends=other_ends.strftime("%H:%M"),
            )


# ---------------------------------------------------------------- attendance


class Mark(StrEnum):
    """What a tap (or the leader's hand) does to a session's list."""

    PRESENT = "present"  # marked present now
    ALREADY = "already"  # was already marked: nothing changes
    NOT_IN_GROUP = "not_in_group"  # recorded as such, never counted


def mark_for(enrolled: bool, already_marked: bool) -> Mark:
    if not enrolled:
        return Mark.NOT_IN_GROUP
    return Mark.ALREADY if already_marked else Mark.PRESENT


# ---------------------------------------------------------------- the basket's month


@dataclass(frozen=True)
class FundingRule:
    """The municipality's rule for a fundable month: at least ``min_hours`` academic hours
    attended (Vilnius: 4), and at least ``min_sessions`` sessions attended (0: no such rule)."""

    min_hours: int = 4
    min_sessions: int = 0

    def fundable(self, hours: int, sessions: int) -> bool:
        """A month with no attendance is never fundable, whatever the thresholds."""
        return hours > 0 and hours >= self.min_hours and sessions >= self.min_sessions
