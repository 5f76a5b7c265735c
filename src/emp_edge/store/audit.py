"""The audit trail: append-only and hash-chained.

Each row holds the SHA-256 of its own fields and of the row before it, so an edited, deleted or
inserted row breaks the chain from that row on; ``verify`` names the first row that does not fit.
Rows are written inside the transaction of the change they describe, so a change and its audit
row are committed together or not at all. Never put a personal code or a photo in a row: write
``pupil:<id>`` as the subject instead.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from emp_edge.store.outbox import Transaction

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    """Who did what, to what, from where."""

    actor: str  # user name, or "cli:<login>" for the command line
    action: str  # e.g. login, login.failed, pupil.viewed, user.added
    subject: str = ""  # e.g. pupil:42, user:3
    detail: str = ""
    source: str = ""  # remote address, or "cli"
    user_id: int | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    user_id: int | None
    actor: str
    action: str
    subject: str
    detail: str
    source: str
    prev_hash: str
    hash: str


def row_hash(prev_hash: str, at: str, entry: Entry) -> str:
    fields = (
        prev_hash,
        at,
        "" if entry.user_id is None else str(entry.user_id),
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        entry.source,
    )
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def record(tx: Transaction, entry: Entry) -> int:
    """Append one row to the trail, chained to the last one; returns its id."""
    last = tx.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last else GENESIS
    at = tx.now()
    cursor = tx.execute(
        "INSERT INTO audit_log (at, user_id, actor, action, subject, detail, source, prev_hash,"
        " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            entry.user_id,
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail,
            entry.source,
            prev_hash,
            row_hash(prev_hash, at, entry),
        ),
    )
    return int(cursor.lastrowid or 0)


_COLUMNS = "id, at, user_id, actor, action, subject, detail, source, prev_hash, hash"


def _rows(conn: sqlite3.Connection) -> Iterator[AuditRow]:
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY id"):  # noqa: S608
        yield AuditRow(*row)


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    first_broken: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify(conn: sqlite3.Connection) -> ChainCheck:
    """Walk the whole trail; the first row whose hash or link does not fit is named."""
    expected_prev = GENESIS
    count = 0
    for row in _rows(conn):
        count += 1
        if row.prev_hash != expected_prev:
            return ChainCheck(count, row.id, "it does not follow the row before it")
        entry = Entry(row.actor, row.action, row.subject, row.detail, row.source, row.user_id)
        if row_hash(row.prev_hash, row.at, entry) != row.hash:
            return ChainCheck(count, row.id, "its content does not match its hash")
        expected_prev = row.hash
    return ChainCheck(count)


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    subject: str = ""
    since: str = ""  # UTC ISO moments, as the rows hold them
    before: str = ""


def browse(
    conn: sqlite3.Connection, wanted: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[list[AuditRow], int]:
    """Rows matching the filter, newest first, and how many match in all."""
    where: list[str] = []
    params: list[object] = []
    if wanted.actor:
        where.append("actor = ?")
        params.append(wanted.actor)
    if wanted.action:
        where.append("action LIKE ?")
        params.append(wanted.action.replace("%", "") + "%")
    if wanted.subject:
        where.append("subject = ?")
        params.append(wanted.subject)
    if wanted.since:
        where.append("at >= ?")
        params.append(wanted.since)
    if wanted.before:
        where.append("at < ?")
        params.append(wanted.before)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(f"SELECT count(*) FROM audit_log{clause}", params).fetchone()[0]  # noqa: S608
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log{clause} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
        [*params, limit, offset],
    ).fetchall()
    return [AuditRow(*row) for row in rows], int(total)
