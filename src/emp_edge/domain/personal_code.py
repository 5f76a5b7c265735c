"""Asmens kodas: the Lithuanian personal code GYYMMDDNNNC.

G is the sex and century digit, YYMMDD the birth date, NNN a serial and C the check digit.
The full code is never shown: ``repr`` and ``str`` give the masked form, safe for logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

from emp_edge.errors import InputError

Sex = Literal["M", "F"]

LENGTH: Final = 11
DIGITS: Final = "0123456789"
FIRST_WEIGHTS: Final = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
SECOND_WEIGHTS: Final = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)
MIN_YEAR: Final = 1800
MAX_YEAR: Final = 2099
_SHOWN: Final = 7  # G and YYMMDD stay visible in the masked form


@dataclass(frozen=True)
class PersonalCode:
    """A checked personal code with the birth date and sex it holds. Make it with ``parse``."""

    code: str = field(repr=False)
    birth_date: date
    sex: Sex

    def __post_init__(self) -> None:
        if _decode(self.code) != (self.birth_date, self.sex):
            raise InputError(
                "personal code {masked} does not agree with the birth date and sex given",
                masked=self.masked,
            )

    @property
    def masked(self) -> str:
        """The code with its serial and check digit hidden: 5190503****."""
        return mask(self.code)

    def __repr__(self) -> str:
        return f"PersonalCode({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def parse(code: str) -> PersonalCode:
    """Check a personal code as typed in and read the birth date and sex from it."""
    text = code.strip()
    birth_date, sex = _decode(text)
    return PersonalCode(text, birth_date, sex)


def check_digit(first10: str) -> int:
    """The check digit for the first ten digits, by the official two-pass weighted sum."""
    if any(ch not in DIGITS for ch in first10):
        raise InputError("a check digit is made from digits only")
    if len(first10) != LENGTH - 1:
        raise InputError("a check digit is made from 10 digits, not {n}", n=len(first10))
    digits = [int(ch) for ch in first10]
    rest = sum(d * w for d, w in zip(digits, FIRST_WEIGHTS, strict=True)) % 11
    if rest != 10:
        return rest
    rest = sum(d * w for d, w in zip(digits, SECOND_WEIGHTS, strict=True)) % 11
    return rest if rest != 10 else 0


def build(birth_date: date, sex: Sex, serial: int) -> str:
    """Make a valid code for a birth date, sex and serial 0–999 (for demo pupils and tests)."""
    if not MIN_YEAR <= birth_date.year <= MAX_YEAR:
        raise InputError(
            "a personal code can hold birth years {low}–{high}, not {year}",
            low=MIN_YEAR,
            high=MAX_YEAR,
            year=birth_date.year,
        )
    if sex not in ("M", "F"):
        raise InputError("sex must be M or F, not {sex!r}", sex=sex)
    if not 0 <= serial <= 999:
        raise InputError("the serial must be 0–999, not {serial}", serial=serial)
    century = (birth_date.year // 100 - 18) * 2 + (1 if sex == "M" else 2)
    first10 = f"{century}{birth_date:%y%m%d}{serial:03d}"
    return f"{first10}{check_digit(first10)}"


def mask(code: str) -> str:
    """The first seven characters and four stars; anything not 11 long becomes all stars."""
    if len(code) != LENGTH:
        return "*" * len(code)
    return code[:_SHOWN] + "*" * (LENGTH - _SHOWN)


def _decode(text: str) -> tuple[date, Sex]:
    """The birth date and sex in a stripped code, or an InputError saying what is wrong."""
    if not text:
        raise InputError("personal code is empty")
    for position, ch in enumerate(text, start=1):
        if ch not in DIGITS:
            raise InputError(
                "personal code must hold only digits: {char!r} at position {position} is not one",
                char=ch,
                position=position,
            )
    if len(text) != LENGTH:
        raise InputError("personal code must have 11 digits, it has {n}", n=len(text))
    first = int(text[0])
    if not 1 <= first <= 6:
        raise InputError(
            "personal code cannot start with {digit}: the first digit must be 1–6 "
            "(sex and century of birth)",
            digit=first,
        )
    year = MIN_YEAR + (first - 1) // 2 * 100 + int(text[1:3])
    month, day = int(text[3:5]), int(text[5:7])
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise InputError(
            "personal code holds no such birth date {date}",
            date=f"{year:04d}-{text[3:5]}-{text[5:7]}",
        ) from None
    expected, found = check_digit(text[:10]), int(text[10])
    if expected != found:
        raise InputError(
            "personal code check digit is wrong: expected {expected}, found {found}",
            expected=expected,
            found=found,
        )
    sex: Sex = "M" if first % 2 else "F"
    return birth_date, sex
