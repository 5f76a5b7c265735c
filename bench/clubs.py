"""Attendance at a club room's terminal: a card's UID in → the session's mark → the durable commit.

A school of 10,000 pupils with issued cards, 500 groups in 50 club rooms, each group meeting twice
a week (1,000 weekly slots), ~15,000 enrolments (some ended), and a school year of sessions from
1 September to the day before "today" (Monday 31 May: ~39,000 sessions) with their attendance
(~900,000 rows; with ``--quick`` only from 1 March: ~13,000 sessions). Each sample is one tap
through ``TapPipeline`` with the ``ClubAttendance`` handler (uid mode) at 16:30, at one of the
rooms whose 16:20 session is open, by a pupil of that group four times in five, else by any
pupil: the decision finds the session open at the terminal (the partial index), the pupil's
enrolment on the day, an earlier mark, then writes the mark in the tap's transaction — present,
already marked, or not in this group.

Figures, all in the same interleaved rounds:

- ``attendance_tap_*``: the club tap end to end;
- ``attendance_check_tap_p50_ms``: the same pipeline with the plain ``check`` role, so
  ``attendance_vs_check_ratio`` is the attendance's own share;
- ``attendance_vs_bare_ratio``: median club tap / median bare sqlite3 commit (one INSERT, the same
  pragmas, the same disk, from ``store_commit.py``);
- ``club_schedule_sweep_ms``: one run of the every-minute job opening the 50 rooms' sessions.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.events import Bus
from emp_edge.store import Store
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.club import ClubAttendance
from emp_edge.terminal.club_schedule import ClubSchedule
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.roles import CardCheck
from store_commit import bare_commit, bare_database
from taps import PUPILS, SCHOOL, _percentile, _uid, populate

VILNIUS = ZoneInfo("Europe/Vilnius")
GROUPS = 500
ROOMS = 50
PROGRAMMES = 50
YEAR = 2026
FIRST_DAY = date(YEAR, 9, 1)
TODAY = date(2027, 5, 31)  # a Monday
NOW = datetime(2027, 5, 31, 16, 30, tzinfo=VILNIUS)
#: the four session times of a room's day; a room's 20 weekly times hold its 10 groups twice
TIMES = (("13:00", "14:30"), ("14:40", "16:10"), ("16:20", "17:50"), ("18:00", "19:30"))
SECOND_GROUP_SHARE = 0.5
LEFT_SHARE = 0.05
PRESENT_SHARE = 0.8
CHECK = TerminalSpec("patikra-1", "check", "simulated")


def _room(number: int) -> str:
    return f"burelis-{number:02d}"


def _slots() -> list[tuple[int, int, int, str, str, str]]:
    """(slot id, group id, weekday, starts, ends, terminal): group g's two weekly times in its
    room, on two different days."""
    slots = []
    for group in range(1, GROUPS + 1):
        room, place = (group - 1) % ROOMS, (group - 1) // ROOMS
        for which in range(2):
            index = 2 * place + which  # 0..19: the room's weekly times
            starts, ends = TIMES[index // 5]
            slots.append((len(slots) + 1, group, 1 + index % 5, starts, ends, _room(room + 1)))
    return slots


def _enrolments(rng: random.Random) -> list[tuple[int, int, str | None]]:
    """(pupil, group, departure or None): every pupil in one group, half in a second one."""
    found = []
    for pupil in range(1, PUPILS + 1):
        groups = [1 + (pupil - 1) % GROUPS]
        if rng.random() < SECOND_GROUP_SHARE:
            groups.append(1 + (pupil * 7 + 3) % GROUPS)
        for group in dict.fromkeys(groups):
            left = None
            if rng.random() < LEFT_SHARE:
                left = (FIRST_DAY + timedelta(days=rng.randrange(30, 250))).isoformat()
            found.append((pupil, group, left))
    return found


def _utc(day: date, hhmm: str) -> str:
    moment = datetime.combine(day, clock_time.fromisoformat(hhmm), tzinfo=VILNIUS)
    return moment.astimezone(UTC).isoformat()


def build(path: Path, clock: FixedClock, since: date = FIRST_DAY) -> dict[int, list[int]]:
    """The school and its clubs, loaded fast (one transaction, no journal); the pupils in each
    group's lists today."""
    store = Store(path, clock)
    store.migrate()
    populate(store, 0)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        members = add_clubs(conn, since)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    os.sync()
    return members


def add_clubs(conn: sqlite3.Connection, since: date) -> dict[int, list[int]]:
    rng = random.Random(5)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO programmes (id, ktprr_code, name, purpose, directions)"
        " VALUES (?, ?, ?, 'nvs', '[\"muzika\"]')",
        [(n, f"1200{n:05d}", f"Programa {n}") for n in range(1, PROGRAMMES + 1)],
    )
    conn.executemany(
        "INSERT INTO club_groups (id, programme_id, school_year, name) VALUES (?, ?, ?, ?)",
        [(g, 1 + g % PROGRAMMES, YEAR, f"Grupė {g}") for g in range(1, GROUPS + 1)],
    )
    slots = _slots()
    conn.executemany(
        "INSERT INTO group_schedule (id, group_id, weekday, starts, ends, academic_hours,"
        " terminal) VALUES (?, ?, ?, ?, ?, 2, ?)",
        slots,
    )
    enrolments = _enrolments(rng)
    conn.executemany(
        "INSERT INTO enrolments (pupil_id, group_id, first_day, contract_type, contract_date,"
        " contract_number, left_on, departure_reason, created_at)"
        " VALUES (?, ?, ?, 'bilateral', ?, 'S-1', ?, ?, '2026-09-01T06:00:00+00:00')",
        [
            (p, g, FIRST_DAY.isoformat(), FIRST_DAY.isoformat(), left, "own_wish" if left else None)
            for p, g, left in enrolments
        ],
    )
    _past_sessions(conn, rng, slots, enrolments, since)
    conn.execute("COMMIT")
    today = TODAY.isoformat()
    members: dict[int, list[int]] = {}
    for pupil, group, left in enrolments:
        if left is None or left > today:
            members.setdefault(group, []).append(pupil)
    return members


def _past_sessions(
    conn: sqlite3.Connection,
    rng: random.Random,
    slots: list[tuple[int, int, int, str, str, str]],
    enrolments: list[tuple[int, int, str | None]],
    since: date,
) -> None:
    """Every slot's session from ``since`` to yesterday, closed, with its present marks."""
    lists: dict[int, list[tuple[int, str | None]]] = {}
    for pupil, group, left in enrolments:
        lists.setdefault(group, []).append((pupil, left))
    by_weekday: dict[int, list[tuple[int, int, str, str, str]]] = {}
    for slot_id, group, weekday, starts, ends, room in slots:
        by_weekday.setdefault(weekday, []).append((slot_id, group, starts, ends, room))
    session_id = 0
    sessions: list[tuple[int, int, str, str, str, int, str]] = []
    marks: list[tuple[int, int, str, str]] = []
    day = since
    while day < TODAY:
        iso = day.isoformat()
        for slot_id, group, starts, ends, room in by_weekday.get(day.isoweekday(), []):
            session_id += 1
            start, end = _utc(day, starts), _utc(day, ends)
            sessions.append((session_id, group, start, end, room, slot_id, end))
            for pupil, left in lists.get(group, []):
                if (left is None or iso < left) and rng.random() < PRESENT_SHARE:
                    marks.append((session_id, pupil, start, f"bench-{session_id}-{pupil}"))
        if len(marks) > 100_000:
            _flush(conn, sessions, marks)
        day += timedelta(days=1)
    _flush(conn, sessions, marks)


def _flush(
    conn: sqlite3.Connection,
    sessions: list[tuple[int, int, str, str, str, int, str]],
    marks: list[tuple[int, int, str, str]],
) -> None:
    conn.executemany(
        "INSERT INTO club_sessions (id, group_id, starts_at, ends_at, academic_hours, terminal,"
        " schedule_id, closed_at) VALUES (?, ?, ?, ?, 2, ?, ?, ?)",
        sessions,
    )
    conn.executemany(
        "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
        " VALUES (?, ?, ?, 'present', 'tap', ?)",
        marks,
    )
    sessions.clear()
    marks.clear()


def _taps_now(members: dict[int, list[int]], rng: random.Random) -> Iterator[tuple[str, int]]:
    """(room, pupil) of the taps at 16:30: the rooms whose 16:20 session is open, a member of
    its group four times in five, else any pupil."""
    due = [
        (room, group)
        for _, group, weekday, starts, _, room in _slots()
        if weekday == TODAY.isoweekday() and starts == "16:20"
    ]
    while True:
        room, group = rng.choice(due)
        if rng.random() < 0.8 and members.get(group):
            yield room, rng.choice(members[group])
        else:
            yield room, rng.randrange(1, PUPILS + 1)


def run(quick: bool) -> dict[str, float]:
    samples = 300 if quick else 2000
    clock = FixedClock(NOW, tz=VILNIUS)
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        built = time.perf_counter()
        since = date(2027, 3, 1) if quick else FIRST_DAY
        members = build(Path(tmp) / "clubs.db", clock, since)
        build_s = time.perf_counter() - built
        store = Store(Path(tmp) / "clubs.db", clock, create=False)
        rooms = [_room(n) for n in range(1, ROOMS + 1)]
        swept = time.perf_counter()
        opened = ClubSchedule(store, clock, VILNIUS, rooms, 10).run().opened
        sweep_ms = (time.perf_counter() - swept) * 1000
        handlers = {"club": ClubAttendance(clock, VILNIUS, 10), "check": CardCheck()}
        pipeline = TapPipeline(store, clock, Bus(), school_code=SCHOOL, handlers=handlers)
        specs = {room: TerminalSpec(room, "club", "simulated") for room in rooms}
        bare = bare_database(Path(tmp))
        rng = random.Random(6)
        taps = _taps_now(members, rng)
        club_ms: list[float] = []
        check_ms: list[float] = []
        bare_ms: list[float] = []
        reasons: Counter[str] = Counter()
        for round_number in range(11):  # round 0 warms up and is not counted
            if round_number == 1:
                club_ms.clear()
                check_ms.clear()
                bare_ms.clear()
                reasons.clear()
            for sample in range(samples // 10):
                room, pupil = next(taps)
                read = CardRead(uid=_uid(pupil))
                started = time.perf_counter()
                decided = pipeline.decide(specs[room], read)
                club_ms.append((time.perf_counter() - started) * 1000)
                reasons[decided.reason] += 1
                bare_ms.append(bare_commit(bare))
                if sample % 4 == 0:
                    read = CardRead(uid=_uid(rng.randrange(1, PUPILS + 1)))
                    started = time.perf_counter()
                    pipeline.decide(CHECK, read)
                    check_ms.append((time.perf_counter() - started) * 1000)
        bare.close()
        conn = store.conn
        sessions = conn.execute("SELECT count(*) FROM club_sessions").fetchone()[0]
        marks = conn.execute("SELECT count(*) FROM attendance").fetchone()[0]
        store.close()
    club_p50 = statistics.median(club_ms)
    taps_done = sum(reasons.values())
    return {
        "attendance_tap_p50_ms": round(club_p50, 4),
        "attendance_tap_p99_ms": round(_percentile(club_ms, 0.99), 4),
        "attendance_check_tap_p50_ms": round(statistics.median(check_ms), 4),
        "attendance_bare_sqlite_commit_p50_ms": round(statistics.median(bare_ms), 4),
        "attendance_vs_bare_ratio": round(club_p50 / statistics.median(bare_ms), 3),
        "attendance_vs_check_ratio": round(club_p50 / statistics.median(check_ms), 3),
        "attendance_tap_samples": len(club_ms),
        "attendance_present_share": round(reasons["ok"] / taps_done, 3),
        "attendance_already_share": round(reasons["already_marked"] / taps_done, 3),
        "attendance_not_in_group_share": round(reasons["not_in_group"] / taps_done, 3),
        "club_schedule_sweep_ms": round(sweep_ms, 2),
        "club_sessions_opened_by_sweep": len(opened),
        "club_pupils": PUPILS,
        "club_groups": GROUPS,
        "club_sessions": int(sessions),
        "club_attendance_rows": int(marks),
        "club_build_s": round(build_s, 1),
    }
