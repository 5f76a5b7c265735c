"""``emp-edge canteen day-report`` and ``close-day``, run as the real command in a child process,
on a day made through the real tills and ledger writes three days ago."""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import emp_edge, environment

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
from store.canteen_day import VILNIUS, build_day

#: a school day three days ago: over, whatever the time of the test run
DAY = datetime.now(VILNIUS).date() - timedelta(days=3)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path / "data")


@pytest.fixture
def db(env: dict[str, str], tmp_path: Path) -> Path:
    password = tmp_path / "password"
    password.write_text("Ąžuolas-2026-ruduo\n", encoding="utf-8")
    result = emp_edge("init", "--first-name", "Rūta", "--last-name", "Žemaitė",
                      "--password-file", str(password), env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return tmp_path / "data" / "emp-edge.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    opened = Store(db, FixedClock(datetime.now(VILNIUS), tz=VILNIUS), create=False)
    yield opened
    opened.close()


@pytest.fixture
def day_made(store: Store) -> None:
    clock = store.clock
    assert isinstance(clock, FixedClock)
    build_day(store, clock, DAY)


def line(text: str, head: str) -> list[str]:
    """The cells of the report's line that starts with ``head``."""
    for found in text.splitlines():
        if found.startswith(head + "  "):
            return re.split(r"\s{2,}", found[len(head) :].strip())
    raise AssertionError(f"no line {head!r} in:\n{text}")


def test_day_report_prints_a_column_per_till_and_writes_the_csv(
    env: dict[str, str], tmp_path: Path, day_made: None
) -> None:
    out = tmp_path / "diena.csv"
    result = emp_edge("canteen", "day-report", "--day", DAY.isoformat(), "--csv", str(out),
                      env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"Canteen day {DAY.isoformat()}, Demonstracinė mokykla" in text
    assert line(text, "Till") == ["Admin pages", "valgykla-1", "valgykla-2", "All tills"]
    assert line(text, "Free: Pusryčiai") == ["0", "1", "0", "1"]
    assert line(text, "Free: Pietūs") == ["0", "1", "1", "2"]
    assert line(text, "Sales, EUR") == ["0,00", "4,10", "2,30", "6,40"]
    assert line(text, "Top-ups, EUR") == ["13,00", "0,00", "0,00", "13,00"]
    assert line(text, "Balances changed by, EUR") == ["13,30", "-4,10", "-2,30", "6,90"]
    assert "Not closed" in text
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[-1].endswith(";All tills;1;2;0;4;6,40;3;13,00;1;"
                                                              "0,80;1;-0,50;6,90")  # fmt: skip


def test_close_day_sends_the_free_meals_once(
    env: dict[str, str], store: Store, day_made: None
) -> None:
    result = emp_edge("canteen", "close-day", "--day", DAY.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    assert f"{DAY.isoformat()} closed: 3 free meals (breakfast 1, lunch 2)." in result.stdout
    again = emp_edge("canteen", "close-day", "--day", DAY.isoformat(), env=env)
    assert again.returncode == 0, again.stderr
    assert "was closed before; nothing was sent again." in again.stdout
    assert "waiting to be sent to the registry" in again.stdout
    payloads = [
        json.loads(p)
        for (p,) in store.conn.execute(
            "SELECT payload FROM outbox WHERE type = 'canteen.free_meals.daily'"
        )
    ]
    assert [p["totals"] for p in payloads] == [{"breakfast": 1, "lunch": 2}]
    audit = store.conn.execute(
        "SELECT actor, action, subject, source FROM audit_log WHERE action = 'canteen.day_closed'"
    ).fetchall()
    assert audit == [(f"cli:{getpass.getuser()}", "canteen.day_closed", f"day:{DAY}", "cli")]
    report = emp_edge("canteen", "day-report", "--day", DAY.isoformat(), env=env)
    assert "waiting to be sent to the registry" in report.stdout


def test_a_day_still_to_come_or_badly_written_is_refused(env: dict[str, str], db: Path) -> None:
    tomorrow = DAY + timedelta(days=4)
    result = emp_edge("canteen", "close-day", "--day", tomorrow.isoformat(), env=env)
    assert result.returncode == 2
    assert "is still to come" in result.stderr
    bad = emp_edge("canteen", "day-report", "--day", "2026-02-30", env=env)
    assert bad.returncode == 2
    assert "--day: '2026-02-30' is not a date yyyy-mm-dd" in bad.stderr


def test_an_empty_day_reports_zeros(env: dict[str, str], db: Path) -> None:
    result = emp_edge("canteen", "day-report", "--day", DAY.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    assert line(result.stdout, "Till") == ["All tills"]
    assert line(result.stdout, "Sales") == ["0"]
