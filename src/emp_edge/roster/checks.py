"""Checking each row of a class list: personal code, birth date, class, names, duplicates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from emp_edge.domain import personal_code
from emp_edge.domain.school import SchoolClass, parse_class
from emp_edge.errors import InputError
from emp_edge.roster.columns import LABELS, Column, Layout
from emp_edge.roster.files import Cell, Row

_EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?$")
_SEX = {
    # Lithuanian: V = vyras (male), M = moteris (female)
    False: {"v": "M", "vyras": "M", "vyr": "M", "m": "F", "moteris": "F", "mot": "F"},
    # English headers: M = male, F = female
    True: {"m": "M", "male": "M", "f": "F", "female": "F"},
}


@dataclass(frozen=True)
class CheckedPupil:
    line: int
    code: personal_code.PersonalCode
    first_name: str
    last_name: str
    school_class: SchoolClass


@dataclass(frozen=True)
class RowError:
    """A bad row: its line and each problem found in it.

    Each problem is an ``InputError``: an English template with its parameters, so a page can
    translate it, and a ``where`` naming the column when the message is about one (shown as
    "Klasė: ..."). ``reason`` is the English text the command prints.
    """

    line: int
    problems: tuple[InputError, ...]

    @property
    def reason(self) -> str:
        return "; ".join(problem.message for problem in self.problems)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


def _code_text(cell: Cell) -> str:
    return _text(cell).replace(" ", "")


def _birth_date(cell: Cell) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 1 <= cell < 100_000:
            return _EXCEL_EPOCH + timedelta(days=int(cell))
        raise InputError("{value} is not a date", value=cell)
    text = _text(cell)
    match = _DATE.match(text)
    if not match:
        raise InputError("{value!r} is not a date: write it as yyyy-mm-dd", value=text)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as err:
        raise InputError("no such date {value!r}", value=text) from err


def _name(cell: Cell, column: Column) -> str:
    text = _text(cell)
    if not text:
        raise InputError("{column} is empty", column=LABELS[column])
    if not any(ch.isalpha() for ch in text) or any(ch.isdigit() for ch in text):
        raise InputError("{column} {value!r} is not a name", column=LABELS[column], value=text)
    return text


def _in_column(err: InputError, column: Column) -> InputError:
    """The same problem, said of a column: "Klasė: class name is empty"."""
    return InputError(err.template, where=LABELS[column], **err.params)


def check_row(row: Row, layout: Layout) -> CheckedPupil | RowError:
    """The row as a pupil, or every problem it has."""

    def cell(column: Column) -> Cell:
        index = layout.positions.get(column)
        if index is None or index >= len(row.cells):
            return None
        return row.cells[index]

    problems: list[InputError] = []
    names: list[str] = []
    for column in (Column.FIRST_NAME, Column.LAST_NAME):
        try:
            names.append(_name(cell(column), column))
        except InputError as err:
            problems.append(err)
    code: personal_code.PersonalCode | None = None
    raw_code = _code_text(cell(Column.PERSONAL_CODE))
    if not raw_code:
        problems.append(InputError("{column} is empty", column=LABELS[Column.PERSONAL_CODE]))
    else:
        try:
            code = personal_code.parse(raw_code)
        except InputError as err:
            problems.append(_in_column(err, Column.PERSONAL_CODE))
    if (
        code is not None
        and Column.BIRTH_DATE in layout.positions
        and _text(cell(Column.BIRTH_DATE))
    ):
        try:
            born = _birth_date(cell(Column.BIRTH_DATE))
            if born != code.birth_date:
                problems.append(
                    InputError(
                        "{column} {born} does not agree with the personal code ({expected})",
                        column=LABELS[Column.BIRTH_DATE],
                        born=born.isoformat(),
                        expected=code.birth_date.isoformat(),
                    )
                )
        except InputError as err:
            problems.append(_in_column(err, Column.BIRTH_DATE))
    if code is not None and Column.SEX in layout.positions and _text(cell(Column.SEX)):
        given = _text(cell(Column.SEX))
        sex = _SEX[layout.english].get(given.lower())
        if sex is None and layout.english:
            problems.append(
                InputError(
                    "{column} {value!r} is not M or F", column=LABELS[Column.SEX], value=given
                )
            )
        elif sex is None:
            problems.append(
                InputError(
                    "{column} {value!r} is not V or M", column=LABELS[Column.SEX], value=given
                )
            )
        elif sex != code.sex:
            problems.append(
                InputError(
                    "{column} {value!r} does not agree with the personal code",
                    column=LABELS[Column.SEX],
                    value=given,
                )
            )
    school_class: SchoolClass | None = None
    raw_class = _text(cell(Column.CLASS))
    try:
        school_class = parse_class(raw_class)
    except InputError as err:
        problems.append(_in_column(err, Column.CLASS))
    if problems or code is None or school_class is None:
        return RowError(row.line, tuple(problems))
    return CheckedPupil(row.line, code, names[0], names[1], school_class)


def check_rows(rows: list[Row], layout: Layout) -> tuple[list[CheckedPupil], list[RowError]]:
    """Every row after the header, checked; a personal code seen twice is wrong the second time."""
    good: list[CheckedPupil] = []
    bad: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.line <= layout.header_line:
            continue
        result = check_row(row, layout)
        if isinstance(result, RowError):
            bad.append(result)
            continue
        seen = first_line.setdefault(result.code.code, row.line)
        if seen != row.line:
            duplicate = InputError(
                "{column} {masked} is already on line {line}",
                column=LABELS[Column.PERSONAL_CODE],
                masked=result.code.masked,
                line=seen,
            )
            bad.append(RowError(row.line, (duplicate,)))
            continue
        good.append(result)
    return good, bad
