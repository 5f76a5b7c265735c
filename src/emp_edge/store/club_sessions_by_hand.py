"""Club sessions by the leader's hand: open today's scheduled session of a group (from
``open_before`` ahead of it, again after closing it early), open an extra one from now, close one.

Refused, with the reason and before anything is written: a group of another school year, a
session overlapping another of the same group (``domain.clubs.check_session_fits``), or another
session open at the same terminal then. Each change emits its event (``store/club_sessions.py``);
the web adds its audit row in the same transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from emp_edge.domain.clubs import MAX_ACADEMIC_HOURS, check_session_fits, times_overlap
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import InputError
from emp_edge.store.club_sessions import (
    SESSION_QUERY,
    Session,
    emit_closed,
    emit_opened,
    find_session,
    group_spans,
    insert_session,
    is_due,
    scheduled_session,
    session_from_row,
    slots_on,
    utc,
)
from emp_edge.store.outbox import Transaction


@dataclass(frozen=True)
class GroupOfYear:
    id: int
    name: str
    school_year: int


def _group_of_this_year(conn: sqlite3.Connection, group_id: int, today: date) -> GroupOfYear:
    row = conn.execute(
        "SELECT id, name, school_year FROM club_groups WHERE id = ?", (group_id,)
    ).fetchone()
    if row is None:
        raise InputError("there is no group number {group}", group=group_id)
    group = GroupOfYear(int(row[0]), str(row[1]), int(row[2]))
    if group.school_year != school_year(today):
        raise InputError(
            "the group {group} is of the school year {year}: its sessions are over",
            group=group.name,
            year=school_year_label(group.school_year),
        )
    return group


def _check_terminal_free(
    conn: sqlite3.Connection, terminal: str, starts: datetime, ends: datetime, now: datetime
) -> None:
    """Refuse a session overlapping another open session at the same terminal."""
    rows = conn.execute(
        SESSION_QUERY + " WHERE s.terminal = ? AND s.closed_at IS NULL AND s.ends_at > ?",
        (terminal, utc(now)),
    )
    for other in map(session_from_row, rows):
        if times_overlap(starts, ends, other.starts_at, other.ends_at):
            raise InputError(
                "the terminal {terminal} already has a session of {group} open until {ends}",
                terminal=terminal,
                group=other.group_name,
                ends=_clock(other.ends_at, starts.tzinfo),
            )


def _clock(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def open_slot_by_hand(
    tx: Transaction,
    group_id: int,
    user_id: int,
    now: datetime,
    tz: tzinfo,
    open_before: timedelta,
) -> Session:
    """The leader opens today's scheduled session of the group (it must be due now); a session
    the leader closed before its end is opened again."""
    conn = tx.conn
    today = now.astimezone(tz).date()
    _group_of_this_year(conn, group_id, today)
    slots = slots_on(conn, today, group_id=group_id)
    due = [slot for slot in slots if is_due(slot, now, tz, open_before)]
    if not due:
        later = [slot for slot in slots if slot.span(today, tz)[0] - open_before > now]
        if later:
            starts = later[0].span(today, tz)[0]
            raise InputError(
                "today's session of the group starts at {starts}: it can be opened from {opens}",
                starts=_clock(starts, tz),
                opens=_clock(starts - open_before, tz),
            )
        raise InputError("the group has no session scheduled now: open an extra session")
    slot = due[0]
    starts, ends = slot.span(today, tz)
    found = scheduled_session(conn, slot.id, starts)
    if found is not None and found.closed_at is None:
        raise InputError("today's session of the group is already open")
    if found is not None:
        _check_terminal_free(conn, found.terminal, starts, ends, now)
        tx.execute(
            "UPDATE club_sessions SET closed_at = NULL, closed_by = NULL WHERE id = ?",
            (found.id,),
        )
        session = find_session(conn, found.id)
        assert session is not None
        emit_opened(tx, session, "reopened")
        return session
    check_session_fits(starts, ends, group_spans(conn, group_id, starts, ends))
    _check_terminal_free(conn, slot.terminal, starts, ends, now)
    return insert_session(tx, group_id, starts, ends, slot.academic_hours, slot.terminal, slot.id,
                   user_id, "hand")  # fmt: skip


def open_extra(
    tx: Transaction,
    group_id: int,
    user_id: int,
    now: datetime,
    tz: tzinfo,
    *,
    terminal: str,
    academic_hours: int,
    ends: time,
) -> Session:
    """An extra session of the group from now (to the minute) until ``ends`` today, at a club
    room's terminal; it may not overlap the group's sessions or today's slots, nor another
    open session at the terminal."""
    conn = tx.conn
    local = now.astimezone(tz)
    today = local.date()
    _group_of_this_year(conn, group_id, today)
    if not terminal:
        raise InputError("choose the club room's terminal")
    if not 1 <= academic_hours <= MAX_ACADEMIC_HOURS:
        raise InputError("a session lasts 1 to {max} academic hours", max=MAX_ACADEMIC_HOURS)
    starts = local.replace(second=0, microsecond=0)
    until = datetime.combine(today, ends, tzinfo=tz)
    if until <= now:
        raise InputError("the session must end later than now ({now})", now=local.strftime("%H:%M"))
    others = group_spans(conn, group_id, starts, until)
    others += [slot.span(today, tz) for slot in slots_on(conn, today, group_id=group_id)]
    check_session_fits(starts, until, others)
    _check_terminal_free(conn, terminal, starts, until, now)
    return insert_session(
        tx, group_id, starts, until, academic_hours, terminal, None, user_id, "hand"
    )


def close_by_hand(tx: Transaction, session_id: int, user_id: int, now: datetime) -> Session:
    """The leader closes the session now (or at its end, if that has passed)."""
    session = find_session(tx.conn, session_id)
    if session is None:
        raise InputError("there is no session number {session}", session=session_id)
    if session.closed_at is not None:
        raise InputError("the session is already closed")
    closed = min(now, session.ends_at)
    tx.execute(
        "UPDATE club_sessions SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL",
        (utc(closed), user_id, session_id),
    )
    emit_closed(tx, session_id, "hand")
    found = find_session(tx.conn, session_id)
    assert found is not None
    return found
