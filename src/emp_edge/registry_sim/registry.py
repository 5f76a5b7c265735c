"""The simulated registry: boxes and their tokens, events accepted once forever, the basket rule,
and each school's roster, in its own SQLite file. Thread-safe: one lock guards the connection.
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emp_edge.registry_sim import baskets, roster
from emp_edge.registry_sim.contract import Contract
from emp_edge.registry_sim.database import open_database
from emp_edge.registry_sim.judge import Result, judge
from emp_edge.registry_sim.roster import RosterPage


@dataclass(frozen=True)
class AcceptedEvent:
    event_id: str
    type: str
    school_code: str
    received_at: str


@dataclass(frozen=True)
class Batch:
    """The registry's answer to one batch: a result per event, in the order sent."""

    results: list[Result]
    received_at: str


def utc_now() -> str:
    return datetime.now(UTC).isoformat()


class Registry:
    """The registry's memory in ``data_dir/registry.sqlite``; it survives restarts.

    Payloads are judged by ``contract`` (default: the contract shipped with the simulator).
    """

    def __init__(self, data_dir: Path, *, contract: Contract | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.contract = contract if contract is not None else Contract.shipped()
        self._lock = threading.RLock()
        self._conn = open_database(self.data_dir)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock: committed whole, or rolled back whole."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ---------------------------------------------------------------- boxes

    def add_box(self, school_code: str, token: str) -> None:
        """Let a school's box in with this token (a school has one token; a new one replaces it)."""
        if not school_code or not token:
            raise ValueError("a box needs a school code and a token")
        with self._lock:
            self._conn.execute(
                "INSERT INTO boxes (school_code, token) VALUES (?, ?) "
                "ON CONFLICT (school_code) DO UPDATE SET token = excluded.token",
                (school_code, token),
            )

    def school_of(self, token: str) -> str | None:
        """The school whose box holds this token, or None."""
        with self._lock:
            boxes = self._conn.execute("SELECT school_code, token FROM boxes").fetchall()
        given = token.encode("utf-8")
        found = None
        for school_code, known in boxes:
            if hmac.compare_digest(given, known.encode("utf-8")):
                found = school_code
        return found

    # ---------------------------------------------------------------- events

    def receive(self, school_code: str, events: Sequence[dict[str, Any]]) -> Batch:
        """Judge and commit a batch in one transaction: nothing of it is kept if it fails."""
        received_at = utc_now()
        with self._writing() as conn:
            results = [judge(conn, self.contract, school_code, e, received_at) for e in events]
        return Batch(results, received_at)

    def accepted(self) -> list[AcceptedEvent]:
        """Every accepted event, in the order the registry accepted them."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT event_id, type, school_code, received_at FROM events ORDER BY rowid"
            ).fetchall()
        return [AcceptedEvent(*row) for row in rows]

    def received_counts(self) -> dict[str, int]:
        """How many times each event id arrived (whatever the answer was)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT event_id, count(*) FROM receipts GROUP BY event_id"
            ).fetchall()
        return {event_id: count for event_id, count in rows}

    def basket_holder(self, registry_id: str, school_year: int) -> str | None:
        """The school code holding the pupil's NVŠ basket for the school year, or None."""
        with self._lock:
            return baskets.holder(self._conn, registry_id, school_year)

    # ---------------------------------------------------------------- roster

    def put_roster(self, school_code: str, items: list[dict[str, Any]]) -> None:
        """Append changes to a school's roster, as on the wire (tombstones included)."""
        if not all(isinstance(item, dict) for item in items):
            raise ValueError("roster items are JSON objects")
        with self._writing() as conn:
            roster.append(conn, school_code, items)

    def compact_roster(self) -> None:
        """Keep only the latest change of each item; every cursor handed out so far expires."""
        with self._writing() as conn:
            roster.compact(conn)

    def roster_page(self, school_code: str, cursor: str, limit: int) -> RosterPage:
        """A page of the school's roster changes after ``cursor``; ExpiredCursorError if unknown."""
        with self._lock:
            return roster.page(self._conn, school_code, cursor, limit)

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Registry({self.data_dir!s})"
