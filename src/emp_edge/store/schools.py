"""The school this box serves, and its classes per school year."""

from __future__ import annotations

import sqlite3

from emp_edge.domain.school import SchoolClass
from emp_edge.store.outbox import Transaction


def ensure_school(tx: Transaction, code: str, name: str, municipality: str = "") -> int:
    """The school's id, adding it (with its event) or renaming it to match the settings."""
    row = tx.execute(
        "SELECT id, name, municipality FROM schools WHERE code = ?", (code,)
    ).fetchone()
    if row is None:
        cursor = tx.execute(
            "INSERT INTO schools (code, name, municipality) VALUES (?, ?, ?)",
            (code, name, municipality),
        )
        school_id = int(cursor.lastrowid or 0)
        tx.emit("school.added", {"school_id": school_id, "code": code, "name": name})
        return school_id
    school_id = int(row[0])
    if (row[1], row[2]) != (name, municipality):
        tx.execute(
            "UPDATE schools SET name = ?, municipality = ? WHERE id = ?",
            (name, municipality, school_id),
        )
        tx.emit("school.renamed", {"school_id": school_id, "code": code, "name": name})
    return school_id


def find_school(conn: sqlite3.Connection, code: str) -> int | None:
    row = conn.execute("SELECT id FROM schools WHERE code = ?", (code,)).fetchone()
    return None if row is None else int(row[0])


def ensure_class(
    tx: Transaction, school_id: int, school_year: int, school_class: SchoolClass
) -> int:
    """The id of a class in a school year, adding it when it is new."""
    row = tx.execute(
        "SELECT id FROM classes"
        " WHERE school_id = ? AND school_year = ? AND grade = ? AND letter = ?",
        (school_id, school_year, school_class.grade, school_class.letter),
    ).fetchone()
    if row is not None:
        return int(row[0])
    cursor = tx.execute(
        "INSERT INTO classes (school_id, school_year, grade, letter, label) VALUES (?, ?, ?, ?, ?)",
        (school_id, school_year, school_class.grade, school_class.letter, school_class.label),
    )
    return int(cursor.lastrowid or 0)
