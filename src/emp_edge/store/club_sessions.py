"""Club sessions (NVŠ): the session open at a club room's terminal, opening one by the group's
weekly schedule, and closing the sessions whose end has come. The leader's hand is in
``club_sessions_by_hand.py``, the attendance marks in ``club_marks.py``.

A session's start and end are whole minutes stored as UTC ISO text; a schedule's times are school
time. A session is *open* at its terminal from ``open_before`` ahead of its start until its end,
unless it was closed. A scheduled session is one row per slot and day (the unique index
``club_sessions_scheduled``): whoever opens it first — the schedule job, a tap or the leader —
writes it, the others find it. Every change emits its event here.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

from emp_edge.domain.school import school_year
from emp_edge.store.outbox import Transaction

log = logging.getLogger(__name__)

OPENED: Final = "nvs.session.opened"
CLOSED: Final = "nvs.session.closed"
CHANGED: Final = "nvs.attendance.changed"

SESSION_QUERY = (
    "SELECT s.id, s.group_id, g.name, p.name, g.school_year, s.starts_at, s.ends_at,"
    " s.academic_hours, s.terminal, s.schedule_id, s.opened_by, s.closed_at, s.closed_by"
    " FROM club_sessions s JOIN club_groups g ON g.id = s.group_id"
    " JOIN programmes p ON p.id = g.programme_id"
)


def utc(moment: datetime) -> str:
    """A moment as the sessions table keeps it: UTC ISO text."""
    return moment.astimezone(UTC).isoformat()


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Session:
    """A session of a group, with its group's and programme's names."""

    id: int
    group_id: int
    group_name: str
    programme_name: str
    school_year: int
    starts_at: datetime
    ends_at: datetime
    academic_hours: int
    terminal: str
    schedule_id: int | None
    opened_by: int | None
    closed_at: datetime | None
    closed_by: int | None

    def is_open(self, now: datetime) -> bool:
        return self.closed_at is None and now < self.ends_at

    def day(self, tz: tzinfo) -> date:
        """The school's date of the session: the day whose lists it takes."""
        return self.starts_at.astimezone(tz).date()


def session_from_row(row: tuple[object, ...]) -> Session:
    closed = row[11]
    return Session(
        id=int(str(row[0])),
        group_id=int(str(row[1])),
        group_name=str(row[2]),
        programme_name=str(row[3]),
        school_year=int(str(row[4])),
        starts_at=_moment(str(row[5])),
        ends_at=_moment(str(row[6])),
        academic_hours=int(str(row[7])),
        terminal=str(row[8]),
        schedule_id=row[9] if isinstance(row[9], int) else None,
        opened_by=row[10] if isinstance(row[10], int) else None,
        closed_at=_moment(closed) if isinstance(closed, str) else None,
        closed_by=row[12] if isinstance(row[12], int) else None,
    )


def find_session(conn: sqlite3.Connection, session_id: int) -> Session | None:
    row = conn.execute(SESSION_QUERY + " WHERE s.id = ?", (session_id,)).fetchone()
    return session_from_row(row) if row else None


def open_at(
    conn: sqlite3.Connection, terminal: str, now: datetime, open_before: timedelta
) -> list[Session]:
    """The sessions open at ``terminal`` at ``now``, earliest first (the partial index
    ``club_sessions_open`` answers it)."""
    rows = conn.execute(
        SESSION_QUERY + " WHERE s.terminal = ? AND s.closed_at IS NULL AND s.starts_at <= ?"
        " AND s.ends_at > ? ORDER BY s.starts_at, s.id",
        (terminal, utc(now + open_before), utc(now)),
    )
    return [session_from_row(row) for row in rows]


# ---------------------------------------------------------------- the weekly schedule


@dataclass(frozen=True)
class ScheduledSlot:
    """A weekly session of a group (``group_schedule``), in school time."""

    id: int
    group_id: int
    weekday: int
    starts: time
    ends: time
    academic_hours: int
    terminal: str

    def span(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """Its start and end on ``day``, as aware moments."""
        return (
            datetime.combine(day, self.starts, tzinfo=tz),
            datetime.combine(day, self.ends, tzinfo=tz),
        )


_SLOT = (
    "SELECT gs.id, gs.group_id, gs.weekday, gs.starts, gs.ends, gs.academic_hours, gs.terminal"
    " FROM group_schedule gs JOIN club_groups g ON g.id = gs.group_id"
)


def _slot(row: tuple[object, ...]) -> ScheduledSlot:
    return ScheduledSlot(
        id=int(str(row[0])),
        group_id=int(str(row[1])),
        weekday=int(str(row[2])),
        starts=time.fromisoformat(str(row[3])),
        ends=time.fromisoformat(str(row[4])),
        academic_hours=int(str(row[5])),
        terminal=str(row[6]),
    )


def slots_on(
    conn: sqlite3.Connection, day: date, *, terminal: str | None = None, group_id: int | None = None
) -> list[ScheduledSlot]:
    """The slots of ``day``'s weekday of the groups of that day's school year, at a terminal or
    of a group, by start."""
    sql = _SLOT + " WHERE gs.weekday = ? AND g.school_year = ?"
    params: list[object] = [day.isoweekday(), school_year(day)]
    if terminal is not None:
        sql += " AND gs.terminal = ?"
        params.append(terminal)
    if group_id is not None:
        sql += " AND gs.group_id = ?"
        params.append(group_id)
    rows = conn.execute(sql + " ORDER BY gs.starts, gs.id", params)
    return [_slot(row) for row in rows]


def is_due(slot: ScheduledSlot, now: datetime, tz: tzinfo, open_before: timedelta) -> bool:
    """The slot's session of today is open now: from ``open_before`` ahead of it to its end."""
    starts, ends = slot.span(now.astimezone(tz).date(), tz)
    return starts - open_before <= now < ends


def scheduled_session(conn: sqlite3.Connection, slot_id: int, starts: datetime) -> Session | None:
    row = conn.execute(
        SESSION_QUERY + " WHERE s.schedule_id = ? AND s.starts_at = ?", (slot_id, utc(starts))
    ).fetchone()
    return session_from_row(row) if row else None


def group_spans(
    conn: sqlite3.Connection, group_id: int, starts: datetime, ends: datetime
) -> list[tuple[datetime, datetime]]:
    """The group's sessions overlapping ``starts``–``ends`` (closed ones too)."""
    rows = conn.execute(
        "SELECT starts_at, ends_at FROM club_sessions WHERE group_id = ? AND starts_at < ?"
        " AND ends_at > ?",
        (group_id, utc(ends), utc(starts)),
    )
    return [(_moment(a), _moment(b)) for a, b in rows]


def open_scheduled(
    tx: Transaction,
    terminal: str,
    now: datetime,
    tz: tzinfo,
    open_before: timedelta,
    *,
    how: str = "schedule",
) -> list[Session]:
    """Open the sessions of the slots at ``terminal`` due now that have none yet; the ones
    opened. A slot whose group already has a session at that time (an extra one) is left."""
    opened: list[Session] = []
    for slot in slots_on(tx.conn, now.astimezone(tz).date(), terminal=terminal):
        if not is_due(slot, now, tz, open_before):
            continue
        starts, ends = slot.span(now.astimezone(tz).date(), tz)
        if scheduled_session(tx.conn, slot.id, starts) is not None:
            continue
        if group_spans(tx.conn, slot.group_id, starts, ends):
            log.info("scheduled club session left: the group has one then slot=%d", slot.id)
            continue
        hours = slot.academic_hours
        opened.append(insert_session(tx, slot.group_id, starts, ends, hours, terminal, slot.id,
                                     None, how))  # fmt: skip
    return opened


def insert_session(
    tx: Transaction,
    group_id: int,
    starts: datetime,
    ends: datetime,
    hours: int,
    terminal: str,
    schedule_id: int | None,
    user_id: int | None,
    how: str,
) -> Session:
    cursor = tx.execute(
        "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours, opened_by,"
        " terminal, schedule_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (group_id, utc(starts), utc(ends), hours, user_id, terminal, schedule_id),
    )
    session = find_session(tx.conn, int(cursor.lastrowid or 0))
    assert session is not None
    emit_opened(tx, session, how)
    return session


def emit_opened(tx: Transaction, session: Session, how: str) -> None:
    """``how``: schedule (the job), tap, hand (the leader) or reopened (after closing early)."""
    tx.emit(
        OPENED,
        {
            "session_id": session.id,
            "group_id": session.group_id,
            "schedule_id": session.schedule_id,
            "terminal": session.terminal,
            "starts_at": utc(session.starts_at),
            "ends_at": utc(session.ends_at),
            "academic_hours": session.academic_hours,
            "how": how,
        },
    )


# ---------------------------------------------------------------- closing


def present_count(conn: sqlite3.Connection, session_id: int) -> int:
    """How many pupils are marked present in the session."""
    row = conn.execute(
        "SELECT count(*) FROM attendance WHERE session_id = ? AND status = 'present'",
        (session_id,),
    ).fetchone()
    return int(row[0])


def emit_closed(tx: Transaction, session_id: int, how: str) -> None:
    session = find_session(tx.conn, session_id)
    assert session is not None
    assert session.closed_at is not None
    tx.emit(
        CLOSED,
        {
            "session_id": session.id,
            "group_id": session.group_id,
            "closed_at": utc(session.closed_at),
            "how": how,
            "present": present_count(tx.conn, session_id),
        },
    )


def close_ended(tx: Transaction, now: datetime) -> list[int]:
    """Close every session whose end has come, at its end; the sessions closed."""
    ended = [
        int(row[0])
        for row in tx.execute(
            # the open ones only, from the partial index: not the whole year's sessions
            "SELECT id FROM club_sessions INDEXED BY club_sessions_open"
            " WHERE closed_at IS NULL AND ends_at <= ? ORDER BY id",
            (utc(now),),
        )
    ]
    for session_id in ended:
        tx.execute(
            "UPDATE club_sessions SET closed_at = ends_at WHERE id = ? AND closed_at IS NULL",
            (session_id,),
        )
        emit_closed(tx, session_id, "end")
    return ended
