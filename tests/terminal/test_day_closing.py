"""The evening job on the box with the tills: it closes the days that are over at start and
every evening at ``canteen.close_day_at``, and a busy database only postpones it."""

from __future__ import annotations

import sqlite3
import time as clock_time
from datetime import datetime, time
from pathlib import Path

import pytest

from emp_edge.app import day_closing
from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.errors import ConfigError
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.terminal.day_closing import DayClosing
from store.canteen_day import DAY, VILNIUS, build_day

SCHOOL = "190000000"


def closed(store: Store) -> list[str]:
    return [day for (day,) in store.conn.execute("SELECT day FROM canteen_days ORDER BY day")]


def test_it_closes_the_open_days_at_start_and_is_scheduled_for_the_evening(
    store: Store, clock: FixedClock
) -> None:
    build_day(store, clock)  # the clock is left at the next midnight
    closing = DayClosing(store, clock, VILNIUS, SCHOOL, time(21, 0))
    closing.start()
    try:
        deadline = clock_time.monotonic() + 10
        while not closed(store) and clock_time.monotonic() < deadline:
            clock_time.sleep(0.05)
        assert closed(store) == [DAY.isoformat()]
        upcoming = closing.next_run()
        assert upcoming is not None
        local = upcoming.astimezone(VILNIUS)
        assert (local.hour, local.minute) == (21, 0)
        assert upcoming > datetime.now(VILNIUS)
    finally:
        closing.stop()
    assert closing.next_run() is None
    assert closing.run() == []  # closed once: nothing more to close


def test_a_busy_database_postpones_the_closing(
    tmp_path: Path, store: Store, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    build_day(store, clock)
    impatient = Store(tmp_path / "data" / "emp-edge.db", clock, busy_timeout_ms=50)
    other = sqlite3.connect(tmp_path / "data" / "emp-edge.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        closing = DayClosing(impatient, clock, VILNIUS, SCHOOL, time(21, 0))
        assert closing.run() == []
        assert "closing the canteen days failed" in caplog.text
        other.execute("ROLLBACK")
        assert closing.run() == [DAY]
    finally:
        other.close()
        impatient.close()


def test_the_time_comes_from_the_settings(tmp_path: Path, store: Store, clock: FixedClock) -> None:
    env = {"EMP_EDGE_DATA_DIR": str(tmp_path), "EMP_EDGE_CANTEEN_CLOSE_DAY_AT": "19:45"}
    settings = load_settings(None, env=env)
    closing = day_closing(Services(settings=settings, store=store, clock=clock))
    assert closing.at == time(19, 45)
    assert closing.tz == VILNIUS
    assert load_settings(None, env={})["canteen.close_day_at"] == "21:00"


@pytest.mark.parametrize("text", ["7:05", "24:00", "21:60", "21.00", "", "21:00 "])
def test_a_time_not_written_hh_mm_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"canteen.close_day_at.*a time HH:MM"):
        load_settings(None, env={"EMP_EDGE_CANTEEN_CLOSE_DAY_AT": text})
