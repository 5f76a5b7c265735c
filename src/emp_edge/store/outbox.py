"""The outbox: each change's event, written inside the change's own transaction.

Sync reads it in ``seq`` order and pushes with ``event_id`` as the idempotency key.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlite_utils

from emp_edge.domain.clock import Clock
from emp_edge.errors import StoreError


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(payload: Mapping[str, Any]) -> str:
    try:
        return json.dumps(
            payload,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            default=_json_default,
        )
    except (TypeError, ValueError) as err:
        raise StoreError("an outbox payload must be JSON: {reason}", reason=str(err)) from err


def new_event_id() -> str:
    """A fresh event id (UUIDv4 text): the idempotency key of the event in sync."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    type: str
    payload: dict[str, Any]
    created_at: str
    attempts: int
    acked_at: str | None


@dataclass
class Transaction:
    """An open write transaction: change rows through ``db``/``execute``, then ``emit``."""

    conn: sqlite3.Connection
    db: sqlite_utils.Database
    clock: Clock
    events: list[str] = field(default_factory=list)

    def now(self) -> str:
        """The moment of this change, UTC ISO text."""
        return self.clock.now().astimezone(UTC).isoformat()

    def execute(self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def emit(self, type: str, payload: Mapping[str, Any], *, event_id: str | None = None) -> str:
        """Append an event to the outbox in this transaction; returns its id (UUIDv4).

        ``event_id`` is one made before by ``new_event_id()``, when rows written earlier in the
        transaction already carry it (a till's sale is keyed by its tap's event).
        """
        if not type or not type.replace(".", "").replace("_", "").isalnum():
            raise StoreError("an event type is dotted words, not {type!r}", type=type)
        event_id = event_id or new_event_id()
        self.conn.execute(
            "INSERT INTO outbox (event_id, type, payload, created_at) VALUES (?, ?, ?, ?)",
            (event_id, type, to_json(payload), self.now()),
        )
        self.events.append(event_id)
        return event_id


#: the events push sends: neither acknowledged nor refused by the registry
TO_SEND = "acked_at IS NULL AND rejected_reason IS NULL"


def pending(conn: sqlite3.Connection, limit: int = 100, *, after: int = 0) -> list[OutboxEvent]:
    """Events to send (not acknowledged, not refused), oldest first, from ``seq`` > ``after``."""
    rows = conn.execute(
        "SELECT seq, event_id, type, payload, created_at, attempts, acked_at FROM outbox "  # noqa: S608
        f"WHERE {TO_SEND} AND seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    ).fetchall()
    return [OutboxEvent(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]


class StoredEvent(NamedTuple):
    """An event to send as it is stored: ``payload`` is its JSON text, sent as it is."""

    seq: int
    event_id: str
    type: str
    payload: str
    created_at: str


def pending_raw(conn: sqlite3.Connection, limit: int = 100, *, after: int = 0) -> list[StoredEvent]:
    """``pending`` without reading the payloads: push puts their stored JSON text on the wire."""
    rows = conn.execute(
        "SELECT seq, event_id, type, payload, created_at FROM outbox "  # noqa: S608
        f"WHERE {TO_SEND} AND seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    ).fetchall()
    return list(map(StoredEvent._make, rows))


def backlog(conn: sqlite3.Connection) -> int:
    """How many events wait to be sent (a refused event waits for a person instead)."""
    row = conn.execute(f"SELECT count(*) FROM outbox WHERE {TO_SEND}").fetchone()  # noqa: S608
    return int(row[0])
