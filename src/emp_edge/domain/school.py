"""Classes (1a, 5 B, IIa, III b) and school years (1 September – 31 August)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

from emp_edge.errors import InputError

FIRST_GRADE: Final = 1
LAST_GRADE: Final = 12
ROMAN: Final[Mapping[str, int]] = MappingProxyType({"I": 9, "II": 10, "III": 11, "IV": 12})
"""Gymnasium classes I–IV are grades 9–12 (§30: "9-oje (I)", "11-oje (III)")."""

_ROMAN_NAME: Final = {grade: numeral for numeral, grade in ROMAN.items()}
_ROMAN_CHARS: Final = frozenset("IVXivx")
_DIGITS: Final = "0123456789"
_GRADES_HINT: Final = "grades are 1–12 or I–IV"


@dataclass(frozen=True)
class SchoolClass:
    """A class: grade 1–12 and a lower-case letter ("" when none); roman only changes the label."""

    grade: int
    letter: str = ""
    roman: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not FIRST_GRADE <= self.grade <= LAST_GRADE:
            raise InputError("grade {grade} does not exist: " + _GRADES_HINT, grade=self.grade)
        if self.letter and not (
            len(self.letter) == 1 and self.letter.isalpha() and self.letter == self.letter.lower()
        ):
            raise InputError(
                "class letter must be one lower-case letter, not {letter!r}", letter=self.letter
            )
        if self.roman and self.grade not in _ROMAN_NAME:
            raise InputError(
                "grade {grade} has no Roman name: only grades 9–12 are I–IV", grade=self.grade
            )

    @property
    def label(self) -> str:
        """The canonical name: 5b, or IIa when written the gymnasium way."""
        grade = _ROMAN_NAME[self.grade] if self.roman else str(self.grade)
        return grade + self.letter

    def __str__(self) -> str:
        return self.label


def parse_class(text: str) -> SchoolClass:
    """Read a class name as people write it: 1a, 5 B, 5-b, 12c, 9, IIa, III b, IV, iia."""
    name = text.strip()
    if not name:
        raise InputError("class name is empty")
    if name[0] in _DIGITS:
        head = _leading(name, lambda ch: ch in _DIGITS)
        grade, roman, glued = _arabic_grade(head), False, ""
    elif name[0] in _ROMAN_CHARS:
        head = _leading(name, lambda ch: ch in _ROMAN_CHARS)
        numeral, glued = _split_roman(head, rest=name[len(head) :])
        if numeral not in ROMAN:
            raise InputError("{numeral} is not a gymnasium class: use I–IV", numeral=numeral)
        grade, roman = ROMAN[numeral], True
    else:
        raise InputError(
            "class name must begin with its grade (1–12 or I–IV), not with {char!r}", char=name[0]
        )
    return SchoolClass(grade, glued or _letter(name[len(head) :]), roman=roman)


def school_year(on: date) -> int:
    """The year in which the school year holding this day began: 2026-08-31 is in 2025."""
    return on.year if on.month >= 9 else on.year - 1


def school_year_bounds(year: int) -> tuple[date, date]:
    """The first and last day of a school year: 1 September and the next 31 August."""
    if not date.min.year <= year < date.max.year:
        raise InputError("school year {year} is out of range", year=year)
    return date(year, 9, 1), date(year + 1, 8, 31)


def school_year_label(year: int) -> str:
    """The school year as it is written: 2026–2027."""
    return f"{year}–{year + 1}"


def _leading(text: str, wanted: Callable[[str], bool]) -> str:
    """The longest start of the text made of wanted characters."""
    end = 0
    while end < len(text) and wanted(text[end]):
        end += 1
    return text[:end]


def _arabic_grade(digits: str) -> int:
    significant = digits.lstrip("0")
    if len(significant) > 2 or not FIRST_GRADE <= int(digits) <= LAST_GRADE:
        raise InputError("grade {grade} does not exist: " + _GRADES_HINT, grade=digits)
    return int(digits)


def _split_roman(run: str, *, rest: str) -> tuple[str, str]:
    """The numeral and a letter glued to it: "IIi" is II + i and "Iv" is I + v, but "iv" is IV.

    Only when nothing follows: a lower-case i or v right after an upper-case numeral is the letter.
    """
    upper = _leading(run, str.isupper)
    tail = run[len(upper) :]
    if not rest.strip() and upper and len(tail) == 1 and tail.islower() and upper in ROMAN:
        return upper, tail
    return run.upper(), ""


def _letter(rest: str) -> str:
    """The class letter after the grade, past optional spaces or one hyphen."""
    body = rest.lstrip()
    hyphen = body.startswith("-")
    if hyphen:
        body = body[1:].lstrip()
    if not body:
        if hyphen:
            raise InputError("class letter is missing after '-'")
        return ""
    letter = body[0]
    if not letter.isalpha() or len(letter.lower()) != 1:
        raise InputError("unexpected {part!r} in class name", part=letter)
    if len(body) > 1:
        if body.isalpha():
            raise InputError("a class has one letter, not {letters!r}", letters=body)
        raise InputError("unexpected {part!r} in class name", part=body[1:].strip() or body[1:])
    return letter.lower()
