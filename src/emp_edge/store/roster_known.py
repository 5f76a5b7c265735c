"""The lookups a roster page is matched against: read once per page, kept true while applying.

One query per kind fetches every row the page's keys name (in chunks of ``CHUNK`` keys), so a
page of 500 pupils costs a handful of queries, not a thousand. The rules
(``store.roster_people``, ``store.roster_rules``) update these after each write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Final

from emp_edge.store import classifiers
from emp_edge.store.outbox import Transaction
from emp_edge.store.roster_items import (
    RosterClass,
    RosterEntitlement,
    RosterItem,
    RosterPupil,
    RosterTopUp,
)
from emp_edge.store.schools import ensure_school, find_school

#: keys asked for in one query (well under SQLite's limit of bound values)
CHUNK: Final = 500

REFUSED: Final = "the database refused the item"
NO_SCHOOL: Final = "the box's school is not known here"


class Outcome(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    KEPT = "kept"


@dataclass(frozen=True)
class SchoolClassRow:
    id: int
    school_id: int
    school_year: int
    grade: int
    letter: str
    label: str
    key: str | None

    @property
    def place(self) -> tuple[int, int, str]:
        return (self.school_year, self.grade, self.letter)


@dataclass(frozen=True)
class PupilRow:
    id: int
    key: str | None
    personal_code: str | None
    first_name: str
    last_name: str
    birth_date: str
    sex: str | None
    class_id: int | None
    active: int
    left_on: str | None


@dataclass(frozen=True)
class EntitlementRow:
    id: int
    key: str
    pupil_id: int
    meal_type: str
    valid_from: str
    valid_to: str | None


@dataclass(frozen=True)
class ProgrammeRow:
    id: int
    key: str
    name: str
    purpose: str
    directions: str  # JSON list, as stored


def pupil_row(row: tuple[object, ...]) -> PupilRow:
    return PupilRow(*row)  # type: ignore[arg-type]


def entitlement_row(row: tuple[object, ...]) -> EntitlementRow:
    return EntitlementRow(*row)  # type: ignore[arg-type]


def programme_row(row: tuple[object, ...]) -> ProgrammeRow:
    return ProgrammeRow(*row)  # type: ignore[arg-type]


@dataclass
class Known:
    """What a page's items are matched against, read once for the page and kept up to date."""

    school_id: int | None
    today: date
    classes: dict[str, SchoolClassRow] = field(default_factory=dict)  # by registry key
    places: dict[tuple[int, int, str], SchoolClassRow] = field(default_factory=dict)
    pupils: dict[str, PupilRow] = field(default_factory=dict)  # by registry id
    codes: dict[str, PupilRow] = field(default_factory=dict)  # by personal code (the page's)
    entitlements: dict[str, EntitlementRow] = field(default_factory=dict)
    meal_types: frozenset[str] = frozenset()
    programmes: dict[str, ProgrammeRow] = field(default_factory=dict)
    purposes: frozenset[str] = frozenset()
    directions: frozenset[str] = frozenset()

    def remember_class(self, row: SchoolClassRow) -> None:
        if row.key is not None:
            self.classes[row.key] = row
        if row.school_id == self.school_id:
            self.places[row.place] = row

    def forget_class(self, row: SchoolClassRow) -> None:
        if row.key is not None and self.classes.get(row.key) == row:
            del self.classes[row.key]
        if self.places.get(row.place) == row:
            del self.places[row.place]

    def remember_pupil(self, row: PupilRow, before: PupilRow | None = None) -> None:
        if before is not None and before.personal_code:
            holder = self.codes.get(before.personal_code)
            if holder is not None and holder.id == before.id:
                del self.codes[before.personal_code]
        if row.key is not None:
            self.pupils[row.key] = row
        if row.personal_code:
            self.codes[row.personal_code] = row


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    unique = sorted(set(keys))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _rows(
    conn: sqlite3.Connection, select: str, column: str, keys: Iterable[str]
) -> list[tuple[object, ...]]:
    """The rows of ``select`` whose ``column`` is one of ``keys``, a chunk of keys per query."""
    found: list[tuple[object, ...]] = []
    for chunk in _chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        found.extend(conn.execute(f"{select} WHERE {column} IN ({marks})", chunk))
    return found


def _school(tx: Transaction, school_code: str, items: Sequence[RosterItem]) -> int | None:
    """The box's school; added (named by its code until the settings name it) only when the page
    brings a class or a pupil and the database has no such school yet."""
    school_id = find_school(tx.conn, school_code)
    if school_id is None and any(isinstance(i, RosterClass | RosterPupil) for i in items):
        school_id = ensure_school(tx, school_code, school_code)
    return school_id


def known_for_page(tx: Transaction, school_code: str, items: Sequence[RosterItem]) -> Known:
    conn = tx.conn
    known = Known(school_id=_school(tx, school_code, items), today=tx.clock.today())
    for row in conn.execute(
        "SELECT id, school_id, school_year, grade, letter, label, registry_key FROM classes"
    ):
        cls = SchoolClassRow(*row)
        known.remember_class(cls)
    pupil_keys = {i.key for i in items if i.kind == "pupil"}
    pupil_keys |= {i.pupil_key for i in items if isinstance(i, RosterEntitlement | RosterTopUp)}
    codes = {i.personal_code for i in items if isinstance(i, RosterPupil) and i.personal_code}
    select = (
        "SELECT id, registry_id, personal_code, first_name, last_name, birth_date, sex,"
        " class_id, active, left_on FROM pupils"
    )
    for row in _rows(conn, select, "registry_id", pupil_keys):
        known.remember_pupil(pupil_row(row))
    for row in _rows(conn, select, "personal_code", codes):
        known.remember_pupil(pupil_row(row))
    if any(i.kind == "meal_entitlement" for i in items):
        select = (
            "SELECT id, registry_key, pupil_id, meal_type, valid_from, valid_to"
            " FROM meal_entitlements"
        )
        keys = {i.key for i in items if i.kind == "meal_entitlement"}
        for row in _rows(conn, select, "registry_key", keys):
            entitlement = entitlement_row(row)
            known.entitlements[entitlement.key] = entitlement
        known.meal_types = frozenset(r[0] for r in conn.execute("SELECT code FROM meal_types"))
    if any(i.kind == "programme" for i in items):
        select = "SELECT id, ktprr_code, name, purpose, directions FROM programmes"
        keys = {i.key for i in items if i.kind == "programme"}
        for row in _rows(conn, select, "ktprr_code", keys):
            programme = programme_row(row)
            known.programmes[programme.key] = programme
        known.purposes = frozenset(e.code for e in classifiers.entries(conn, "purpose"))
        known.directions = frozenset(e.code for e in classifiers.entries(conn, "direction"))
    return known
