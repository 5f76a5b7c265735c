"""What the club leader's pages read: the groups one leads, a group's sessions, a session's marks
and the pupils in a group's lists on a day."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

from emp_edge.store.club_sessions import SESSION_QUERY, Session, session_from_row


@dataclass(frozen=True)
class LedGroup:
    id: int
    name: str
    programme_name: str


def leads(conn: sqlite3.Connection, user_id: int, group_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM group_leaders WHERE user_id = ? AND group_id = ?", (user_id, group_id)
    ).fetchone()
    return row is not None


def groups_of_year(
    conn: sqlite3.Connection, year: int, leader_id: int | None = None
) -> list[LedGroup]:
    """The school year's groups (only those ``leader_id`` leads, when given), by name."""
    sql = (
        "SELECT g.id, g.name, p.name FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
        " WHERE g.school_year = ?"
    )
    params: list[object] = [year]
    if leader_id is not None:
        sql += " AND g.id IN (SELECT group_id FROM group_leaders WHERE user_id = ?)"
        params.append(leader_id)
    rows = conn.execute(sql + " ORDER BY g.name COLLATE NOCASE, p.name, g.id", params)
    return [LedGroup(int(a), str(b), str(c)) for a, b, c in rows]


def group_name(conn: sqlite3.Connection, group_id: int) -> str | None:
    row = conn.execute("SELECT name FROM club_groups WHERE id = ?", (group_id,)).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True)
class SessionLine:
    session: Session
    present: int


def recent_sessions(conn: sqlite3.Connection, group_id: int, limit: int = 10) -> list[SessionLine]:
    """The group's latest sessions with how many were present, newest first."""
    rows = conn.execute(
        "SELECT s.id, (SELECT count(*) FROM attendance a WHERE a.session_id = s.id"
        " AND a.status = 'present') FROM club_sessions s WHERE s.group_id = ?"
        " ORDER BY s.starts_at DESC, s.id DESC LIMIT ?",
        (group_id, limit),
    ).fetchall()
    counts = {int(a): int(b) for a, b in rows}
    if not counts:
        return []
    marks = ",".join("?" * len(counts))
    found = conn.execute(
        SESSION_QUERY + f" WHERE s.id IN ({marks}) ORDER BY s.starts_at DESC, s.id DESC",
        tuple(counts),
    )
    return [SessionLine(session, counts[session.id]) for session in map(session_from_row, found)]


@dataclass(frozen=True)
class MarkLine:
    """A pupil's row on a session page."""

    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    at: datetime
    source: str  # tap or hand
    taps: int = 1  # for "not in this group": how many times the pupil tapped

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


_PUPIL = (
    " FROM attendance a JOIN pupils p ON p.id = a.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
)


def present_list(conn: sqlite3.Connection, session_id: int) -> list[MarkLine]:
    rows = conn.execute(
        "SELECT a.pupil_id, p.first_name, p.last_name, coalesce(k.label, ''), a.at, a.source"
        + _PUPIL
        + " WHERE a.session_id = ? AND a.status = 'present'"
        " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, a.pupil_id",
        (session_id,),
    )
    return [
        MarkLine(int(r[0]), str(r[1]), str(r[2]), str(r[3]), _moment(r[4]), str(r[5])) for r in rows
    ]


def not_in_group_taps(conn: sqlite3.Connection, session_id: int) -> list[MarkLine]:
    """Pupils who tapped but are not in the group: once each, with the first tap's time."""
    rows = conn.execute(
        "SELECT a.pupil_id, p.first_name, p.last_name, coalesce(k.label, ''), min(a.at),"
        " count(*)" + _PUPIL + " WHERE a.session_id = ? AND a.status = 'not_in_group'"
        " GROUP BY a.pupil_id ORDER BY min(a.at)",
        (session_id,),
    )
    return [
        MarkLine(int(r[0]), str(r[1]), str(r[2]), str(r[3]), _moment(r[4]), "tap", int(r[5]))
        for r in rows
    ]


@dataclass(frozen=True)
class GroupPupil:
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def enrolled_pupils(conn: sqlite3.Connection, group_id: int, day: date) -> list[GroupPupil]:
    """The pupils in the group's lists on ``day``, by name."""
    rows = conn.execute(
        "SELECT DISTINCT p.id, p.first_name, p.last_name, coalesce(k.label, '')"
        " FROM enrolments e JOIN pupils p ON p.id = e.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE e.group_id = ? AND e.first_day <= ? AND (e.left_on IS NULL OR e.left_on > ?)"
        " ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
        (group_id, day.isoformat(), day.isoformat()),
    )
    return [GroupPupil(int(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def _moment(text: object) -> datetime:
    return datetime.fromisoformat(str(text)).astimezone(UTC)
