"""Receipt tests: a canteen at lunch time on a real SQLite file, and its bus."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from canteen_sale import Canteen

from emp_edge.domain.clock import FixedClock
from emp_edge.events import Bus
from emp_edge.store import Store

VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 5, 12, 3, tzinfo=VILNIUS), tz=VILNIUS)


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def canteen(store: Store, clock: FixedClock, bus: Bus) -> Canteen:
    return Canteen(store, clock, bus)
