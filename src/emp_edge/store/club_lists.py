"""Reading the clubs (NVŠ) for the clubs page: programmes, groups, attendance per month, funding.

Session moments are UTC ISO text; a month is the school's calendar month, turned into UTC bounds
in the school's time zone. Only counts are read here: no pupil's name leaves this module.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Final

from emp_edge.domain.clubs import FUNDING_KINDS

MARK_STATES: Final = ("local", "accepted", "rejected")


@dataclass(frozen=True)
class Month:
    """A calendar month of the school: its first day and the first day of the next."""

    first: date
    after: date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")


def month_of(day: date) -> Month:
    after = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return Month(day.replace(day=1), after)


def months_between(first: date, last: date) -> list[Month]:
    """The months from the one holding ``first`` to the one holding ``last``, in order."""
    months: list[Month] = []
    month = month_of(first)
    while month.first <= last:
        months.append(month)
        month = month_of(month.after)
    return months


def _utc(day: date, tz: tzinfo) -> str:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Programme:
    id: int
    ktprr_code: str
    name: str
    purpose: str
    groups: int  # groups in the school year asked about


@dataclass(frozen=True)
class Group:
    id: int
    programme_code: str
    programme_name: str
    name: str
    enrolled: int  # enrolled on the day asked about
    leaders: list[str]  # full names of the leaders
    sessions: int  # sessions that started in the month asked about


@dataclass(frozen=True)
class MonthAttendance:
    group_id: int
    group_name: str
    programme_name: str
    month: str  # yyyy-mm
    sessions: int
    hours: int  # academic hours of those sessions
    marks: int  # pupils marked present


def programmes(conn: sqlite3.Connection, school_year: int) -> list[Programme]:
    rows = conn.execute(
        "SELECT p.id, p.ktprr_code, p.name, p.purpose,"
        " (SELECT count(*) FROM club_groups g WHERE g.programme_id = p.id AND g.school_year = ?)"
        " FROM programmes p ORDER BY p.name, p.ktprr_code",
        (school_year,),
    )
    return [Programme(int(i), code, name, purpose, int(n)) for i, code, name, purpose, n in rows]


def groups(
    conn: sqlite3.Connection, school_year: int, today: date, month: Month, tz: tzinfo
) -> list[Group]:
    """The groups of a school year with their enrolled count, leaders and sessions in ``month``."""
    rows = conn.execute(
        "SELECT g.id, p.ktprr_code, p.name, g.name,"
        " (SELECT count(DISTINCT e.pupil_id) FROM enrolments e WHERE e.group_id = g.id"
        "  AND e.first_day <= :today AND (e.left_on IS NULL OR e.left_on > :today)),"
        " (SELECT count(*) FROM club_sessions s WHERE s.group_id = g.id"
        "  AND s.starts_at >= :since AND s.starts_at < :before)"
        " FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
        " WHERE g.school_year = :year ORDER BY p.name, g.name",
        {
            "today": today.isoformat(),
            "since": _utc(month.first, tz),
            "before": _utc(month.after, tz),
            "year": school_year,
        },
    ).fetchall()
    leaders: dict[int, list[str]] = {}
    for group_id, name in conn.execute(
        "SELECT l.group_id, u.first_name || ' ' || u.last_name FROM group_leaders l"
        " JOIN users u ON u.id = l.user_id JOIN club_groups g ON g.id = l.group_id"
        " WHERE g.school_year = ? ORDER BY u.last_name, u.first_name",
        (school_year,),
    ):
        leaders.setdefault(int(group_id), []).append(name)
    return [
        Group(int(i), code, programme, name, int(enrolled), leaders.get(int(i), []), int(held))
        for i, code, programme, name, enrolled, held in rows
    ]


def attendance_by_month(
    conn: sqlite3.Connection, school_year: int, months: Sequence[Month], tz: tzinfo
) -> list[MonthAttendance]:
    """Per group of the school year and month: sessions held, their hours and presence marks.

    Months in which a group held no session are left out.
    """
    if not months:
        return []
    values = ", ".join("(?, ?, ?)" for _ in months)
    params: list[object] = []
    for month in months:
        params += [month.label, _utc(month.first, tz), _utc(month.after, tz)]
    rows = conn.execute(
        f"WITH months(label, since, before) AS (VALUES {values})"  # noqa: S608 (placeholders only)
        " SELECT g.id, g.name, p.name, m.label, count(s.id), coalesce(sum(s.academic_hours), 0),"
        " coalesce(sum((SELECT count(*) FROM attendance a WHERE a.session_id = s.id"
        "  AND a.status = 'present')), 0)"
        " FROM club_groups g JOIN programmes p ON p.id = g.programme_id CROSS JOIN months m"
        " JOIN club_sessions s ON s.group_id = g.id AND s.starts_at >= m.since"
        "  AND s.starts_at < m.before"
        " WHERE g.school_year = ? GROUP BY g.id, m.label ORDER BY p.name, g.name, m.label",
        (*params, school_year),
    )
    return [
        MonthAttendance(int(i), name, programme, label, int(n), int(hours), int(marks))
        for i, name, programme, label, n, hours, marks in rows
    ]


def funding_marks(
    conn: sqlite3.Connection, school_year: int, kinds: Collection[str]
) -> dict[str, dict[str, int]]:
    """Kind → state → how many funding marks the enrolments of the school year carry.

    Only the ``kinds`` asked for are read (the basket is shown to those with the basket right).
    """
    wanted = [kind for kind in FUNDING_KINDS if kind in kinds]
    found: dict[str, dict[str, int]] = {kind: dict.fromkeys(MARK_STATES, 0) for kind in wanted}
    rows = conn.execute(
        "SELECT f.kind, f.state, count(*) FROM funding_marks f"
        " JOIN enrolments e ON e.id = f.enrolment_id JOIN club_groups g ON g.id = e.group_id"
        " WHERE g.school_year = ? GROUP BY f.kind, f.state",
        (school_year,),
    )
    for kind, state, count in rows:
        if kind in found:
            found[kind][state] = int(count)
    return found
