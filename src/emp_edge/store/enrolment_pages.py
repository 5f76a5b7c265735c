"""Reading enrolments for the pages: finding a pupil to enrol (the registry's step 1), the groups
one may enrol into, one enrolment with its marks, a group's pupils on a day and a pupil's groups.

A pupil is found by the exact personal code (checked first: a malformed code says what is
wrong) or by name through the accent-free ``pupils_search`` index; only active pupils are
offered. Personal codes leave this module masked.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from emp_edge.domain import personal_code
from emp_edge.domain.clubs import Contract, enrolled_on
from emp_edge.store.pupil_pages import match_expression

#: the most pupils step 1 lists for one search
FOUND_MAX = 50


# ---------------------------------------------------------------- step 1: find the pupil


@dataclass(frozen=True)
class FoundPupil:
    id: int
    first_name: str
    last_name: str
    class_label: str
    birth_date: str
    code_masked: str


@dataclass(frozen=True)
class Found:
    """What a search found; ``by_code`` when it was a personal code (never kept here)."""

    pupils: list[FoundPupil]
    by_code: bool
    more: bool  # more pupils match than are listed


def looks_like_code(text: str) -> bool:
    """A search of digits (spaces allowed) is a personal code; anything else is a name."""
    squeezed = "".join(text.split())
    return bool(squeezed) and any(ch.isdigit() for ch in squeezed)


def find_pupils(conn: sqlite3.Connection, text: str, *, limit: int = FOUND_MAX) -> Found:
    """Active pupils with this personal code, or whose names start with the words typed.

    A text holding a digit is read as a personal code; an InputError says what is wrong with it.
    """
    if looks_like_code(text):
        code = personal_code.parse("".join(text.split())).code
        rows = conn.execute(
            _FOUND + " WHERE p.active = 1 AND p.personal_code = ?", (code,)
        ).fetchall()
        return Found([_found(row) for row in rows], by_code=True, more=False)
    words = tuple(word for word in text.split() if any(ch.isalnum() for ch in word))
    if not words:
        return Found([], by_code=False, more=False)
    rows = conn.execute(
        _FOUND + " WHERE p.active = 1"  # noqa: S608 (constant text, placeholders only)
        " AND p.id IN (SELECT rowid FROM pupils_search WHERE pupils_search MATCH ?)"
        " ORDER BY p.last_name, p.first_name, c.grade, c.letter, p.id LIMIT ?",
        (match_expression(words), limit + 1),
    ).fetchall()
    return Found([_found(row) for row in rows[:limit]], by_code=False, more=len(rows) > limit)


_FOUND = (
    "SELECT p.id, p.first_name, p.last_name, coalesce(c.label, ''), p.birth_date,"
    " coalesce(p.personal_code, ''), p.active"
    " FROM pupils p LEFT JOIN classes c ON c.id = p.class_id"
)


def _found(row: sqlite3.Row | tuple[object, ...]) -> FoundPupil:
    return FoundPupil(
        int(str(row[0])),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        personal_code.mask(str(row[5])),
    )


def pupil_to_enrol(conn: sqlite3.Connection, pupil_id: int) -> tuple[FoundPupil, bool] | None:
    """The pupil as steps 2–3 show it, and whether still active; None when there is none."""
    row = conn.execute(_FOUND + " WHERE p.id = ?", (pupil_id,)).fetchone()
    if row is None:
        return None
    return _found(row), bool(row[6])


# ---------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupInfo:
    id: int
    name: str
    school_year: int
    programme_id: int
    ktprr_code: str
    programme_name: str
    purpose: str


_GROUP = (
    "SELECT g.id, g.name, g.school_year, p.id, p.ktprr_code, p.name, p.purpose"
    " FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
)


def group_info(conn: sqlite3.Connection, group_id: int) -> GroupInfo | None:
    row = conn.execute(_GROUP + " WHERE g.id = ?", (group_id,)).fetchone()
    return None if row is None else GroupInfo(*row)


def groups_from_year(conn: sqlite3.Connection, first_year: int) -> list[GroupInfo]:
    """Groups of this school year and later ones, by year, programme and name."""
    rows = conn.execute(
        _GROUP + " WHERE g.school_year >= ? ORDER BY g.school_year, p.name, g.name, g.id",
        (first_year,),
    )
    return [GroupInfo(*row) for row in rows]


# ---------------------------------------------------------------- one enrolment


@dataclass(frozen=True)
class FundingMark:
    kind: str
    state: str  # local (not yet confirmed), accepted, rejected
    registry_reason: str
    event_id: str
    marked_at: str
    ended_on: str | None


@dataclass(frozen=True)
class EnrolmentDetail:
    id: int
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    pupil_active: bool
    group: GroupInfo
    first_day: str
    contract: Contract
    left_on: str | None
    departure_order: str
    departure_reason: str
    created_at: str
    marks: list[FundingMark]

    @property
    def deregistered(self) -> bool:
        return self.left_on is not None

    def marked(self, kind: str) -> FundingMark | None:
        return next((mark for mark in self.marks if mark.kind == kind), None)


def enrolment_detail(conn: sqlite3.Connection, enrolment_id: int) -> EnrolmentDetail | None:
    """One enrolment with its pupil, group, programme, contract, marks and departure."""
    row = conn.execute(
        "SELECT e.id, e.pupil_id, p.first_name, p.last_name, coalesce(c.label, ''), p.active,"
        " e.group_id, e.first_day, coalesce(e.contract_type, ''), e.contract_date,"
        " coalesce(e.contract_number, ''), e.left_on, coalesce(e.departure_order, ''),"
        " coalesce(e.departure_reason, ''), e.created_at"
        " FROM enrolments e JOIN pupils p ON p.id = e.pupil_id"
        " LEFT JOIN classes c ON c.id = p.class_id WHERE e.id = ?",
        (enrolment_id,),
    ).fetchone()
    if row is None:
        return None
    group = group_info(conn, int(row[6]))
    if group is None:  # a foreign key keeps it; read defensively all the same
        return None
    signed_on = date.fromisoformat(row[9]) if row[9] else None
    return EnrolmentDetail(
        id=int(row[0]),
        pupil_id=int(row[1]),
        first_name=row[2],
        last_name=row[3],
        class_label=row[4],
        pupil_active=bool(row[5]),
        group=group,
        first_day=row[7],
        contract=Contract(row[8], signed_on, row[10]),
        left_on=row[11],
        departure_order=row[12],
        departure_reason=row[13],
        created_at=row[14],
        marks=funding_marks(conn, enrolment_id),
    )


def funding_marks(conn: sqlite3.Connection, enrolment_id: int) -> list[FundingMark]:
    """An enrolment's marks in the registry's order: basket, municipal, state, other."""
    rows = conn.execute(
        "SELECT kind, state, registry_reason, event_id, marked_at, ended_on FROM funding_marks"
        " WHERE enrolment_id = ? ORDER BY CASE kind WHEN 'basket' THEN 0"
        " WHEN 'municipal' THEN 1 WHEN 'state' THEN 2 ELSE 3 END",
        (enrolment_id,),
    )
    return [FundingMark(*row) for row in rows]


# ---------------------------------------------------------------- a group's pupils


@dataclass(frozen=True)
class Member:
    enrolment_id: int
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    first_day: str
    left_on: str | None
    departure_reason: str


@dataclass(frozen=True)
class GroupPupils:
    """A group on a day: who is in its lists, who arrives later, who has left (history)."""

    current: list[Member]
    coming: list[Member]
    past: list[Member]


def group_pupils(conn: sqlite3.Connection, group_id: int, day: date) -> GroupPupils:
    """Enrolled on ``day`` means first_day <= day < left_on (``domain.clubs.enrolled_on``)."""
    rows = conn.execute(
        "SELECT e.id, e.pupil_id, p.first_name, p.last_name, coalesce(c.label, ''),"
        " e.first_day, e.left_on, coalesce(e.departure_reason, '')"
        " FROM enrolments e JOIN pupils p ON p.id = e.pupil_id"
        " LEFT JOIN classes c ON c.id = p.class_id WHERE e.group_id = ?"
        " ORDER BY p.last_name, p.first_name, p.id, e.first_day",
        (group_id,),
    )
    found = GroupPupils([], [], [])
    for row in rows:
        member = Member(*row)
        left = date.fromisoformat(member.left_on) if member.left_on else None
        first = date.fromisoformat(member.first_day)
        if enrolled_on(first, left, day):
            found.current.append(member)
        elif first > day and (left is None or left > first):
            found.coming.append(member)
        else:
            found.past.append(member)
    return found


# ---------------------------------------------------------------- a pupil's groups


@dataclass(frozen=True)
class PupilEnrolment:
    id: int
    group_id: int
    group_name: str
    school_year: int
    ktprr_code: str
    programme_name: str
    first_day: str
    left_on: str | None


def pupil_enrolments(conn: sqlite3.Connection, pupil_id: int) -> list[PupilEnrolment]:
    """Every enrolment of a pupil, in every group and year, past ones too; the latest first."""
    rows = conn.execute(
        "SELECT e.id, g.id, g.name, g.school_year, p.ktprr_code, p.name, e.first_day, e.left_on"
        " FROM enrolments e JOIN club_groups g ON g.id = e.group_id"
        " JOIN programmes p ON p.id = g.programme_id WHERE e.pupil_id = ?"
        " ORDER BY g.school_year DESC, e.first_day DESC, p.name, g.name, e.id",
        (pupil_id,),
    )
    return [PupilEnrolment(*row) for row in rows]
