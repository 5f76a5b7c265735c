"""A club group's weekly schedule: the slots in which it meets at a club room's terminal.

A slot keeps to the rules of ``domain.clubs`` (hours that fit, no overlap within the group), and
no two groups of a school year meet at one terminal at once: a tap there must name one session.
Each change emits ``nvs.group.schedule_changed`` with the group's whole week; the caller adds the
audit row in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from emp_edge.domain import clubs
from emp_edge.domain.clubs import Slot
from emp_edge.errors import InputError
from emp_edge.store.club_setup_pages import Group, ScheduleSlot, clock_of, find_group, schedule
from emp_edge.store.outbox import Transaction


def check_terminal_free(
    conn: sqlite3.Connection, year: int, slot: Slot, terminal: str, group_id: int, where: str
) -> None:
    """A tap at a terminal names one session: no other group of the school year meets there
    at an overlapping time of the same day."""
    rows = conn.execute(
        "SELECT g.name, p.name, s.starts, s.ends FROM group_schedule s"
        " JOIN club_groups g ON g.id = s.group_id JOIN programmes p ON p.id = g.programme_id"
        " WHERE s.terminal = ? AND s.weekday = ? AND g.school_year = ? AND g.id <> ?"
        " ORDER BY s.starts",
        (terminal, slot.weekday, year, group_id),
    )
    for group_name, programme_name, starts, ends in rows:
        if clubs.times_overlap(slot.starts, slot.ends, clock_of(starts), clock_of(ends)):
            raise InputError(
                "the terminal {terminal} is taken on that day {starts}–{ends} by the group"
                " {group} ({programme})",
                where=where,
                terminal=terminal,
                starts=starts,
                ends=ends,
                group=group_name,
                programme=programme_name,
            )


def _check_slot(slot: Slot, others: list[Slot]) -> None:
    """The slot's own rules, then its fit in the group's week, each error at its field."""
    where = "starts"
    if not 1 <= slot.weekday <= 7:
        where = "weekday"
    elif slot.starts >= slot.ends:
        where = "ends"
    elif not 1 <= slot.academic_hours <= clubs.MAX_ACADEMIC_HOURS:
        where = "academic_hours"
    try:
        clubs.check_slot(slot)
    except InputError as err:
        raise InputError(err.template, where=where, **err.params) from None
    try:
        clubs.check_slot_length(slot)
    except InputError as err:
        raise InputError(err.template, where="academic_hours", **err.params) from None
    try:
        clubs.check_slot_fits(slot, others)
    except InputError as err:
        raise InputError(err.template, where="starts", **err.params) from None


def _schedule_changed(tx: Transaction, group: Group, change: str, slot_id: int) -> None:
    tx.emit(
        "nvs.group.schedule_changed",
        {
            "group_id": group.id,
            "school_year": group.school_year,
            "change": change,
            "slot_id": slot_id,
            "slots": [
                {
                    "slot_id": row.id,
                    "weekday": row.slot.weekday,
                    "starts": row.slot.starts.strftime("%H:%M"),
                    "ends": row.slot.ends.strftime("%H:%M"),
                    "academic_hours": row.slot.academic_hours,
                    "terminal": row.terminal,
                }
                for row in schedule(tx.conn, group.id)
            ],
        },
    )


def add_slot(
    tx: Transaction, group_id: int, slot: Slot, terminal: str, club_terminals: Collection[str]
) -> ScheduleSlot:
    """A weekly session of the group at one of the box's club terminals (``club_terminals``):
    not overlapping the group's other slots, nor another group's slot at that terminal."""
    group = find_group(tx.conn, group_id)
    if group is None:
        raise InputError("there is no group number {group}", where="group", group=group_id)
    _check_slot(slot, [row.slot for row in schedule(tx.conn, group_id)])
    if not club_terminals:
        raise InputError(
            "no club terminal is set up: add one with the role club to terminal.readers in"
            " the settings",
            where="terminal",
        )
    if terminal not in club_terminals:
        raise InputError(
            "{terminal} is not a club terminal of this box", where="terminal", terminal=terminal
        )
    check_terminal_free(tx.conn, group.school_year, slot, terminal, group_id, "starts")
    cursor = tx.execute(
        "INSERT INTO group_schedule (group_id, weekday, starts, ends, academic_hours, terminal)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            group_id,
            slot.weekday,
            slot.starts.strftime("%H:%M"),
            slot.ends.strftime("%H:%M"),
            slot.academic_hours,
            terminal,
        ),
    )
    added = ScheduleSlot(int(cursor.lastrowid or 0), group_id, slot, terminal)
    _schedule_changed(tx, group, "added", added.id)
    return added


def remove_slot(tx: Transaction, group_id: int, slot_id: int) -> ScheduleSlot:
    """Take a slot off the group's schedule. Sessions held by it stay, with their own times and
    hours, no longer tied to the slot; while one of them is open the slot stays."""
    group = find_group(tx.conn, group_id)
    if group is None:
        raise InputError("there is no group number {group}", where="group", group=group_id)
    found = next((row for row in schedule(tx.conn, group_id) if row.id == slot_id), None)
    if found is None:
        raise InputError("the group has no schedule slot number {slot}", where="slot", slot=slot_id)
    open_now = tx.conn.execute(
        "SELECT 1 FROM club_sessions WHERE schedule_id = ? AND closed_at IS NULL", (slot_id,)
    ).fetchone()
    if open_now is not None:
        raise InputError(
            "a session of this slot is open now: close it before removing the slot", where="slot"
        )
    tx.execute("UPDATE club_sessions SET schedule_id = NULL WHERE schedule_id = ?", (slot_id,))
    tx.execute("DELETE FROM group_schedule WHERE id = ?", (slot_id,))
    _schedule_changed(tx, group, "removed", slot_id)
    return found
