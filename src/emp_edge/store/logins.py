"""Failed logins and account locks, kept in the database so a restart forgets nothing.

Ten failed logins for one user name within fifteen minutes lock it for fifteen minutes. While
it is locked no password is checked and nothing more is counted; after the lock the count starts
again from nothing. A good login clears the count.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from emp_edge.store.outbox import Transaction

FAILURE_LIMIT = 10
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


def _key(username: str) -> str:
    return username.strip().lower()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def locked_until(conn: sqlite3.Connection, username: str, now: datetime) -> datetime | None:
    """When the lock on this user name ends, if it is locked now."""
    row = conn.execute(
        "SELECT max(locked_until) FROM login_locks WHERE username = ? AND locked_until > ?",
        (_key(username), _utc(now)),
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def record_failure(tx: Transaction, username: str, source: str) -> datetime | None:
    """Count one failed login; returns the end of the lock when this failure starts one."""
    key = _key(username)
    now = tx.clock.now()
    tx.execute(
        "INSERT INTO login_failures (username, at, source) VALUES (?, ?, ?)",
        (key, _utc(now), source),
    )
    last_lock = tx.execute(
        "SELECT max(locked_until) FROM login_locks WHERE username = ?", (key,)
    ).fetchone()[0]
    since = max(_utc(now - WINDOW), last_lock or "")
    failures = tx.execute(
        "SELECT count(*) FROM login_failures WHERE username = ? AND at > ?", (key, since)
    ).fetchone()[0]
    if failures < FAILURE_LIMIT:
        return None
    until = now + LOCK_FOR
    tx.execute(
        "INSERT INTO login_locks (username, locked_at, locked_until) VALUES (?, ?, ?)",
        (key, _utc(now), _utc(until)),
    )
    return until


def clear_failures(tx: Transaction, username: str) -> None:
    """A good login: the failures before it no longer count."""
    tx.execute("DELETE FROM login_failures WHERE username = ?", (_key(username),))
