"""The monthly attendance report of the clubs (NVŠ): per group and pupil, the sessions held and
attended, the academic hours attended, and whether the month is fundable from the basket under
the municipality's rule (SPEC §4.5).

A session belongs to the month in which it started, in school time (one at 00:30 on the 1st
is the new month's). Only ``present`` marks count, and only on days the pupil was in the group's
lists (``domain.clubs.enrolled_on``): a ``not_in_group`` tap never counts, nor does a mark left
for a day after the pupil's departure. Sending a group's month to the registry writes the
``nvs.attendance.monthly`` event (pupil ids and registry ids, never a name); a month may be sent
again as a correction, and ``club_month_reports`` remembers every sending.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, Final

from emp_edge.domain.clubs import BASKET, FundingRule, enrolled_on
from emp_edge.domain.lithuanian import name_order
from emp_edge.domain.school import school_year
from emp_edge.errors import InputError
from emp_edge.store.club_lists import Month, month_of
from emp_edge.store.outbox import Transaction

ATTENDANCE_MONTHLY: Final = "nvs.attendance.monthly"
"""The outbox event type of a group's month sent to the registry (docs/sync-contract.md)."""
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class PupilMonth:
    pupil_id: int
    name: str  # "Vardas Pavardė"
    class_label: str
    sessions_attended: int
    hours: int  # academic hours attended (sum of the attended sessions' academic_hours)
    fundable: bool  # FundingRule.fundable(hours, sessions_attended)
    basket: bool  # the pupil's enrolment in this group carries a basket mark not rejected


@dataclass(frozen=True)
class GroupMonth:
    group_id: int
    group_name: str
    programme_name: str
    month: str  # yyyy-mm
    sessions_held: int  # sessions started in the month (school time) with someone present
    hours_held: int
    pupils: list[PupilMonth]  # every pupil enrolled in the group on some day of the month

    @property
    def funded(self) -> int:
        """Pupils with the basket whose month is fundable: what the basket pays for."""
        return sum(1 for p in self.pupils if p.basket and p.fundable)


def parse_month(text: str) -> Month:
    """A month written yyyy-mm."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise InputError("{text!r} is not a month yyyy-mm", text=text.strip())
    return month_of(date(int(found[1]), int(found[2]), 1))


def _utc(day: date, tz: tzinfo) -> str:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).isoformat()


def _day(moment: str, tz: tzinfo) -> date:
    return datetime.fromisoformat(moment).astimezone(tz).date()


@dataclass
class _Pupil:
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    periods: list[tuple[date, date | None]]
    basket: bool = False


def month_report(
    conn: sqlite3.Connection,
    month: Month,
    tz: tzinfo,
    rule: FundingRule,
    group_id: int | None = None,
) -> list[GroupMonth]:
    """Each group of the month's school year (or the one asked for), by programme and group
    name, with its sessions of the month and every pupil enrolled on some day of it."""
    since, before = _utc(month.first, tz), _utc(month.after, tz)
    groups = conn.execute(
        "SELECT g.id, g.name, p.name FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
        " WHERE (:group IS NULL AND (g.school_year = :year OR EXISTS (SELECT 1 FROM club_sessions"
        "  s WHERE s.group_id = g.id AND s.starts_at >= :since AND s.starts_at < :before)))"
        " OR g.id = :group ORDER BY p.name, g.name, g.id",
        {"group": group_id, "year": school_year(month.first), "since": since, "before": before},
    ).fetchall()
    return [
        _group_month(conn, int(gid), name, programme, month, tz, rule, since, before)
        for gid, name, programme in groups
    ]


def _group_month(
    conn: sqlite3.Connection,
    group_id: int,
    group_name: str,
    programme_name: str,
    month: Month,
    tz: tzinfo,
    rule: FundingRule,
    since: str,
    before: str,
) -> GroupMonth:
    sessions = {
        int(sid): (_day(starts, tz), int(hours))
        for sid, starts, hours in conn.execute(
            "SELECT id, starts_at, academic_hours FROM club_sessions"
            " WHERE group_id = ? AND starts_at >= ? AND starts_at < ?",
            (group_id, since, before),
        )
    }
    pupils = _enrolled(conn, group_id, month)
    attended: dict[int, set[int]] = {}
    held: set[int] = set()  # a session nobody was marked present in (a holiday) was not held
    for session_id, pupil_id in conn.execute(
        "SELECT a.session_id, a.pupil_id FROM attendance a JOIN club_sessions s"
        " ON s.id = a.session_id WHERE s.group_id = ? AND s.starts_at >= ? AND s.starts_at < ?"
        " AND a.status = 'present'",
        (group_id, since, before),
    ):
        held.add(int(session_id))
        pupil = pupils.get(int(pupil_id))
        day = sessions[int(session_id)][0]
        if pupil and any(enrolled_on(first, left, day) for first, left in pupil.periods):
            attended.setdefault(pupil.pupil_id, set()).add(int(session_id))
    rows = []
    for pupil in sorted(pupils.values(), key=lambda p: name_order(p.last_name, p.first_name)):
        mine = attended.get(pupil.pupil_id, set())
        hours = sum(sessions[sid][1] for sid in mine)
        rows.append(
            PupilMonth(
                pupil.pupil_id,
                f"{pupil.first_name} {pupil.last_name}",
                pupil.class_label,
                len(mine),
                hours,
                rule.fundable(hours, len(mine)),
                pupil.basket,
            )
        )
    return GroupMonth(
        group_id,
        group_name,
        programme_name,
        month.label,
        len(held),
        sum(sessions[sid][1] for sid in held),
        rows,
    )


def _enrolled(conn: sqlite3.Connection, group_id: int, month: Month) -> dict[int, _Pupil]:
    """The pupils in the group's lists on some day of the month, with their periods there."""
    pupils: dict[int, _Pupil] = {}
    for pupil_id, first_name, last_name, label, first_day, left_on, basket in conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(c.label, ''), e.first_day, e.left_on,"
        " EXISTS (SELECT 1 FROM funding_marks f WHERE f.enrolment_id = e.id"
        "  AND f.kind = ? AND f.state <> 'rejected')"
        " FROM enrolments e JOIN pupils p ON p.id = e.pupil_id"
        " LEFT JOIN classes c ON c.id = p.class_id"
        " WHERE e.group_id = ? AND e.first_day < ?"
        " AND (e.left_on IS NULL OR (e.left_on > ? AND e.left_on > e.first_day))",
        (BASKET, group_id, month.after.isoformat(), month.first.isoformat()),
    ):
        pupil = pupils.setdefault(
            int(pupil_id), _Pupil(int(pupil_id), first_name, last_name, label, [])
        )
        pupil.periods.append(
            (date.fromisoformat(first_day), date.fromisoformat(left_on) if left_on else None)
        )
        pupil.basket = pupil.basket or bool(basket)
    return pupils


@dataclass(frozen=True)
class GroupChoice:
    id: int
    name: str
    programme_name: str


def groups_of_year(conn: sqlite3.Connection, year: int) -> list[GroupChoice]:
    """The school year's groups, to choose one from."""
    rows = conn.execute(
        "SELECT g.id, g.name, p.name FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
        " WHERE g.school_year = ? ORDER BY p.name, g.name, g.id",
        (year,),
    )
    return [GroupChoice(int(i), name, programme) for i, name, programme in rows]


# ---------------------------------------------------------------- sending a month


@dataclass(frozen=True)
class SentMonth:
    """One sending of a group's month, and how its event fares with the registry."""

    group_id: int
    month: str
    sent_at: str  # UTC ISO
    event_id: str
    acked_at: str | None = None
    rejected_reason: str | None = None
    last_error: str | None = None
    times: int = 1  # how many times the month was sent, this one included


def last_sent(conn: sqlite3.Connection, group_id: int, month: Month) -> SentMonth | None:
    """The latest sending of the group's month, or None when it was never sent."""
    row = conn.execute(
        "SELECT r.sent_at, r.event_id, o.acked_at, o.rejected_reason, o.last_error,"
        " (SELECT count(*) FROM club_month_reports x WHERE x.group_id = r.group_id"
        "  AND x.month = r.month)"
        " FROM club_month_reports r LEFT JOIN outbox o ON o.event_id = r.event_id"
        " WHERE r.group_id = ? AND r.month = ? ORDER BY r.id DESC LIMIT 1",
        (group_id, month.label),
    ).fetchone()
    if row is None:
        return None
    sent_at, event_id, acked_at, rejected, error, times = row
    return SentMonth(group_id, month.label, sent_at, event_id, acked_at, rejected, error, times)


def monthly_payload(
    conn: sqlite3.Connection,
    report: GroupMonth,
    rule: FundingRule,
    corrects: str | None,
) -> dict[str, Any]:
    """The ``nvs.attendance.monthly`` event of a group's month (docs/sync-contract.md)."""
    code, year = conn.execute(
        "SELECT p.ktprr_code, g.school_year FROM club_groups g"
        " JOIN programmes p ON p.id = g.programme_id WHERE g.id = ?",
        (report.group_id,),
    ).fetchone()
    registry = dict(
        conn.execute(
            "SELECT id, registry_id FROM pupils WHERE id IN (SELECT e.pupil_id FROM enrolments e"
            " WHERE e.group_id = ?)",
            (report.group_id,),
        ).fetchall()
    )
    return {
        "group_id": report.group_id,
        "ktprr_code": code,
        "school_year": int(year),
        "month": report.month,
        "sessions_held": report.sessions_held,
        "hours_held": report.hours_held,
        "rule": {"min_hours": rule.min_hours, "min_sessions": rule.min_sessions},
        "corrects": corrects,
        "pupils": [
            {
                "pupil_id": p.pupil_id,
                "registry_id": registry.get(p.pupil_id),
                "sessions_attended": p.sessions_attended,
                "hours": p.hours,
                "fundable": p.fundable,
                "basket": p.basket,
            }
            for p in report.pupils
        ],
    }


@dataclass(frozen=True)
class Sending:
    """What sending a group's month did: this sending, the one it corrects, what it sent."""

    sent: SentMonth
    before: SentMonth | None  # None the first time the month is sent
    report: GroupMonth


def send_month(
    tx: Transaction,
    group_id: int,
    month: Month,
    *,
    tz: tzinfo,
    rule: FundingRule,
    user_id: int | None = None,
) -> Sending:
    """Send the group's month to the registry: its event goes to the outbox and the sending is
    remembered. A month sent again is a correction: its event names the event it corrects.
    Refused for a month outside the group's school year and for a month still to come."""
    found = tx.execute("SELECT school_year FROM club_groups WHERE id = ?", (group_id,)).fetchone()
    if found is None:
        raise InputError("there is no club group {group}", group=group_id)
    if school_year(month.first) != int(found[0]):
        raise InputError(
            "the month {month} is not in the group's school year {year}–{next}",
            month=month.label,
            year=int(found[0]),
            next=int(found[0]) + 1,
        )
    today = tx.clock.now().astimezone(tz).date()
    if month.first > today:
        raise InputError("the month {month} has not begun yet", month=month.label)
    before = last_sent(tx.conn, group_id, month)
    (report,) = month_report(tx.conn, month, tz, rule, group_id)
    payload = monthly_payload(tx.conn, report, rule, before.event_id if before else None)
    event_id = tx.emit(ATTENDANCE_MONTHLY, payload)
    sent_at = tx.now()
    tx.execute(
        "INSERT INTO club_month_reports (group_id, month, sent_at, user_id, event_id)"
        " VALUES (?, ?, ?, ?, ?)",
        (group_id, month.label, sent_at, user_id, event_id),
    )
    times = before.times + 1 if before else 1
    return Sending(SentMonth(group_id, month.label, sent_at, event_id, times=times), before, report)
