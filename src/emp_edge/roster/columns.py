"""Finding the columns of a class list by their headers, whatever the order, case or diacritics."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from emp_edge.errors import InputError
from emp_edge.roster.files import HEADER_SEARCH_LINES, Row


class Column(StrEnum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PERSONAL_CODE = "personal_code"
    BIRTH_DATE = "birth_date"
    CLASS = "class"
    SEX = "sex"


#: how each column is written in the files schools have (normalised: lower case, no diacritics,
#: letters and digits only)
LITHUANIAN_HEADERS: dict[Column, tuple[str, ...]] = {
    Column.FIRST_NAME: ("vardas", "vardai", "mokiniovardas"),
    Column.LAST_NAME: ("pavarde", "pavardes", "mokiniopavarde"),
    Column.PERSONAL_CODE: ("asmenskodas", "ak", "mokinioasmenskodas"),
    Column.BIRTH_DATE: ("gimimodata", "gimdata"),
    Column.CLASS: ("klase", "klasegrupe", "klasesgrupe", "klasespavadinimas"),
    Column.SEX: ("lytis",),
}
ENGLISH_HEADERS: dict[Column, tuple[str, ...]] = {
    Column.FIRST_NAME: ("firstname", "givenname"),
    Column.LAST_NAME: ("lastname", "surname", "familyname"),
    Column.PERSONAL_CODE: ("personalcode", "personalidentificationnumber"),
    Column.BIRTH_DATE: ("birthdate", "dateofbirth"),
    Column.CLASS: ("class", "grade", "form"),
    Column.SEX: ("sex", "gender"),
}
REQUIRED = (Column.FIRST_NAME, Column.LAST_NAME, Column.PERSONAL_CODE, Column.CLASS)
#: Lithuanian names of the columns, for messages
LABELS = {
    Column.FIRST_NAME: "Vardas",
    Column.LAST_NAME: "Pavardė",
    Column.PERSONAL_CODE: "Asmens kodas",
    Column.BIRTH_DATE: "Gimimo data",
    Column.CLASS: "Klasė",
    Column.SEX: "Lytis",
}


def normalise(header: object) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).lower()
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


_LOOKUP = {
    alias: column
    for headers in (LITHUANIAN_HEADERS, ENGLISH_HEADERS)
    for column, aliases in headers.items()
    for alias in aliases
}
_ENGLISH = frozenset(alias for aliases in ENGLISH_HEADERS.values() for alias in aliases)


@dataclass(frozen=True)
class Layout:
    """Where the header is and which cell holds which column."""

    header_line: int
    positions: dict[Column, int]
    #: True when the headers are English (then sex "M"/"F" means male/female)
    english: bool


def find_layout(rows: list[Row], where: str) -> Layout:
    """The first row (of the top few) that names the required columns is the header."""
    best: tuple[int, Row, dict[Column, int]] | None = None
    for row in rows[:HEADER_SEARCH_LINES]:
        positions: dict[Column, int] = {}
        for index, cell in enumerate(row.cells):
            column = _LOOKUP.get(normalise(cell))
            if column is not None and column not in positions:
                positions[column] = index
        score = sum(1 for column in REQUIRED if column in positions)
        if best is None or score > best[0]:
            best = (score, row, positions)
        if score == len(REQUIRED):
            break
    if best is None:
        raise InputError("the file has no rows", where=where)
    score, row, positions = best
    missing = [LABELS[c] for c in REQUIRED if c not in positions]
    if missing:
        raise InputError(
            "no header row with the columns {missing} (a header needs: {needed})",
            where=f"{where}, line {row.line}" if score else where,
            missing=", ".join(missing),
            needed=", ".join(LABELS[c] for c in REQUIRED),
        )
    english = all(normalise(row.cells[i]) in _ENGLISH for i in positions.values())
    return Layout(row.line, positions, english)
