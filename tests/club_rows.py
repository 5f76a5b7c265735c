"""Rows of the clubs (NVŠ) written straight into a real SQLite store, to arrange a test's school.

They go around the pages and the store's rules on purpose: a test arranges what it needs with
these, then drives the part it tests the way a user would. Imported as ``from club_rows import …``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

from emp_edge.store import Store

SCHOOL_YEAR = 2026


def add_programme(
    store: Store,
    code: str = "120000001",
    name: str = "Jaunųjų muzikantų studija",
    purpose: str = "nvs",
    directions: Sequence[str] = ("muzika",),
) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO programmes (ktprr_code, name, purpose, directions) VALUES (?, ?, ?, ?)",
            (code, name, purpose, json.dumps(list(directions))),
        )
        tx.emit("test.programme_added", {})
        return int(cursor.lastrowid or 0)


def add_group(
    store: Store,
    programme_id: int,
    name: str = "Gitara 1",
    school_year: int = SCHOOL_YEAR,
    sub_directions: Sequence[str] = ("muzika.gitara",),
    leaders: Sequence[int] = (),
) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO club_groups (programme_id, school_year, name, sub_directions)"
            " VALUES (?, ?, ?, ?)",
            (programme_id, school_year, name, json.dumps(list(sub_directions))),
        )
        group_id = int(cursor.lastrowid or 0)
        for user_id in leaders:
            tx.execute("UPDATE users SET club_leader = 1 WHERE id = ?", (user_id,))
            tx.execute("INSERT INTO group_leaders VALUES (?, ?)", (group_id, user_id))
        tx.emit("test.group_added", {})
        return group_id


def add_slot(
    store: Store,
    group_id: int,
    *,
    weekday: int,
    starts: str,
    ends: str,
    hours: int = 2,
    terminal: str = "burelis-1",
) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO group_schedule (group_id, weekday, starts, ends, academic_hours,"
            " terminal) VALUES (?, ?, ?, ?, ?, ?)",
            (group_id, weekday, starts, ends, hours, terminal),
        )
        tx.emit("test.slot_added", {})
        return int(cursor.lastrowid or 0)


def enrol(
    store: Store,
    pupil_id: int,
    group_id: int,
    first_day: date = date(2026, 9, 1),
    *,
    left_on: date | None = None,
    contract_number: str = "1",
    funding: Sequence[str] = (),
) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO enrolments (pupil_id, group_id, first_day, contract_type, contract_date,"
            " contract_number, left_on, departure_reason, created_at)"
            " VALUES (?, ?, ?, 'bilateral', ?, ?, ?, ?, ?)",
            (
                pupil_id,
                group_id,
                first_day.isoformat(),
                first_day.isoformat(),
                contract_number,
                left_on.isoformat() if left_on else None,
                "own_wish" if left_on else None,
                tx.now(),
            ),
        )
        enrolment_id = int(cursor.lastrowid or 0)
        year = tx.execute("SELECT school_year FROM club_groups WHERE id = ?", (group_id,))
        school_year = int(year.fetchone()[0])
        for kind in funding:
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, pupil_id, school_year, event_id,"
                " marked_at, ended_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    enrolment_id,
                    kind,
                    pupil_id,
                    school_year,
                    f"test-mark-{enrolment_id}-{kind}",
                    tx.now(),
                    left_on.isoformat() if left_on else None,
                ),
            )
        tx.emit("test.enrolled", {})
        return enrolment_id


def add_session(
    store: Store,
    group_id: int,
    starts: datetime,
    ends: datetime,
    *,
    hours: int = 2,
    terminal: str = "burelis-1",
    closed: bool = True,
) -> int:
    """A session; ``starts``/``ends`` are aware moments (school time is fine)."""
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours, terminal,"
            " closed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                group_id,
                starts.astimezone(UTC).isoformat(),
                ends.astimezone(UTC).isoformat(),
                hours,
                terminal,
                ends.astimezone(UTC).isoformat() if closed else None,
            ),
        )
        tx.emit("test.session_added", {})
        return int(cursor.lastrowid or 0)


def mark_present(store: Store, session_id: int, pupil_ids: Sequence[int]) -> None:
    with store.transaction() as tx:
        starts = tx.execute("SELECT starts_at FROM club_sessions WHERE id = ?", (session_id,))
        at = starts.fetchone()[0]
        for pupil_id in pupil_ids:
            tx.execute(
                "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
                " VALUES (?, ?, ?, 'present', 'hand', ?)",
                (session_id, pupil_id, at, f"test-mark-{session_id}-{pupil_id}"),
            )
        tx.emit("test.marked", {})
