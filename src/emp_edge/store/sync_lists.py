"""Reading the outbox and the pull cursors for the sync page.

Payloads are never read here: an event's payload can hold a pupil's personal data.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    type: str
    created_at: str  # UTC ISO
    attempts: int
    acked_at: str | None
    last_error: str | None
    rejected_reason: str | None


@dataclass(frozen=True)
class Cursor:
    name: str
    cursor: str
    updated_at: str  # UTC ISO


@dataclass(frozen=True)
class OutboxTotals:
    events: int
    acked: int
    rejected: int


def newest_events(conn: sqlite3.Connection, limit: int = 50) -> list[OutboxRow]:
    """The newest ``limit`` events, newest first, without their payloads."""
    rows = conn.execute(
        "SELECT seq, type, created_at, attempts, acked_at, last_error, rejected_reason"
        " FROM outbox ORDER BY seq DESC LIMIT ?",
        (limit,),
    )
    return [
        OutboxRow(int(seq), kind, created, int(n), acked, error, rejected)
        for seq, kind, created, n, acked, error, rejected in rows
    ]


def outbox_totals(conn: sqlite3.Connection) -> OutboxTotals:
    events, acked, rejected = conn.execute(
        "SELECT count(*), count(acked_at), count(rejected_reason) FROM outbox"
    ).fetchone()
    return OutboxTotals(int(events), int(acked), int(rejected))


def cursors(conn: sqlite3.Connection) -> list[Cursor]:
    rows = conn.execute("SELECT name, cursor, updated_at FROM sync_cursors ORDER BY name")
    return [Cursor(name, cursor, updated_at) for name, cursor, updated_at in rows]
