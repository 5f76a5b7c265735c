"""The sync drills (issue 8): exactly-once delivery through kills, faults, a long offline backlog
and a wrong clock, against the registry simulator as a real server on 127.0.0.1.

Counts are small in CI; each is a parameter for a large run, e.g.::

    DRILL_KILLS=1000 DRILL_FAULT_EVENTS=20000 DRILL_BACKLOG=200000 \\
        .venv/bin/pytest -p no:cacheprovider tests/sync/test_sync_drills.py -s
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from emp_edge.domain.clock import FixedClock
from emp_edge.registry_sim import Faults
from emp_edge.store import Store
from emp_edge.store.outbox import Transaction, backlog
from emp_edge.store.schools import ensure_school
from emp_edge.store.sync_jobs import Job, job_states
from emp_edge.sync.client import RegistryClient
from emp_edge.sync.pull import pull
from emp_edge.sync.push import push
from registry_rig import running_registry

KILLS = int(os.environ.get("DRILL_KILLS", "8"))
FAULT_EVENTS = int(os.environ.get("DRILL_FAULT_EVENTS", "600"))
BACKLOG = int(os.environ.get("DRILL_BACKLOG", "6000"))
SCHOOL = "190000000"
TOKEN = "drill-token-0123456789"
VILNIUS = ZoneInfo("Europe/Vilnius")

pytestmark = pytest.mark.xdist_group("sync_drills")


def tap_events(tx: Transaction, count: int, first: int = 0) -> None:
    """Canteen taps as the tills write them: one outbox event each."""
    for number in range(first, first + count):
        tx.emit(
            "tap.decided",
            {
                "terminal": "valgykla-1",
                "role": "canteen",
                "result": "accepted",
                "reason": "ok",
                "card_id": number % 500 + 1,
            },
        )


def outbox_ids(store: Store) -> set[str]:
    return {row[0] for row in store.conn.execute("SELECT event_id FROM outbox")}


def assert_delivered_exactly_once(store: Store, registry: object) -> None:
    ids = outbox_ids(store)
    accepted = [event.event_id for event in registry.accepted()]  # type: ignore[attr-defined]
    assert len(accepted) == len(set(accepted))  # the registry counted none twice
    assert set(accepted) == ids  # and lost none
    unacked = store.conn.execute(
        "SELECT count(*) FROM outbox WHERE acked_at IS NULL OR rejected_reason IS NOT NULL"
    ).fetchone()[0]
    assert unacked == 0
    assert backlog(store.conn) == 0


def drain(store: Store, client: RegistryClient, *, batch_size: int, tries: int) -> int:
    """Push until nothing waits; returns the runs it took (each failed run is a retry)."""
    for run in range(1, tries + 1):
        report = push(store, client, batch_size=batch_size)
        if report.error is None and backlog(store.conn) == 0:
            return run
    raise AssertionError(f"{backlog(store.conn)} events still wait after {tries} runs")


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Store]:
    store = school_box(tmp_path, FixedClock(datetime.now(UTC), tz=VILNIUS))
    yield store
    store.close()


def school_box(tmp_path: Path, clock: FixedClock) -> Store:
    """The box's database as ``emp-edge init`` leaves it: migrated, with its school."""
    store = Store(tmp_path / "box" / "emp-edge.db", clock)
    store.migrate()
    with store.transaction() as tx:
        ensure_school(tx, SCHOOL, "Šaltinio progimnazija")
    return store


# ---------------------------------------------------------------- kill the sync process


def _child_env(data_dir: Path, url: str, token_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMP_EDGE_")}
    env.update(
        EMP_EDGE_DATA_DIR=str(data_dir),
        EMP_EDGE_LOG_LEVEL="WARNING",
        EMP_EDGE_SYNC_REGISTRY_URL=url,
        EMP_EDGE_SYNC_TOKEN_FILE=str(token_file),
        EMP_EDGE_SYNC_BATCH_SIZE="4",
        EMP_EDGE_SYNC_TIMEOUT_MS="5000",
    )
    return env


def test_killing_the_sync_process_between_send_and_mark_loses_and_doubles_nothing(
    tmp_path: Path, box: Store
) -> None:
    token_file = tmp_path / "registry.token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    rng = random.Random(8)
    child: dict[str, subprocess.Popen[str] | None] = {"process": None}
    kills = {"asked": 0}

    def kill_after_commit(event_ids: list[str]) -> None:
        # the registry has committed the batch; the box has not marked it yet
        process = child["process"]
        if process is not None and kills["asked"] < KILLS and rng.random() < 0.5:
            kills["asked"] += 1
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    with running_registry(
        tmp_path / "registry", school_code=SCHOOL, token=TOKEN, on_batch=kill_after_commit
    ) as (registry, server):
        env = _child_env(tmp_path / "box", server.url, token_file)
        killed = 0
        runs = 0
        number = 0
        while killed < KILLS or backlog(box.conn):
            with box.transaction() as tx:  # the box goes on working between runs
                tap_events(tx, 6, number)
            number += 6
            process = subprocess.Popen(
                [sys.executable, "-m", "emp_edge", "sync", "now"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            child["process"] = process
            _, stderr = process.communicate(timeout=120)
            child["process"] = None
            runs += 1
            if process.returncode == -signal.SIGKILL:
                killed += 1
            else:
                assert process.returncode == 0, stderr
            assert runs < KILLS * 20 + 50, "the drill does not come to an end"
        assert_delivered_exactly_once(box, registry)
        counts = registry.received_counts()
        assert max(counts.values()) >= 2  # the killed batches really were sent again
    print(f"kill drill: {KILLS} kills in {runs} runs, {len(counts)} events, exactly once")


# ---------------------------------------------------------------- 30 % faults of every kind


def test_every_event_arrives_once_through_thirty_percent_faults(tmp_path: Path, box: Store) -> None:
    with box.transaction() as tx:
        tap_events(tx, FAULT_EVENTS)
    faults = Faults.every_kind(0.30, hang_seconds=0.6, seed=30)
    with running_registry(
        tmp_path / "registry", school_code=SCHOOL, token=TOKEN, faults=faults
    ) as (registry, server):
        client = RegistryClient(server.url, TOKEN, timeout_s=0.25)
        started = time.perf_counter()
        runs = drain(box, client, batch_size=50, tries=FAULT_EVENTS // 5 + 100)
        client.close()
        seconds = time.perf_counter() - started
        assert_delivered_exactly_once(box, registry)
        counts = registry.received_counts()
        assert sum(counts.values()) > FAULT_EVENTS  # faults made the box send again
    push_state = job_states(box.conn)[Job.PUSH]
    assert push_state.failures == 0
    assert push_state.last_success_at is not None
    print(f"fault drill: {FAULT_EVENTS} events through 30% faults in {runs} runs, {seconds:.1f} s")


# ---------------------------------------------------------------- a holiday offline


def test_a_long_offline_backlog_drains(tmp_path: Path, box: Store) -> None:
    made = 0
    while made < BACKLOG:
        with box.transaction() as tx:
            step = min(10_000, BACKLOG - made)
            tap_events(tx, step, made)
            made += step
    assert backlog(box.conn) == BACKLOG + 1  # and the school's own event
    with running_registry(tmp_path / "registry", school_code=SCHOOL, token=TOKEN) as (
        registry,
        server,
    ):
        client = RegistryClient(server.url, TOKEN, timeout_s=30)
        started = time.perf_counter()
        report = push(box, client, batch_size=1000)
        seconds = time.perf_counter() - started
        client.close()
        assert report.error is None
        assert report.acked == BACKLOG + 1
        assert_delivered_exactly_once(box, registry)
    print(f"backlog drill: {BACKLOG} events in {seconds:.1f} s, {BACKLOG / seconds:.0f} events/s")


# ---------------------------------------------------------------- a wrong clock


@pytest.mark.parametrize("hours", [-7, 9])
def test_a_box_clock_off_by_hours_breaks_nothing(tmp_path: Path, hours: int) -> None:
    clock = FixedClock(datetime.now(UTC) + timedelta(hours=hours), tz=VILNIUS)
    store = school_box(tmp_path, clock)
    with store.transaction() as tx:
        tap_events(tx, 30)
    items = [
        {"kind": "class", "key": "c-5a", "deleted": False, "school_year": 2026, "grade": 5,
         "letter": "a", "label": "5a"},
        {"kind": "pupil", "key": "MR-1", "deleted": False, "first_name": "Ūla",
         "last_name": "Žemaitė", "birth_date": "2015-03-04", "sex": "F", "personal_code": None,
         "class_key": "c-5a"},
    ]  # fmt: skip
    with running_registry(tmp_path / "registry", school_code=SCHOOL, token=TOKEN) as (
        registry,
        server,
    ):
        registry.put_roster(SCHOOL, items)
        client = RegistryClient(server.url, TOKEN, timeout_s=5)
        first = push(store, client, batch_size=7)
        clock.advance(hours=-2 * hours)  # and the clock is put right, or jumps the other way
        with store.transaction() as tx:
            tap_events(tx, 5, 30)
        second = push(store, client, batch_size=7)
        pulled = pull(store, client, school_code=SCHOOL)
        client.close()
        assert first.error is None
        assert second.error is None
        assert pulled.error is None
        assert_delivered_exactly_once(store, registry)
    states = job_states(store.conn)
    offset = states[Job.PULL].clock_offset_s
    assert offset is not None
    assert abs(offset - hours * 3600) < 300  # the registry's clock minus the box's
    assert states[Job.PUSH].last_success_at is not None
    name = store.conn.execute("SELECT first_name FROM pupils WHERE registry_id = 'MR-1'").fetchone()
    assert name == ("Ūla",)
    store.close()
