"""Receipt tests: a canteen at lunch time on a real SQLite file, and its bus. Card printer
tests: a private cupsd on loopback (one per test worker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from canteen_sale import Canteen

from emp_edge.domain.clock import FixedClock
from emp_edge.events import Bus
from emp_edge.store import Store
from rigs.cupsd import CupsdRig

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


@pytest.fixture(scope="session")
def cupsd() -> Iterator[CupsdRig]:
    """A cupsd of this test worker's own on 127.0.0.1; tests add queues with their own names."""
    rig = CupsdRig()
    rig.start()
    yield rig
    rig.close()
