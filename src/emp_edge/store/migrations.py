"""The migrations registry: numbered SQL files, applied in order, recorded with their checksum.

Files are ``migrations/NNNN_name.sql``. Numbers start at 1 and have no gaps. Each applied
migration is recorded in ``schema_migrations`` with the SHA-256 of its text: a landed migration
is never edited, and a database whose recorded checksum differs from the shipped file refuses to
start rather than guess.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from importlib import resources

from emp_edge.errors import StoreError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    number      INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    applied_at  TEXT NOT NULL
) STRICT
"""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def registry() -> tuple[Migration, ...]:
    """Every migration shipped with this version, in order."""
    found: list[Migration] = []
    for entry in resources.files("emp_edge.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise StoreError(
            "migrations must be numbered 1, 2, 3 … without gaps; found {numbers}", numbers=numbers
        )
    return tuple(found)


def applied(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """The migrations recorded in this database: number → (name, sha256)."""
    conn.execute(SCHEMA_MIGRATIONS)
    rows = conn.execute("SELECT number, name, sha256 FROM schema_migrations ORDER BY number")
    return {number: (name, digest) for number, name, digest in rows}


def pending(conn: sqlite3.Connection, shipped: tuple[Migration, ...]) -> list[Migration]:
    """The shipped migrations not yet in this database; refuses edited or unknown ones."""
    done = applied(conn)
    known = {m.number: m for m in shipped}
    newer = sorted(set(done) - set(known))
    if newer:
        raise StoreError(
            "the database was made by a newer emp-edge (migration {number}); "
            "this version knows migrations up to {last}",
            number=newer[-1],
            last=max(known, default=0),
        )
    for number, (name, digest) in done.items():
        if known[number].sha256 != digest:
            raise StoreError(
                "migration {number} ({name}) differs from the one applied to this database; "
                "a landed migration must never be edited",
                number=number,
                name=name,
            )
    return [m for m in shipped if m.number not in done]


def apply(conn: sqlite3.Connection, migration: Migration, applied_at: str) -> None:
    """Apply one migration and record it, in one transaction (all or nothing)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # executescript would commit the open transaction first, so run statement by statement
        for statement in _statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (number, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
            (migration.number, migration.name, migration.sha256, applied_at),
        )
    except sqlite3.Error as err:
        conn.execute("ROLLBACK")
        raise StoreError(
            "migration {number} ({name}) failed: {reason}",
            number=migration.number,
            name=migration.name,
            reason=str(err),
        ) from err
    conn.execute("COMMIT")


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers' inner semicolons included)."""
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip() and not _only_comments(current):
                statements.append(current.strip())
            current = ""
    if current.strip() and not _only_comments(current):
        raise StoreError("migration has an unfinished statement: {tail}", tail=current.strip()[:60])
    return statements


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())
