"""``emp-edge sync now`` and ``emp-edge sync status``, run as the real command in a child process
against the registry simulator as a real server (and against a port where nothing answers)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import emp_edge, environment

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
from emp_edge.store.outbox import backlog
from emp_edge.sync.lock import PULL, JobLock, lock_path
from registry_rig import SCHOOL_CODE, TOKEN, running_registry

VILNIUS = "Europe/Vilnius"
ROSTER: list[dict[str, Any]] = [
    {"kind": "class", "key": "k-5b", "deleted": False, "school_year": 2026, "grade": 5,
     "letter": "b", "label": "5b"},
    {"kind": "pupil", "key": "MR-000123", "deleted": False, "first_name": "Aistė",
     "last_name": "Jonaitytė", "birth_date": "2015-03-02", "sex": "F", "personal_code": None,
     "class_key": "k-5b"},
]  # fmt: skip


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A box made by ``emp-edge init``, with its registry token (0600)."""
    folder = tmp_path / "data"
    password = tmp_path / "password"
    password.write_text("Ąžuolas-2026-ruduo\n", encoding="utf-8")
    result = emp_edge("init", "--first-name", "Rūta", "--last-name", "Žemaitė",
                      "--password-file", str(password), env=environment(folder))  # fmt: skip
    assert result.returncode == 0, result.stderr
    token = folder / "registry.token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o600)
    return folder


@pytest.fixture
def store(data: Path) -> Iterator[Store]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(VILNIUS)
    opened = Store(data / "emp-edge.db", FixedClock(datetime.now(tz), tz=tz), create=False)
    yield opened
    opened.close()


def add_events(store: Store) -> None:
    """A delivery of blanks the registry takes, and an event type it does not know."""
    with store.transaction() as tx:
        tx.emit("blanks.received", {"batch_id": 1, "first_number": "000101",
                                    "last_number": "000150", "count": 50,
                                    "received_on": "2026-09-01"})  # fmt: skip
        tx.emit("test.unknown_kind", {"n": 1})


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_json(data: Path, url: str) -> dict[str, Any]:
    result = emp_edge("sync", "status", "--json",
                      env=environment(data, EMP_EDGE_SYNC_REGISTRY_URL=url))  # fmt: skip
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_sync_now_sends_the_events_once_and_pulls_the_roster(
    tmp_path: Path, data: Path, store: Store
) -> None:
    add_events(store)
    waiting = backlog(store.conn)
    with running_registry(tmp_path) as (registry, server):
        registry.put_roster(SCHOOL_CODE, ROSTER)
        env = environment(data, EMP_EDGE_SYNC_REGISTRY_URL=server.url)

        result = emp_edge("sync", "now", env=env)

        assert result.returncode == 0, result.stderr
        assert f"push: sent {waiting}, acknowledged {waiting - 1}, duplicates 0, refused 1" in (
            result.stdout
        )
        assert "pull: 2 roster items in 1 pages: created 2" in result.stdout
        assert "waiting to be sent: 0" in result.stdout
        assert len(registry.accepted()) == waiting - 1
        again = emp_edge("sync", "now", env=env)  # nothing new: nothing sent twice
        assert again.returncode == 0, again.stderr
        assert "push: sent 0," in again.stdout
        assert set(registry.received_counts().values()) == {1}
        status = status_json(data, server.url)
    assert status["online"] is True
    assert (status["backlog"], status["refused"]) == (0, 1)
    for job in ("push", "pull"):
        assert status["jobs"][job]["last_success_at"]
        assert status["jobs"][job]["failures"] == 0
        assert status["jobs"][job]["last_error"] is None
    assert status["jobs"]["pull"]["clock_offset_s"] is not None
    found = store.conn.execute("SELECT first_name FROM pupils WHERE registry_id = 'MR-000123'")
    assert found.fetchone() == ("Aistė",)
    assert TOKEN not in json.dumps(status)


def test_sync_now_with_the_registry_down_says_why_exits_1_and_loses_nothing(
    data: Path, store: Store
) -> None:
    add_events(store)
    waiting = backlog(store.conn)
    url = f"http://127.0.0.1:{closed_port()}/"

    result = emp_edge("sync", "now", env=environment(data, EMP_EDGE_SYNC_REGISTRY_URL=url))

    assert result.returncode == 1
    assert "acknowledged 0, duplicates 0, refused 0" in result.stdout
    assert "emp-edge: push failed:" in result.stderr
    assert "emp-edge: pull failed:" in result.stderr
    assert backlog(store.conn) == waiting  # every event still waits to be sent
    status = status_json(data, url)
    assert status["backlog"] == waiting
    for job in ("push", "pull"):
        assert status["jobs"][job]["failures"] == 1
        assert status["jobs"][job]["last_error"]
        assert "{" not in status["jobs"][job]["last_error"]  # the English text, filled in
    text = emp_edge("sync", "status", env=environment(data, EMP_EDGE_SYNC_REGISTRY_URL=url))
    assert text.returncode == 0, text.stderr
    assert f"waiting to be sent: {waiting}" in text.stdout
    assert "push: last error" in text.stdout
    assert TOKEN not in text.stdout + text.stderr + result.stdout + result.stderr


def test_sync_now_while_a_sync_runs_exits_1(data: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    with JobLock(lock_path(data / "emp-edge.db", PULL)).try_hold() as held:
        assert held
        result = emp_edge("sync", "now", env=environment(data, EMP_EDGE_SYNC_REGISTRY_URL=url))
    assert result.returncode == 1
    assert "a sync is already running" in result.stderr


def test_with_sync_off_now_exits_2_and_status_says_how_to_turn_it_on(data: Path) -> None:
    result = emp_edge("sync", "now", env=environment(data))
    assert result.returncode == 2
    assert "sync is off: sync.registry_url is empty" in result.stderr
    status = emp_edge("sync", "status", env=environment(data))
    assert status.returncode == 0, status.stderr
    assert "sync is off: sync.registry_url is empty" in status.stdout
