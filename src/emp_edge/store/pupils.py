"""Pupils: upsert by personal code, as class lists and the registry deliver them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from emp_edge.store.outbox import Transaction


class Upsert(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PupilData:
    """What a class list says of one pupil."""

    personal_code: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    class_id: int


def existing_by_code(conn: sqlite3.Connection) -> dict[str, tuple[object, ...]]:
    """personal code → (id, first, last, birth date, sex, class id, active) of every pupil."""
    rows = conn.execute(
        "SELECT personal_code, id, first_name, last_name, birth_date, sex, class_id, active "
        "FROM pupils WHERE personal_code IS NOT NULL"
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def upsert(
    tx: Transaction,
    school_id: int,
    pupil: PupilData,
    known: tuple[object, ...] | None,
) -> Upsert:
    """Add the pupil or bring the stored one up to date; a pupil who is the same is not touched."""
    wanted = (
        pupil.first_name,
        pupil.last_name,
        pupil.birth_date.isoformat(),
        pupil.sex,
        pupil.class_id,
        1,
    )
    now = tx.now()
    if known is None:
        tx.execute(
            "INSERT INTO pupils (school_id, personal_code, first_name, last_name, birth_date, sex,"
            " class_id, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (school_id, pupil.personal_code, *wanted, now, now),
        )
        return Upsert.CREATED
    if tuple(known[1:]) == wanted:
        return Upsert.UNCHANGED
    tx.execute(
        "UPDATE pupils SET first_name = ?, last_name = ?, birth_date = ?, sex = ?, class_id = ?,"
        " active = ?, left_on = NULL, updated_at = ? WHERE id = ?",
        (*wanted, now, known[0]),
    )
    return Upsert.UPDATED


def registry_ids(conn: sqlite3.Connection, pupil_ids: set[int]) -> dict[int, str | None]:
    """The registry ids the box knows now for these pupils (None: known only here)."""
    found: dict[int, str | None] = {}
    ids = sorted(pupil_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT id, registry_id FROM pupils WHERE id IN ({marks})",  # noqa: S608
            chunk,
        )
        found.update((int(pupil), registry) for pupil, registry in rows)
    return found
