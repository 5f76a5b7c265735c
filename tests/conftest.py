"""Shared fixtures: a fixed clock in the school's time zone and a real SQLite store in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store

VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS), tz=VILNIUS)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    s = Store(tmp_path / "data" / "emp-edge.db", clock)
    s.migrate()
    yield s
    s.close()
