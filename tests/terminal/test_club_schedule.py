"""The club rooms' every-minute job: it opens the scheduled sessions due at the box's club
terminals and closes the sessions whose end has come; running it again changes nothing, and a
busy database only postpones it to the next run."""

from __future__ import annotations

import json
import sqlite3
import time as clock_time
from datetime import datetime
from pathlib import Path

import pytest
from school_cards import add_pupil

from club_rows import add_group, add_programme, add_slot, enrol, mark_present
from emp_edge.app import club_schedule
from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.terminal.club_schedule import ClubSchedule


@pytest.fixture
def groups(store: Store) -> tuple[int, int]:
    """The guitar group on Mondays 15:00–16:30 at burelis-1, robotics 15:00–15:45 at burelis-2."""
    music = add_programme(store)
    guitar = add_group(store, music, "Gitara 1")
    robotics = add_group(store, music, "Robotika")
    add_slot(store, guitar, weekday=1, starts="15:00", ends="16:30")
    add_slot(store, robotics, weekday=1, starts="15:00", ends="15:45", terminal="burelis-2")
    return guitar, robotics


def job(store: Store, clock: FixedClock, *terminals: str) -> ClubSchedule:
    return ClubSchedule(store, clock, clock.tz, terminals or ("burelis-1",), 10)


def at(clock: FixedClock, hour: int, minute: int) -> None:
    clock.moment = datetime(2026, 10, 5, hour, minute, tzinfo=clock.tz)


def rows(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT group_id, terminal, closed_at, closed_by FROM club_sessions ORDER BY id"
    ).fetchall()


def events(store: Store, kind: str) -> list[dict[str, object]]:
    found = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(row[0]) for row in found]


def test_it_opens_the_due_sessions_of_its_terminals_once(
    store: Store, clock: FixedClock, groups: tuple[int, int]
) -> None:
    guitar, robotics = groups
    schedule = job(store, clock)
    at(clock, 14, 49)
    assert schedule.run().opened == []
    at(clock, 14, 50)
    first = schedule.run()
    assert len(first.opened) == 1
    assert rows(store) == [(guitar, "burelis-1", None, None)]  # burelis-2 is not this box's
    at(clock, 15, 30)
    assert schedule.run().opened == []  # the same slot's session is never opened twice
    both = job(store, clock, "burelis-1", "burelis-2").run()
    assert len(both.opened) == 1
    assert [r[:2] for r in rows(store)] == [(guitar, "burelis-1"), (robotics, "burelis-2")]
    assert [e["how"] for e in events(store, "nvs.session.opened")] == ["schedule", "schedule"]


def test_it_closes_the_sessions_at_their_end_and_says_how_many_were_present(
    store: Store, clock: FixedClock, groups: tuple[int, int]
) -> None:
    schedule = job(store, clock, "burelis-1", "burelis-2")
    at(clock, 15, 0)
    opened = schedule.run().opened
    pupil = add_pupil(store, "Ona", "Žukauskaitė")
    enrol(store, pupil, groups[0])
    mark_present(store, opened[0], [pupil])
    at(clock, 15, 50)
    sweep = schedule.run()
    assert sweep.closed == [opened[1]]  # robotics ended at 15:45; guitar goes on
    at(clock, 16, 31)
    assert schedule.run().closed == [opened[0]]
    assert schedule.run().closed == []
    assert rows(store) == [
        (groups[0], "burelis-1", "2026-10-05T13:30:00+00:00", None),
        (groups[1], "burelis-2", "2026-10-05T12:45:00+00:00", None),
    ]
    assert events(store, "nvs.session.closed") == [
        {
            "session_id": opened[1],
            "group_id": groups[1],
            "closed_at": "2026-10-05T12:45:00+00:00",
            "how": "end",
            "present": 0,
        },
        {
            "session_id": opened[0],
            "group_id": groups[0],
            "closed_at": "2026-10-05T13:30:00+00:00",
            "how": "end",
            "present": 1,
        },
    ]


def test_a_box_switched_on_late_opens_only_what_is_still_on(
    store: Store, clock: FixedClock, groups: tuple[int, int]
) -> None:
    at(clock, 16, 40)  # after the guitar session's end: nothing to open, nothing held
    assert job(store, clock).run().opened == []
    assert rows(store) == []


def test_a_group_of_last_school_year_has_no_sessions_now(store: Store, clock: FixedClock) -> None:
    old = add_group(store, add_programme(store), "Gitara 2025", school_year=2025)
    add_slot(store, old, weekday=1, starts="15:00", ends="16:30")
    at(clock, 15, 0)
    assert job(store, clock).run().opened == []


def test_a_busy_database_postpones_the_run_to_the_next_one(
    tmp_path: Path,
    store: Store,
    clock: FixedClock,
    groups: tuple[int, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    impatient = Store(tmp_path / "data" / "emp-edge.db", clock, busy_timeout_ms=50)
    other = sqlite3.connect(tmp_path / "data" / "emp-edge.db", isolation_level=None)
    at(clock, 15, 0)
    try:
        other.execute("BEGIN IMMEDIATE")
        schedule = job(impatient, clock)
        failed = schedule.run()
        assert (failed.opened, failed.failed) == ([], ["close", "burelis-1"])
        assert "opening club sessions failed terminal=burelis-1" in caplog.text
        other.execute("ROLLBACK")
        assert len(schedule.run().opened) == 1
    finally:
        other.close()
        impatient.close()


def test_started_it_runs_at_once_and_then_every_minute(
    store: Store, clock: FixedClock, groups: tuple[int, int]
) -> None:
    at(clock, 15, 0)
    schedule = job(store, clock)
    schedule.start()
    try:
        deadline = clock_time.monotonic() + 10
        while not rows(store) and clock_time.monotonic() < deadline:
            clock_time.sleep(0.05)
        assert len(rows(store)) == 1
        upcoming = schedule.next_run()
        assert upcoming is not None
        assert upcoming.second == 1
        assert 0 < (upcoming - datetime.now(clock.tz)).total_seconds() <= 61
    finally:
        schedule.stop()
    assert schedule.next_run() is None


def test_the_box_runs_it_only_with_a_club_terminal(
    tmp_path: Path, store: Store, clock: FixedClock
) -> None:
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path)})
    services = Services(settings=settings, store=store, clock=clock)
    found = club_schedule(services)  # the default readers have burelis-1 as a club room
    assert found is not None
    assert (found.terminals, found.open_before.total_seconds()) == (("burelis-1",), 600)
    tills_only = settings.replace(terminal__readers=["valgykla-1 canteen simulated"])
    assert club_schedule(Services(settings=tills_only, store=store, clock=clock)) is None
