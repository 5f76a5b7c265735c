"""Reading pupils for the pages: the searchable list and one pupil with cards, money and clubs.

Search is accent-free through the ``pupils_search`` index (unicode61, diacritics removed): each
word of the query is a prefix of a first or last name, so "zuk" and "ŽUK" both find
"Žukauskas". A word that reads as a class ("5a", "5 A", "IIa") picks that class instead.
Personal codes leave here masked in the list; the pupil's page gets the full code and the page
decides who sees it. A card's chip UID never leaves in full: only its last four characters.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from emp_edge.domain.personal_code import mask
from emp_edge.domain.school import SchoolClass, parse_class
from emp_edge.errors import InputError

#: how many characters of a chip UID a page may show
CHIP_TAIL = 4


@dataclass(frozen=True)
class PupilQuery:
    """A search as typed: name prefixes (all must match) and classes (any may match)."""

    words: tuple[str, ...] = ()
    classes: tuple[SchoolClass, ...] = ()

    @property
    def everyone(self) -> bool:
        """No words and no classes: the list of all active pupils."""
        return not self.words and not self.classes


def read_query(text: str) -> PupilQuery:
    """Split a search box into name words and classes; "5 A" is one class, "5a" too."""
    tokens = text.split()
    words: list[str] = []
    classes: list[SchoolClass] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        pair = _as_class(f"{token} {following}") if _is_letter(following) else None
        if pair is not None:
            classes.append(pair)
            index += 2
            continue
        single = _as_class(token)
        if single is not None:
            classes.append(single)
        elif any(ch.isalnum() for ch in token):
            words.append(token)
        index += 1
    return PupilQuery(tuple(words), tuple(dict.fromkeys(classes)))


def _is_letter(token: str) -> bool:
    return len(token) == 1 and token.isalpha()


def _as_class(text: str) -> SchoolClass | None:
    if not text or not (text[0].isdigit() or text[0] in "IVXivx"):
        return None
    try:
        return parse_class(text)
    except InputError:
        return None


def match_expression(words: tuple[str, ...]) -> str:
    """The FTS5 query: every word a quoted prefix, all of them required."""
    return " AND ".join('"' + word.replace('"', '""') + '"*' for word in words)


@dataclass(frozen=True)
class PupilRow:
    id: int
    first_name: str
    last_name: str
    class_label: str
    birth_date: str
    code_masked: str
    active: bool


@dataclass(frozen=True)
class PupilList:
    rows: list[PupilRow]
    total: int


def _where(query: PupilQuery) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if query.everyone:
        clauses.append("p.active = 1")
    if query.words:
        clauses.append("p.id IN (SELECT rowid FROM pupils_search WHERE pupils_search MATCH ?)")
        params.append(match_expression(query.words))
    if query.classes:
        clauses.append(class_clause(query.classes, "c", params))
    return " AND ".join(clauses), params


def class_clause(classes: tuple[SchoolClass, ...], table: str, params: list[object]) -> str:
    """``(grade = ? AND letter = ?) OR …`` on the classes table named ``table``; adds its params.

    A class without a letter ("5") means every class of that grade.
    """
    either: list[str] = []
    for school_class in classes:
        if school_class.letter:
            either.append(f"({table}.grade = ? AND {table}.letter = ?)")
            params.extend((school_class.grade, school_class.letter))
        else:
            either.append(f"{table}.grade = ?")
            params.append(school_class.grade)
    return "(" + " OR ".join(either) + ")"


def search_pupils(
    conn: sqlite3.Connection, query: PupilQuery, *, limit: int, offset: int = 0
) -> PupilList:
    """One page of pupils matching the query, by class then name, and how many match in all."""
    where, params = _where(query)
    joined = "FROM pupils p LEFT JOIN classes c ON c.id = p.class_id WHERE " + where
    total = int(conn.execute("SELECT count(*) " + joined, params).fetchone()[0])
    rows = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(c.label, ''), p.birth_date,"
        " coalesce(p.personal_code, ''), p.active " + joined + " ORDER BY p.active DESC,"
        " c.grade IS NULL, c.grade, c.letter, p.last_name, p.first_name, p.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return PupilList(
        [
            PupilRow(row[0], row[1], row[2], row[3], row[4], mask(row[5]), bool(row[6]))
            for row in rows
        ],
        total,
    )


# ---------------------------------------------------------------- one pupil


@dataclass(frozen=True)
class PupilCard:
    id: int
    state: str
    requested_on: str
    valid_until: str | None
    barcode: str | None
    registration_number: str | None
    chip_tail: str | None  # the last characters of the chip UID, never all of it


@dataclass(frozen=True)
class PupilClub:
    programme: str
    ktprr_code: str
    group: str
    school_year: int
    first_day: str
    left_on: str | None


@dataclass(frozen=True)
class MealRight:
    meal_type: str
    valid_from: str
    valid_to: str | None
    source: str
    note: str


@dataclass(frozen=True)
class PupilDetails:
    id: int
    first_name: str
    last_name: str
    birth_date: str
    sex: str | None
    personal_code: str = field(repr=False)  # full: the page shows it masked unless allowed
    class_label: str
    active: bool
    left_on: str | None
    balance_cents: int
    cards: list[PupilCard]
    clubs: list[PupilClub]
    meals: list[MealRight]

    @property
    def code_masked(self) -> str:
        return mask(self.personal_code)


def pupil_details(conn: sqlite3.Connection, pupil_id: int, today: date) -> PupilDetails | None:
    """Everything the pupil's page shows, or None when there is no such pupil."""
    row = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, p.birth_date, p.sex,"
        " coalesce(p.personal_code, ''), coalesce(c.label, ''), p.active, p.left_on"
        " FROM pupils p LEFT JOIN classes c ON c.id = p.class_id WHERE p.id = ?",
        (pupil_id,),
    ).fetchone()
    if row is None:
        return None
    day = today.isoformat()
    return PupilDetails(
        id=row[0],
        first_name=row[1],
        last_name=row[2],
        birth_date=row[3],
        sex=row[4],
        personal_code=row[5],
        class_label=row[6],
        active=bool(row[7]),
        left_on=row[8],
        balance_cents=balance_cents(conn, pupil_id),
        cards=_cards(conn, pupil_id),
        clubs=_clubs(conn, pupil_id, day),
        meals=_meals(conn, pupil_id, day),
    )


def balance_cents(conn: sqlite3.Connection, pupil_id: int) -> int:
    """The prepaid balance: the sum of the pupil's ledger."""
    found = conn.execute(
        "SELECT coalesce(sum(amount_cents), 0) FROM ledger WHERE pupil_id = ?", (pupil_id,)
    ).fetchone()
    return int(found[0])


def _cards(conn: sqlite3.Connection, pupil_id: int) -> list[PupilCard]:
    rows = conn.execute(
        "SELECT id, state, requested_on, valid_until, barcode, registration_number,"
        " CASE WHEN chip_uid IS NULL OR chip_uid = '' THEN NULL"
        " ELSE upper(substr(chip_uid, -4)) END"  # CHIP_TAIL
        " FROM cards WHERE pupil_id = ? ORDER BY requested_on DESC, id DESC",
        (pupil_id,),
    )
    return [PupilCard(*row) for row in rows]


def _clubs(conn: sqlite3.Connection, pupil_id: int, day: str) -> list[PupilClub]:
    """Enrolments not yet ended, with their group and programme."""
    rows = conn.execute(
        "SELECT pr.name, pr.ktprr_code, g.name, g.school_year, e.first_day, e.left_on"
        " FROM enrolments e JOIN club_groups g ON g.id = e.group_id"
        " JOIN programmes pr ON pr.id = g.programme_id"
        " WHERE e.pupil_id = ? AND (e.left_on IS NULL OR e.left_on >= ?)"
        " ORDER BY pr.name, g.name, e.first_day",
        (pupil_id, day),
    )
    return [PupilClub(*row) for row in rows]


def _meals(conn: sqlite3.Connection, pupil_id: int, day: str) -> list[MealRight]:
    """Free-meal entitlements in force today or later."""
    rows = conn.execute(
        "SELECT meal_type, valid_from, valid_to, source, note FROM meal_entitlements"
        " WHERE pupil_id = ? AND (valid_to IS NULL OR valid_to >= ?)"
        " ORDER BY valid_from, meal_type",
        (pupil_id, day),
    )
    return [MealRight(*row) for row in rows]
