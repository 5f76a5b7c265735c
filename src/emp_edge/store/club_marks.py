"""Attendance marks of club sessions: who is in a group on a day, a tap's mark, and the leader's
marks by hand.

A pupil is in a group's lists from the first day up to the day before departure
(``domain.clubs.enrolled_on``), on the session's school date. A ``present`` row is counted; a
``not_in_group`` row records a tap of a pupil not in the group and is never counted. A hand
change emits ``nvs.attendance.changed`` (pupil id and registry id, never a name); the web adds
its audit row in the same transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Final

from emp_edge.domain.clubs import enrolled_on
from emp_edge.errors import InputError
from emp_edge.store.club_sessions import CHANGED, Session, find_session, utc
from emp_edge.store.outbox import Transaction, new_event_id

PRESENT: Final = "present"
NOT_IN_GROUP: Final = "not_in_group"


@dataclass(frozen=True)
class Membership:
    """Whether a pupil is in a group's lists on a day; when not, the nearest reason."""

    enrolled: bool
    left_on: date | None = None  # the latest departure on or before the day
    joins_on: date | None = None  # the next first day after the day


def membership(conn: sqlite3.Connection, pupil_id: int, group_id: int, day: date) -> Membership:
    rows = conn.execute(
        "SELECT first_day, left_on FROM enrolments WHERE pupil_id = ? AND group_id = ?",
        (pupil_id, group_id),
    ).fetchall()
    periods = [(date.fromisoformat(a), date.fromisoformat(b) if b else None) for a, b in rows]
    if any(enrolled_on(first, left, day) for first, left in periods):
        return Membership(True)
    left = [left for _, left in periods if left is not None and left <= day]
    joins = [first for first, _ in periods if first > day]
    return Membership(False, max(left, default=None), min(joins, default=None))


@dataclass(frozen=True)
class PresentMark:
    at: datetime
    source: str  # tap or hand


def present_mark(conn: sqlite3.Connection, session_id: int, pupil_id: int) -> PresentMark | None:
    row = conn.execute(
        "SELECT at, source FROM attendance WHERE session_id = ? AND pupil_id = ?"
        " AND status = 'present'",
        (session_id, pupil_id),
    ).fetchone()
    if row is None:
        return None
    return PresentMark(datetime.fromisoformat(row[0]).astimezone(UTC), str(row[1]))


def write_tap_mark(
    tx: Transaction, session_id: int, pupil_id: int, status: str, event_id: str
) -> None:
    """A tap's row, under the tap's event id (``present`` or ``not_in_group``)."""
    tx.execute(
        "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
        " VALUES (?, ?, ?, ?, 'tap', ?)",
        (session_id, pupil_id, tx.now(), status, event_id),
    )


# ---------------------------------------------------------------- by hand


def _session_or_refuse(conn: sqlite3.Connection, session_id: int) -> Session:
    session = find_session(conn, session_id)
    if session is None:
        raise InputError("there is no session number {session}", session=session_id)
    return session


def _registry_id(conn: sqlite3.Connection, pupil_id: int) -> str | None:
    row = conn.execute("SELECT registry_id FROM pupils WHERE id = ?", (pupil_id,)).fetchone()
    if row is None:
        raise InputError("there is no pupil number {pupil}", pupil=pupil_id)
    return str(row[0]) if row[0] is not None else None


def refuse_unless_member(member: Membership, day: date) -> None:
    """Say why a pupil not in the group's lists on ``day`` cannot be marked."""
    if member.enrolled:
        return
    if member.joins_on is not None and member.left_on is None:
        raise InputError(
            "the pupil joins the group on {first}: not in its lists on {day}",
            first=member.joins_on.isoformat(),
            day=day.isoformat(),
        )
    if member.left_on is not None:
        raise InputError(
            "the pupil left the group on {left} (departure date): not in its lists on {day}",
            left=member.left_on.isoformat(),
            day=day.isoformat(),
        )
    raise InputError("the pupil is not enrolled in this group")


def _emit_changed(
    tx: Transaction,
    session: Session,
    pupil_id: int,
    registry_id: str | None,
    change: str,
    at: str,
    event_id: str | None = None,
) -> str:
    return tx.emit(
        CHANGED,
        {
            "session_id": session.id,
            "group_id": session.group_id,
            "session_starts_at": utc(session.starts_at),
            "academic_hours": session.academic_hours,
            "pupil_id": pupil_id,
            "registry_id": registry_id,
            "change": change,
            "status": PRESENT,
            "source": "hand",
            "at": at,
        },
        event_id=event_id,
    )


def add_mark(tx: Transaction, session_id: int, pupil_id: int, user_id: int, tz: tzinfo) -> str:
    """The leader marks a pupil of the group present by hand; the change's event id."""
    conn = tx.conn
    session = _session_or_refuse(conn, session_id)
    registry_id = _registry_id(conn, pupil_id)
    day = session.day(tz)
    refuse_unless_member(membership(conn, pupil_id, session.group_id, day), day)
    found = present_mark(conn, session_id, pupil_id)
    if found is not None:
        raise InputError(
            "the pupil is already marked present in this session (at {time})",
            time=found.at.astimezone(tz).strftime("%H:%M"),
        )
    event_id = new_event_id()
    at = tx.now()
    tx.execute(
        "INSERT INTO attendance (session_id, pupil_id, at, status, source, user_id, event_id)"
        " VALUES (?, ?, ?, 'present', 'hand', ?, ?)",
        (session_id, pupil_id, at, user_id, event_id),
    )
    return _emit_changed(tx, session, pupil_id, registry_id, "added", at, event_id)


def remove_mark(tx: Transaction, session_id: int, pupil_id: int) -> str:
    """The leader takes a pupil's present mark away (a tap's or a hand's); the event id."""
    conn = tx.conn
    session = _session_or_refuse(conn, session_id)
    registry_id = _registry_id(conn, pupil_id)
    if present_mark(conn, session_id, pupil_id) is None:
        raise InputError("the pupil is not marked present in this session")
    tx.execute(
        "DELETE FROM attendance WHERE session_id = ? AND pupil_id = ? AND status = 'present'",
        (session_id, pupil_id),
    )
    return _emit_changed(tx, session, pupil_id, registry_id, "removed", tx.now())
