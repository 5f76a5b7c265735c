"""The card station's rules: who may ask for a card, who may receive it, the numbers a card gets,
blank number ranges, and the yearly demand for blanks (§7–11, §20, §26, §43)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from emp_edge.errors import InputError

# ---------------------------------------------------------------- who asks, who receives


class Requester(StrEnum):
    """Who asked for the card: the pupil (annex 1) or a parent, guardian or carer (annex 2)."""

    PUPIL = "pupil"
    PARENT = "parent"
    GUARDIAN = "guardian"
    CARER = "carer"

    @property
    def form(self) -> str:
        """The form the request is made on: ``pupil`` (annex 1) or ``parent`` (annex 2)."""
        return "pupil" if self is Requester.PUPIL else "parent"


class Recipient(StrEnum):
    """Who took the card and signed the journal (§43)."""

    PUPIL = "pupil"
    PARENT = "parent"
    CLASS_TEACHER = "class_teacher"


NAME_MAX: Final = 120
CONTACT_MAX: Final = 120


def person_name(text: str, *, where: str) -> str:
    """A person's name as written on a form: not empty, at most 120 characters."""
    name = " ".join(text.split())
    if not name:
        raise InputError("the name is empty", where=where)
    if len(name) > NAME_MAX:
        raise InputError("the name is longer than {limit} characters", where=where, limit=NAME_MAX)
    return name


# ---------------------------------------------------------------- the card's numbers (§26)


def card_number(school_code: str, card_id: int) -> str:
    """The number the card's barcode carries, given at personalisation: the school's code and
    the card's own number, seven digits."""
    if not school_code.isdigit() or card_id <= 0:
        raise InputError("a card number needs the school's digit code and a card number")
    return f"{school_code}{card_id:07d}"


def registration_number(year: int, sequence: int) -> str:
    """The registration number given at issue: the year and the issue's place in it."""
    if sequence <= 0:
        raise InputError("a registration sequence starts at 1")
    return f"{year}/{sequence:04d}"


# ---------------------------------------------------------------- blank numbers (§7–9)

BATCH_MAX: Final = 5000
"""The most blanks one delivery may hold; a longer range is surely a typing mistake."""
_NUMBER = re.compile(r"^([A-Za-z]*[- ]?)(\d{1,12})$")


@dataclass(frozen=True)
class BlankRange:
    """A run of blank numbers: the same prefix, digits of one width, first to last."""

    prefix: str
    first: int
    last: int
    width: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def numbers(self) -> list[str]:
        return [f"{self.prefix}{n:0{self.width}d}" for n in range(self.first, self.last + 1)]

    @property
    def first_number(self) -> str:
        return f"{self.prefix}{self.first:0{self.width}d}"

    @property
    def last_number(self) -> str:
        return f"{self.prefix}{self.last:0{self.width}d}"


def _split(number: str, where: str) -> tuple[str, str]:
    match = _NUMBER.match(number.strip())
    if match is None:
        raise InputError(
            "{number!r} is not a blank number: letters, then up to 12 digits",
            where=where,
            number=number.strip(),
        )
    return match.group(1).upper(), match.group(2)


def blank_range(first: str, last: str) -> BlankRange:
    """The range from ``first`` to ``last`` (EMP000101 … EMP000400), checked."""
    head_a, digits_a = _split(first, "first_number")
    head_b, digits_b = _split(last, "last_number")
    if head_a != head_b or len(digits_a) != len(digits_b):
        raise InputError(
            "the first and last numbers must have the same letters and as many digits",
            where="last_number",
        )
    start, end = int(digits_a), int(digits_b)
    if end < start:
        raise InputError("the last number comes before the first", where="last_number")
    if end - start + 1 > BATCH_MAX:
        raise InputError(
            "one delivery holds at most {limit} blanks", where="last_number", limit=BATCH_MAX
        )
    return BlankRange(head_a, start, end, len(digits_a))


def blank_number(text: str, *, where: str) -> str:
    """One blank number as the range parser writes it (upper case letters, same digits)."""
    head, digits = _split(text, where)
    return head + digits


# ---------------------------------------------------------------- yearly demand (§10)

DEMAND_DUE: Final = (12, 1)
"""The school's demand for next school year's blanks is due on 1 December (§10)."""


def demand_due(today: date) -> date:
    """The next 1 December on or after today."""
    due = date(today.year, *DEMAND_DUE)
    return due if today <= due else date(today.year + 1, *DEMAND_DUE)


@dataclass(frozen=True)
class BlankDemand:
    """The blanks the school asks for next school year, and where the figure comes from."""

    school_year: int  # the year next school year begins
    expiring: int  # cards ending on 31 August of that year, of pupils who stay on
    newcomers: int  # first-year pupils expected: the size of this year's entry grade
    reserve: int  # replacements and spoils: a share of all pupils
    in_stock: int  # blanks received and not used

    @property
    def needed(self) -> int:
        return self.expiring + self.newcomers + self.reserve

    @property
    def to_order(self) -> int:
        return max(0, self.needed - self.in_stock)


def reserve_for(pupils: int, percent: int) -> int:
    """The reserve for replacements and spoiled blanks: ``percent`` of the pupils, rounded up."""
    if pupils < 0 or not 0 <= percent <= 100:
        raise InputError("the reserve is a share of 0 to 100 percent of a number of pupils")
    return math.ceil(pupils * percent / 100)
