"""The roster as the registry serves it: a log of changes per school, read by opaque cursors.

A cursor is ``base64url("<epoch>.<seq>")``: the last change a box has read. Compacting the log
(only the latest change of each item is kept) starts a new epoch, and every older cursor expires.
Items are stored as they were put, so a test may seed a bad one on purpose.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: compaction keeps the order a box needs: classes before pupils before their entitlements
KIND_ORDER = ("class", "programme", "pupil", "meal_entitlement", "top_up")
_CURSOR = re.compile(r"(\d{1,12})\.(\d{1,18})")


class ExpiredCursorError(Exception):
    """The registry no longer knows this cursor (garbled, unknown, or of an older epoch)."""


@dataclass(frozen=True)
class RosterPage:
    items: list[dict[str, Any]]
    next_cursor: str
    more: bool


def encode_cursor(epoch: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{epoch}.{seq}".encode()).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> tuple[int, int]:
    """(epoch, seq) of a cursor; ExpiredCursorError when it is not one of ours."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        match = _CURSOR.fullmatch(raw.decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise ExpiredCursorError(text) from err
    if match is None:
        raise ExpiredCursorError(text)
    return int(match[1]), int(match[2])


def epoch(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM central WHERE name = 'roster_epoch'").fetchone()
    return int(row[0])


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def append(conn: sqlite3.Connection, school_code: str, items: Iterable[dict[str, Any]]) -> int:
    """Add changes at the end of a school's log (inside the caller's transaction)."""
    rows = []
    for item in items:
        tombstone = item.get("deleted") is True
        body = None if tombstone else json.dumps(item, ensure_ascii=False)
        rows.append((school_code, _text(item.get("kind")), _text(item.get("key")), body))
    conn.executemany(
        "INSERT INTO roster_log (school_code, kind, key, body) VALUES (?, ?, ?, ?)", rows
    )
    return len(rows)


def _rank(kind: str | None, tombstone: bool) -> int:
    place = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    # live items in dependency order first, then tombstones the other way round
    return 100 - place if tombstone else place


def compact(conn: sqlite3.Connection) -> None:
    """Keep only the latest change of each item, in dependency order; start a new epoch."""
    rows = conn.execute("SELECT seq, school_code, kind, key, body FROM roster_log").fetchall()
    latest: dict[tuple[str, str, str] | int, tuple[int, str, str | None, str | None, str | None]]
    latest = {}
    for row in rows:
        seq, school, kind, key, _ = row
        name: tuple[str, str, str] | int = (
            seq if kind is None or key is None else (school, kind, key)
        )
        latest[name] = row
    kept = sorted(latest.values(), key=lambda r: (r[1], _rank(r[2], r[4] is None), r[0]))
    conn.execute("DELETE FROM roster_log")
    conn.executemany(
        "INSERT INTO roster_log (school_code, kind, key, body) VALUES (?, ?, ?, ?)",
        [row[1:] for row in kept],
    )
    conn.execute(
        "UPDATE central SET value = CAST(value AS INTEGER) + 1 WHERE name = 'roster_epoch'"
    )


def page(conn: sqlite3.Connection, school_code: str, cursor: str, limit: int) -> RosterPage:
    """The changes after ``cursor`` ("" = from the start), at most ``limit`` of them."""
    now_epoch = epoch(conn)
    after = 0
    if cursor:
        cursor_epoch, after = decode_cursor(cursor)
        top = conn.execute("SELECT coalesce(max(seq), 0) FROM roster_log").fetchone()[0]
        if cursor_epoch != now_epoch or after > top:
            raise ExpiredCursorError(cursor)
    rows = conn.execute(
        "SELECT seq, kind, key, body FROM roster_log WHERE school_code = ? AND seq > ? "
        "ORDER BY seq LIMIT ?",
        (school_code, after, limit + 1),
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {"kind": kind, "key": key, "deleted": True} if body is None else json.loads(body)
        for _, kind, key, body in rows
    ]
    last = rows[-1][0] if rows else after
    return RosterPage(items, encode_cursor(now_epoch, last), more)
