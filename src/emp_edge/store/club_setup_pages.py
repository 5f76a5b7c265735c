"""Reading the clubs' (NVŠ) setup: programmes, groups with their leaders and weekly schedule, the
users who may lead a group, and the classifiers as the pages show them.

Only staff names (the leaders) and counts are read here: no pupil's name leaves this module.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, time

from emp_edge.domain.clubs import Slot
from emp_edge.store import classifiers
from emp_edge.store.classifiers import Entry


@dataclass(frozen=True)
class Programme:
    id: int
    ktprr_code: str
    name: str
    purpose: str  # a purpose classifier code
    directions: tuple[str, ...]  # direction classifier codes


@dataclass(frozen=True)
class Group:
    id: int
    programme_id: int
    school_year: int
    name: str
    sub_directions: tuple[str, ...]  # sub-direction classifier codes
    leader_ids: tuple[int, ...]


@dataclass(frozen=True)
class ScheduleSlot:
    """A row of a group's weekly schedule."""

    id: int
    group_id: int
    slot: Slot
    terminal: str


def codes_of(text: str) -> tuple[str, ...]:
    """Classifier codes from a JSON list column."""
    return tuple(str(code) for code in json.loads(text))


def clock_of(text: str) -> time:
    """A school-time ``HH:MM`` column."""
    return time.fromisoformat(text)


def find_programme(conn: sqlite3.Connection, programme_id: int) -> Programme | None:
    row = conn.execute(
        "SELECT id, ktprr_code, name, purpose, directions FROM programmes WHERE id = ?",
        (programme_id,),
    ).fetchone()
    return None if row is None else Programme(row[0], row[1], row[2], row[3], codes_of(row[4]))


def all_programmes(conn: sqlite3.Connection) -> list[Programme]:
    rows = conn.execute(
        "SELECT id, ktprr_code, name, purpose, directions FROM programmes"
        " ORDER BY name COLLATE NOCASE, ktprr_code"
    )
    return [Programme(r[0], r[1], r[2], r[3], codes_of(r[4])) for r in rows]


def find_group(conn: sqlite3.Connection, group_id: int) -> Group | None:
    row = conn.execute(
        "SELECT id, programme_id, school_year, name, sub_directions FROM club_groups WHERE id = ?",
        (group_id,),
    ).fetchone()
    if row is None:
        return None
    leaders = conn.execute(
        "SELECT user_id FROM group_leaders WHERE group_id = ? ORDER BY user_id", (group_id,)
    )
    return Group(row[0], row[1], row[2], row[3], codes_of(row[4]), tuple(r[0] for r in leaders))


def schedule(conn: sqlite3.Connection, group_id: int) -> list[ScheduleSlot]:
    """A group's weekly slots, by day and start."""
    rows = conn.execute(
        "SELECT id, group_id, weekday, starts, ends, academic_hours, terminal"
        " FROM group_schedule WHERE group_id = ? ORDER BY weekday, starts, id",
        (group_id,),
    )
    return [
        ScheduleSlot(r[0], r[1], Slot(r[2], clock_of(r[3]), clock_of(r[4]), r[5]), r[6])
        for r in rows
    ]


# ---------------------------------------------------------------- the programmes page


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    groups: int  # groups in the school year asked about
    all_groups: int  # groups in every school year


def programme_rows(conn: sqlite3.Connection, year: int) -> list[ProgrammeRow]:
    """Every programme with how many groups it has in ``year`` and in all."""
    counts = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            "SELECT programme_id, sum(school_year = ?), count(*) FROM club_groups"
            " GROUP BY programme_id",
            (year,),
        )
    }
    return [ProgrammeRow(p, *counts.get(p.id, (0, 0))) for p in all_programmes(conn)]


@dataclass(frozen=True)
class GroupRow:
    """A group as the lists of groups show it."""

    id: int
    programme_id: int
    programme_name: str
    ktprr_code: str
    school_year: int
    name: str
    leaders: tuple[str, ...]  # full names
    slots: int  # weekly sessions


def group_rows(
    conn: sqlite3.Connection, *, year: int | None = None, programme_id: int | None = None
) -> list[GroupRow]:
    """The groups of a school year, or of a programme, or both; by programme and name."""
    rows = conn.execute(
        "SELECT g.id, g.programme_id, p.name, p.ktprr_code, g.school_year, g.name,"
        " (SELECT count(*) FROM group_schedule s WHERE s.group_id = g.id)"
        " FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
        " WHERE (? IS NULL OR g.school_year = ?) AND (? IS NULL OR g.programme_id = ?)"
        " ORDER BY g.school_year DESC, p.name COLLATE NOCASE, g.name COLLATE NOCASE",
        (year, year, programme_id, programme_id),
    ).fetchall()
    leaders = _leader_names(conn, [row[0] for row in rows])
    return [GroupRow(r[0], r[1], r[2], r[3], r[4], r[5], leaders.get(r[0], ()), r[6]) for r in rows]


def _leader_names(conn: sqlite3.Connection, group_ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for group_id, first, last in conn.execute(
        "SELECT l.group_id, u.first_name, u.last_name FROM group_leaders l"
        " JOIN users u ON u.id = l.user_id"
        " WHERE l.group_id IN (SELECT value FROM json_each(?))"
        " ORDER BY u.last_name, u.first_name",
        (json.dumps(group_ids),),
    ):
        found.setdefault(group_id, []).append(f"{first} {last}")
    return {group_id: tuple(names) for group_id, names in found.items()}


# ---------------------------------------------------------------- a group's page


@dataclass(frozen=True)
class Leader:
    """A user who leads, or may lead, a group."""

    user_id: int
    full_name: str
    username: str
    club_leader: bool
    disabled: bool


@dataclass(frozen=True)
class GroupPage:
    group: Group
    programme: Programme
    leaders: list[Leader]
    slots: list[ScheduleSlot]
    enrolled: int  # pupils in the group's lists on the day asked about


def group_page(conn: sqlite3.Connection, group_id: int, today: date) -> GroupPage | None:
    group = find_group(conn, group_id)
    if group is None:
        return None
    programme = find_programme(conn, group.programme_id)
    if programme is None:  # the foreign key keeps this from happening
        return None
    day = today.isoformat()
    enrolled = conn.execute(
        "SELECT count(DISTINCT pupil_id) FROM enrolments WHERE group_id = ? AND first_day <= ?"
        " AND (left_on IS NULL OR left_on > ?)",
        (group_id, day, day),
    ).fetchone()[0]
    leaders = [leader for leader in _users(conn) if leader.user_id in group.leader_ids]
    return GroupPage(group, programme, leaders, schedule(conn, group_id), int(enrolled))


def _users(conn: sqlite3.Connection) -> list[Leader]:
    rows = conn.execute(
        "SELECT id, first_name, last_name, username, club_leader, disabled FROM users"
        " ORDER BY last_name, first_name, username"
    )
    return [Leader(r[0], f"{r[1]} {r[2]}", r[3], bool(r[4]), bool(r[5])) for r in rows]


def leader_candidates(conn: sqlite3.Connection, keep: tuple[int, ...] = ()) -> list[Leader]:
    """Enabled club leaders, and the users in ``keep`` (a group's present leaders) whatever
    they are now, so that a form can show them."""
    return [
        leader
        for leader in _users(conn)
        if (leader.club_leader and not leader.disabled) or leader.user_id in keep
    ]


# ---------------------------------------------------------------- the classifiers


@dataclass(frozen=True)
class Direction:
    """A direction with its sub-directions, as the classifiers page and the forms list them."""

    entry: Entry
    sub_directions: tuple[Entry, ...]


def directions_tree(conn: sqlite3.Connection, *, with_retired: bool = False) -> list[Direction]:
    subs = classifiers.entries(conn, "sub_direction", with_retired=with_retired)
    return [
        Direction(entry, tuple(sub for sub in subs if sub.parent == entry.code))
        for entry in classifiers.entries(conn, "direction", with_retired=with_retired)
    ]
