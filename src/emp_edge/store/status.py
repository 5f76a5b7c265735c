"""What the dashboard shows: today's counts and the state of sync, read in one go."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from emp_edge.store.outbox import backlog
from emp_edge.store.sync_jobs import job_states


@dataclass(frozen=True)
class SyncState:
    backlog: int
    last_success: str | None  # UTC ISO
    last_error: str | None


@dataclass(frozen=True)
class TodayCounts:
    pupils: int
    sales: int
    attendance: int
    cards_issued: int
    logins: int


def sync_state(conn: sqlite3.Connection) -> SyncState:
    """Events waiting, the newest success of push or pull, and the error of a job failing now."""
    jobs = job_states(conn).values()
    last_success = max((j.last_success_at for j in jobs if j.last_success_at), default=None)
    failing = [j for j in jobs if j.failing and j.last_error_at]
    error = max(failing, key=lambda j: j.last_error_at or "").last_error if failing else None
    return SyncState(backlog(conn), last_success, error)


def today_counts(conn: sqlite3.Connection, since: str, before: str) -> TodayCounts:
    """Counts between two UTC ISO moments (the school's day)."""

    def count(sql: str) -> int:
        return int(conn.execute(sql, (since, before)).fetchone()[0])

    pupils = int(conn.execute("SELECT count(*) FROM pupils WHERE active = 1").fetchone()[0])
    return TodayCounts(
        pupils=pupils,
        sales=count("SELECT count(*) FROM ledger WHERE kind = 'sale' AND at >= ? AND at < ?"),
        attendance=count(
            "SELECT count(*) FROM attendance WHERE status = 'present' AND at >= ? AND at < ?"
        ),
        cards_issued=count(
            "SELECT count(*) FROM card_events WHERE to_state = 'issued' AND at >= ? AND at < ?"
        ),
        logins=count(
            "SELECT count(*) FROM audit_log WHERE action = 'login' AND at >= ? AND at < ?"
        ),
    )


def as_dict(state: SyncState | TodayCounts) -> dict[str, object]:
    return asdict(state)
