"""What a canteen till's screen reads besides the tap itself: the tap whose diet note holds the
till, and the photo of a pupil who has just tapped.

Only the held tap's pupil and only a till's last few taps are ever read here, so the screen can
show nothing about anyone else. A photo is given only for a tap whose card proved itself: a
copied card names a pupil, but must not show that pupil's face.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from emp_edge.domain.taps import TapReason
from emp_edge.store.canteen_till import till_state

#: how many of a till's latest taps may still show a photo
RECENT_TAPS: Final = 3

#: the reasons a tap ends with once its card proved itself and is on file: the screen shows
#: whose card it is (the chip's own refusals show no name, and so no photo)
PROVEN: Final = frozenset(
    {
        TapReason.OK,
        TapReason.NOT_ISSUED,
        TapReason.NO_VALIDITY,
        TapReason.EXPIRED,
        TapReason.RETURNED,
        TapReason.REPLACED,
        TapReason.DESTROYED,
        TapReason.CANCELLED,
        TapReason.PUPIL_LEFT,
        TapReason.NOTE_PENDING,
        TapReason.NO_SERVING_NOW,
        TapReason.NOTHING_PICKED,
        TapReason.ITEM_UNAVAILABLE,
        TapReason.ITEM_NOT_ALLOWED,
        TapReason.ALREADY_SERVED,
        TapReason.DAILY_LIMIT,
        TapReason.LOW_BALANCE,
    }
)
_PROVEN_LIST: Final = ", ".join(f"'{reason.value}'" for reason in sorted(PROVEN))


@dataclass(frozen=True)
class HeldTap:
    """The tap whose diet note staff must acknowledge before the till takes the next one."""

    event_id: str
    name: str
    class_label: str
    note: str
    at: datetime | None


def held_tap(conn: sqlite3.Connection, till: str) -> HeldTap | None:
    """The tap holding ``till``, with its pupil's name, class and note; None when not held."""
    held_by = till_state(conn, till).held_by
    if held_by is None:
        return None
    row = conn.execute(
        "SELECT t.at, p.first_name, p.last_name, coalesce(k.label, ''), p.diet_note"
        " FROM taps t JOIN pupils p ON p.id = t.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE t.event_id = ? AND t.terminal = ?",
        (held_by, till),
    ).fetchone()
    if row is None:  # the tap is not this till's: still held, and staff can still let it go
        return HeldTap(held_by, "", "", "", None)
    return HeldTap(
        held_by, f"{row[1]} {row[2]}", str(row[3]), str(row[4]), datetime.fromisoformat(row[0])
    )


def _recent(select: str) -> str:
    # the taps table has no index on terminal: reading it backwards by rowid stops after the
    # till's last few taps, however many taps the other terminals made
    return (
        f"SELECT {select} FROM (SELECT event_id, pupil_id, reason FROM taps"  # noqa: S608
        " WHERE terminal = :till ORDER BY id DESC LIMIT :recent) t"
        " JOIN pupil_photos ph ON ph.pupil_id = t.pupil_id"
        f" WHERE t.event_id = :event AND t.reason IN ({_PROVEN_LIST})"
    )


def has_photo(conn: sqlite3.Connection, till: str, event_id: str) -> bool:
    """True when tap ``event_id``, one of the till's latest, has its pupil's photo on file."""
    row = conn.execute(
        _recent("1"), {"till": till, "recent": RECENT_TAPS, "event": event_id}
    ).fetchone()
    return row is not None


def photo_of_tap(conn: sqlite3.Connection, till: str, event_id: str) -> bytes | None:
    """The JPEG of the pupil of tap ``event_id`` if it is one of the till's latest taps."""
    row = conn.execute(
        _recent("ph.jpeg"), {"till": till, "recent": RECENT_TAPS, "event": event_id}
    ).fetchone()
    return bytes(row[0]) if row is not None else None
