"""The scheduled sync jobs: what is scheduled and how, one run at a time (a held lock skips a
run), the back-off after a failure on the monotonic clock, "sync now", and sync off by choice.

Push and pull are stand-ins here (their own tests are elsewhere): each counts its calls and
returns the report it is told to.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from emp_edge.config import Settings, load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.errors import ConfigError, RegistryUnreachableError, StoreError, SyncError
from emp_edge.store import Store
from emp_edge.store.roster_items import Applied
from emp_edge.store.sync_jobs import Job, job_states, kept_error
from emp_edge.sync.lock import CARE, PULL, PUSH, JobLock, lock_path
from emp_edge.sync.pull import PullReport
from emp_edge.sync.push import PushReport
from emp_edge.sync.schedule import CARE_JOB_ID, PULL_JOB_ID, PUSH_JOB_ID, SyncJobs

URL = "http://127.0.0.1:9/"
DOWN = RegistryUnreachableError("cannot reach the registry: {reason}", reason="refused")


class Client:
    """A registry client that is never called (the steps are stand-ins); it counts closings."""

    closed = 0

    def close(self) -> None:
        Client.closed += 1


@dataclass
class Steps:
    """Stand-ins for push and pull: they return the next report given, or a good one."""

    pushes: list[PushReport] = field(default_factory=list)
    pulls: list[PullReport] = field(default_factory=list)
    pushed: int = 0
    pulled: int = 0
    hold: threading.Event | None = None  # a push waits for it: a run in progress
    started: threading.Event = field(default_factory=threading.Event)

    def push(
        self, store: Store, client: Any, *, batch_size: int, progress: Any = None
    ) -> PushReport:
        self.pushed += 1
        self.started.set()
        if self.hold is not None:
            assert self.hold.wait(5)
        if progress is not None:
            progress(3, 4)
        return self.pushes.pop(0) if self.pushes else PushReport(sent=4, acked=4, batches=1)

    def pull(
        self, store: Store, client: Any, *, school_code: str, progress: Any = None
    ) -> PullReport:
        self.pulled += 1
        if progress is not None:
            progress(2, 7)  # pages, items
        return (
            self.pulls.pop(0)
            if self.pulls
            else PullReport(pages=2, totals=Applied(items=7, created=7))
        )


class Clock:
    """The monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Highest(random.Random):
    """Jitter that always draws the longest wait, so the test knows it."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    base = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path / "data")})
    return base.replace(
        sync__registry_url=URL,
        sync__push_every_s=30,
        sync__pull_every_min=15,
        sync__backoff_first_ms=2000,
        sync__backoff_max_s=60,
    )


@pytest.fixture
def steps() -> Steps:
    return Steps()


@pytest.fixture
def ticks() -> Clock:
    return Clock()


def make_jobs(
    store: Store, settings: Settings, steps: Steps, monotonic: Clock, **kw: Any
) -> SyncJobs:
    kw.setdefault("care", None)
    return SyncJobs(
        store,
        settings,
        Client,  # type: ignore[arg-type]
        push=steps.push,
        pull=steps.pull,
        monotonic=monotonic,
        rng=Highest(),
        **kw,
    )


@pytest.fixture
def paused() -> Iterator[BackgroundScheduler]:
    scheduler = BackgroundScheduler(timezone="Europe/Vilnius")
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_push_pull_and_care_are_scheduled_coalesced_one_at_a_time(
    store: Store, settings: Settings, steps: Steps, ticks: Clock, paused: BackgroundScheduler
) -> None:
    cared: list[int] = []
    jobs = make_jobs(store, settings, steps, ticks, care=lambda: cared.append(1))
    before = datetime.now(settings.tz)
    jobs.start(paused)

    found = {job.id: job for job in paused.get_jobs()}
    assert set(found) == {PUSH_JOB_ID, PULL_JOB_ID, CARE_JOB_ID}
    for job in found.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time
        assert job.misfire_grace_time > 0
    assert found[PUSH_JOB_ID].trigger.interval == timedelta(seconds=30)
    assert found[PULL_JOB_ID].trigger.interval == timedelta(minutes=15)
    # the first pull soon after the start, not a quarter of an hour later
    assert found[PULL_JOB_ID].next_run_time - before < timedelta(seconds=30)
    assert "hour='2', minute='30'" in str(found[CARE_JOB_ID].trigger)
    assert found[CARE_JOB_ID].next_run_time - before < timedelta(seconds=5)  # catches up at start

    jobs.stop()
    assert paused.get_jobs() == []


def test_with_the_registry_url_empty_only_the_care_job_is_scheduled(
    store: Store, settings: Settings, steps: Steps, ticks: Clock, paused: BackgroundScheduler
) -> None:
    jobs = make_jobs(
        store, settings.replace(sync__registry_url=""), steps, ticks, care=lambda: None
    )
    jobs.start(paused)
    assert [job.id for job in paused.get_jobs()] == [CARE_JOB_ID]
    assert not jobs.online
    with pytest.raises(ConfigError, match=r"sync is off: sync\.registry_url is empty"):
        jobs.run_now()
    assert steps.pushed == steps.pulled == 0


def test_a_scheduled_run_is_skipped_while_another_holds_the_lock(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    assert store.path is not None
    jobs = make_jobs(store, settings, steps, ticks)
    with JobLock(lock_path(store.path, PUSH)).try_hold() as held:
        assert held
        assert jobs.push_job() is None
        assert jobs.pull_job() is not None  # the pull has a lock of its own
    assert steps.pushed == 0
    report = jobs.push_job()
    assert report is not None
    assert report.sent == 4
    assert steps.pushed == 1


def test_two_runners_on_one_database_never_push_at_once(
    store: Store, settings: Settings, ticks: Clock
) -> None:
    """Two ``SyncJobs`` (as in two processes) on one database: the second push is skipped while
    the first is running."""
    slow = Steps(hold=threading.Event())
    first, second = make_jobs(store, settings, slow, ticks), make_jobs(store, settings, slow, ticks)
    results: list[Any] = []
    running = threading.Thread(target=lambda: results.append(first.push_job()))
    running.start()
    assert slow.started.wait(5)
    assert second.push_job() is None
    assert slow.pushed == 1
    slow.hold.set()  # type: ignore[union-attr]
    running.join(timeout=5)
    assert results
    assert results[0] is not None


def test_after_a_failed_push_the_next_runs_wait_and_a_success_resets(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    jobs = make_jobs(store, settings, steps, ticks)
    steps.pushes = [PushReport(error=DOWN), PushReport(error=DOWN)]

    assert jobs.push_job() is not None  # failed: waits 2 s (the first wait, drawn at its highest)
    assert jobs.waiting_s(Job.PUSH) == pytest.approx(2.0)
    ticks.now += 1.9
    assert jobs.push_job() is None
    assert steps.pushed == 1

    ticks.now += 0.2
    assert jobs.push_job() is not None  # failed again: the wait doubles
    assert jobs.waiting_s(Job.PUSH) == pytest.approx(4.0)
    ticks.now += 3.9
    assert jobs.push_job() is None
    ticks.now += 0.2
    assert jobs.push_job() is not None  # this one goes through
    assert jobs.waiting_s(Job.PUSH) == 0
    assert jobs.push_job() is not None  # and the next runs at once
    assert steps.pushed == 4
    assert jobs.pull_job() is not None  # the pull never waited for the push's failures


def test_the_back_off_is_on_the_monotonic_clock_not_the_wall_clock(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    jobs = make_jobs(store, settings, steps, ticks)
    steps.pushes = [PushReport(error=DOWN)]
    jobs.push_job()
    assert isinstance(store.clock, FixedClock)
    store.clock.advance(days=3 * 365)
    assert jobs.push_job() is None  # the wall clock jumped years; the wait did not pass
    assert steps.pushed == 1


def test_a_client_that_cannot_be_made_is_kept_as_the_jobs_error_not_raised(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    def no_token() -> Any:
        raise ConfigError("the token file is missing", where="registry.token")

    jobs = SyncJobs(
        store, settings, no_token, care=None, push=steps.push, pull=steps.pull, monotonic=ticks
    )
    assert jobs.push_job() is None
    assert jobs.pull_job() is None
    states = job_states(store.conn)
    for job in Job:
        error = kept_error(states[job].last_error)
        assert error is not None
        assert error.english == "registry.token: the token file is missing"
        assert states[job].failures == 1
    assert steps.pushed == steps.pulled == 0
    assert jobs.waiting_s(Job.PUSH) > 0  # and it backs off like any failure


def test_a_database_error_in_a_run_is_not_raised_and_backs_off(
    store: Store, settings: Settings, ticks: Clock
) -> None:
    def broken(store: Store, client: Any, *, batch_size: int, progress: Any = None) -> PushReport:
        raise StoreError("the database is busy: {reason}", reason="locked")

    closed = Client.closed
    jobs = SyncJobs(store, settings, Client, care=None, push=broken, monotonic=ticks)  # type: ignore[arg-type]
    assert jobs.push_job() is None
    assert jobs.waiting_s(Job.PUSH) > 0
    assert Client.closed == closed + 1  # the client of the run is closed all the same


def test_sync_now_pushes_then_pulls_whatever_the_back_off(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    jobs = make_jobs(store, settings, steps, ticks)
    steps.pushes = [PushReport(error=DOWN)]
    jobs.push_job()
    assert jobs.waiting_s(Job.PUSH) > 0
    told: list[tuple[Job, int, int]] = []

    run = jobs.run_now(lambda job, done, total: told.append((job, done, total)))

    assert (run.push.sent, run.pull.items) == (4, 7)
    assert not run.failed
    assert told == [(Job.PUSH, 3, 4), (Job.PULL, 7, 0)]
    assert jobs.waiting_s(Job.PUSH) == 0  # its success resets the back-off


def test_sync_now_reports_a_failed_step_and_still_pulls(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    steps.pushes = [PushReport(sent=3, batches=1, error=DOWN)]
    run = make_jobs(store, settings, steps, ticks).run_now()
    assert run.failed
    assert run.errors == [DOWN]
    assert steps.pulled == 1


@pytest.mark.parametrize("held", [PUSH, PULL])
def test_sync_now_while_a_run_holds_a_lock_says_a_sync_is_running(
    store: Store, settings: Settings, steps: Steps, ticks: Clock, held: str
) -> None:
    assert store.path is not None
    jobs = make_jobs(store, settings, steps, ticks)
    with JobLock(lock_path(store.path, held)).try_hold() as mine:
        assert mine
        with pytest.raises(SyncError, match="a sync is already running"):
            jobs.run_now()
    assert steps.pushed == steps.pulled == 0
    assert not jobs.locks[Job.PUSH].held_elsewhere()  # nothing left held by the refused run


def test_the_care_job_runs_under_its_own_lock(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    assert store.path is not None
    cared: list[int] = []
    jobs = make_jobs(store, settings, steps, ticks, care=lambda: cared.append(1) or "done")
    with JobLock(lock_path(store.path, CARE)).try_hold() as held:
        assert held
        assert jobs.care_job() is None
    assert cared == []
    assert jobs.care_job() == "done"
    assert cared == [1]


def test_a_started_schedule_pushes_by_itself(
    store: Store, settings: Settings, steps: Steps, ticks: Clock
) -> None:
    jobs = make_jobs(store, settings.replace(sync__push_every_s=1), steps, ticks)
    jobs.start()
    try:
        assert steps.started.wait(3)
    finally:
        jobs.stop()
    assert steps.pushed >= 1
