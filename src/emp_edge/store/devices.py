"""Readers, printers and tills as they last reported themselves, for the dashboard.

The roles that drive a device call ``report`` when its state changes; this is local bookkeeping
that the registry never hears of, so it writes no outbox event.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from emp_edge.store.database import Store


class DeviceKind(StrEnum):
    READER = "reader"
    PRINTER = "printer"
    TILL = "till"


class DeviceState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Device:
    name: str
    kind: DeviceKind
    state: DeviceState
    detail: str
    seen_at: str


def report(store: Store, name: str, kind: DeviceKind, state: DeviceState, detail: str = "") -> None:
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO devices (name, kind, state, detail, seen_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, state = excluded.state,"
            " detail = excluded.detail, seen_at = excluded.seen_at",
            (name, str(kind), str(state), detail, tx.now()),
        )


def list_devices(conn: sqlite3.Connection) -> list[Device]:
    rows = conn.execute(
        "SELECT name, kind, state, detail, seen_at FROM devices ORDER BY kind, name"
    )
    return [
        Device(name, DeviceKind(kind), DeviceState(state), detail, seen_at)
        for name, kind, state, detail, seen_at in rows
    ]
