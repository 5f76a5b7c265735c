"""The sync jobs inside ``emp-edge run``: push every few seconds, pull every few minutes, and
the nightly care of the cards, each on APScheduler with coalescing and one run at a time.

One run at a time holds across processes too: each run takes its job's lock file next to the
database (``sync/lock.py``) without waiting, and is skipped when another run holds it. After a
failed run the job backs off (doubling, with jitter, measured on the monotonic clock, never the
wall clock, which may be hours off): the scheduled runs in between are skipped; a success
resets it. "Sync now" (``run_now``) ignores the back-off but not the locks.

With ``sync.registry_url`` empty the box is offline by choice: the push and pull jobs are not
scheduled, the events wait in the outbox, and ``run_now`` says how to turn sync on. A scheduled
run never raises: push and pull keep their errors in ``sync_jobs``; the log names job, error
kind and counts only.
"""

from __future__ import annotations

import logging
import random
import threading
import time as monotonic_time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final, Protocol, TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from emp_edge.config import Settings
from emp_edge.errors import ConfigError, EdgeError, RegistryRefusedError, SyncError
from emp_edge.store import Store
from emp_edge.store.sync_jobs import Job, error_record, job_failed, job_started
from emp_edge.sync.backoff import Backoff
from emp_edge.sync.client import RegistryClient
from emp_edge.sync.lock import CARE, PULL, PUSH, JobLock, lock_path
from emp_edge.sync.pull import PullReport, pull
from emp_edge.sync.push import PushReport, push

log = logging.getLogger(__name__)

Report = TypeVar("Report")

PUSH_JOB_ID: Final = "sync.push"
PULL_JOB_ID: Final = "sync.pull"
CARE_JOB_ID: Final = "cards.care"
#: the first pull comes this soon after the start: the roster may have changed while the box was off
FIRST_PULL_AFTER: Final = timedelta(seconds=5)
#: the nightly care of the cards (``CardCare.run``), in school time
CARE_AT: Final = time(2, 30)
#: a night's care missed by less than this (the box was busy or asleep) still runs
CARE_GRACE_S: Final = 6 * 3600
OFF: Final = "sync is off: sync.registry_url is empty"

#: told as a step of a run goes on: (events answered, events waiting) by push, (pages, items)
#: by pull
Progress = Callable[[int, int], None]
#: told (job, done, in all) as ``run_now`` goes on: the push's events answered of those waiting,
#: then the pull's roster items read (in all: 0, the registry does not say how many will come)
RunProgress = Callable[[Job, int, int], None]


class PushStep(Protocol):
    """``sync.push.push`` as the jobs call it."""

    def __call__(
        self,
        store: Store,
        client: RegistryClient,
        *,
        batch_size: int,
        progress: Progress | None = None,
    ) -> PushReport: ...


class PullStep(Protocol):
    """``sync.pull.pull`` as the jobs call it."""

    def __call__(
        self,
        store: Store,
        client: RegistryClient,
        *,
        school_code: str,
        progress: Progress | None = None,
    ) -> PullReport: ...


@dataclass(frozen=True)
class SyncRun:
    """What "sync now" did: the push, then the pull."""

    push: PushReport
    pull: PullReport

    @property
    def errors(self) -> list[SyncError]:
        return [e for e in (self.push.error, self.pull.error) if e is not None]

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def _error_kind(err: EdgeError) -> str:
    """An error for the log: its kind, and the status of a refused request; never its text."""
    if isinstance(err, RegistryRefusedError):
        return f"{type(err).__name__} status={err.status}"
    return type(err).__name__


class SyncJobs:
    """The scheduled jobs of one box and "sync now".

    ``client_factory`` makes a registry client for one run (closed after it); ``care`` is the
    nightly care of the cards (``CardCare.run``), scheduled even when sync is off. ``push``,
    ``pull``, ``monotonic`` and ``rng`` are for tests.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        client_factory: Callable[[], RegistryClient],
        *,
        care: Callable[[], object] | None,
        care_at: time = CARE_AT,
        push: PushStep = push,
        pull: PullStep = pull,
        monotonic: Callable[[], float] = monotonic_time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if store.path is None:
            raise ConfigError(
                "sync needs a database file: its jobs keep their lock files next to it"
            )
        self.store = store
        self.settings = settings
        self.care = care
        self.care_at = care_at
        self._client_factory = client_factory
        self._push = push
        self._pull = pull
        self._monotonic = monotonic
        self.locks = {
            Job.PUSH: JobLock(lock_path(store.path, PUSH)),
            Job.PULL: JobLock(lock_path(store.path, PULL)),
        }
        self.care_lock = JobLock(lock_path(store.path, CARE))
        first_s = settings["sync.backoff_first_ms"] / 1000
        max_s = float(settings["sync.backoff_max_s"])
        self._backoffs = {job: Backoff(first_s, max_s, rng) for job in Job}
        self._not_before = {job: 0.0 for job in Job}
        self._state = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._own_scheduler = False

    @property
    def online(self) -> bool:
        """Whether sync is on (``sync.registry_url`` is set)."""
        return bool(self.settings["sync.registry_url"])

    # ---------------------------------------------------------------- the schedule

    def start(self, scheduler: BackgroundScheduler | None = None) -> None:
        """Schedule the jobs on ``scheduler``, or on a scheduler of its own started here."""
        tz = self.settings.tz
        own = scheduler is None
        target = BackgroundScheduler(timezone=tz, daemon=True) if scheduler is None else scheduler
        if self.online:
            every_s = int(self.settings["sync.push_every_s"])
            every_min = int(self.settings["sync.pull_every_min"])
            target.add_job(
                self.push_job,
                IntervalTrigger(seconds=every_s, timezone=tz),
                id=PUSH_JOB_ID,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=every_s,  # later than that, the next run is as good
                replace_existing=True,
            )
            target.add_job(
                self.pull_job,
                IntervalTrigger(minutes=every_min, timezone=tz),
                id=PULL_JOB_ID,
                next_run_time=datetime.now(tz) + FIRST_PULL_AFTER,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=every_min * 60,
                replace_existing=True,
            )
            log.info("sync scheduled push_every_s=%d pull_every_min=%d", every_s, every_min)
        else:
            log.info("sync is off (sync.registry_url is empty): the events wait in the outbox")
        if self.care is not None:
            target.add_job(
                self.care_job,
                CronTrigger(hour=self.care_at.hour, minute=self.care_at.minute, timezone=tz),
                id=CARE_JOB_ID,
                next_run_time=datetime.now(tz),  # at start too: a box off at night catches up
                coalesce=True,
                max_instances=1,
                misfire_grace_time=CARE_GRACE_S,
                replace_existing=True,
            )
        if own:
            target.start()
        self._scheduler, self._own_scheduler = target, own

    def stop(self) -> None:
        """Stop the schedule, letting a run in progress finish its transaction."""
        if self._scheduler is None:
            return
        if self._own_scheduler:
            self._scheduler.shutdown(wait=True)
        else:
            for job_id in (PUSH_JOB_ID, PULL_JOB_ID, CARE_JOB_ID):
                if self._scheduler.get_job(job_id) is not None:
                    self._scheduler.remove_job(job_id)
        self._scheduler = None

    # ---------------------------------------------------------------- the scheduled runs

    def push_job(self) -> PushReport | None:
        """A scheduled push; None when skipped (backing off, already running) or when it could
        not start (no client: the settings are wrong; the database failed)."""

        def run(client: RegistryClient) -> PushReport:
            report = self._push(self.store, client, batch_size=self.settings["sync.batch_size"])
            self._after(Job.PUSH, report.error)
            return report

        return self._scheduled(Job.PUSH, run)

    def pull_job(self) -> PullReport | None:
        """A scheduled pull; None when skipped or when it could not start or finish."""

        def run(client: RegistryClient) -> PullReport:
            report = self._pull(self.store, client, school_code=self.settings["school.code"])
            self._after(Job.PULL, report.error)
            return report

        return self._scheduled(Job.PULL, run)

    def _scheduled(self, job: Job, run: Callable[[RegistryClient], Report]) -> Report | None:
        """A scheduled run's frame: the back-off, the lock, a client, and no error let out."""
        left = self.waiting_s(job)
        if left > 0:
            log.debug("sync job skipped job=%s reason=backing off left_s=%.1f", job, left)
            return None
        with self.locks[job].try_hold() as held:
            if not held:
                log.info("sync job skipped job=%s reason=already running", job)
                return None
            try:
                client = self._client_factory()
            except EdgeError as err:  # a bad token file or CA file: shown on the sync page
                self._note_failure(job, err)
                return None
            try:
                return run(client)
            except EdgeError as err:  # the database busy or broken: tried again later
                self._after(job, err)
                return None
            finally:
                client.close()

    def _note_failure(self, job: Job, err: EdgeError) -> None:
        with self.store.transaction(require_event=False) as tx:
            job_started(tx, job)
            job_failed(tx, job, error_record(err), {})
        self._after(job, err)

    def care_job(self) -> object | None:
        """The nightly care of the cards, unless another process is doing it now."""
        if self.care is None:
            return None
        with self.care_lock.try_hold() as held:
            if not held:
                log.info("care skipped reason=already running")
                return None
            try:
                return self.care()
            except EdgeError as err:
                log.warning("care failed error=%s", _error_kind(err))
                return None

    # ---------------------------------------------------------------- the back-off

    def _after(self, job: Job, error: EdgeError | None) -> None:
        """Reset the job's back-off after a success; after a failure, wait before the next run."""
        with self._state:
            backoff = self._backoffs[job]
            if error is None:
                backoff.succeeded()
                self._not_before[job] = 0.0
                return
            delay = backoff.failed()
            self._not_before[job] = self._monotonic() + delay
            failures = backoff.failures
        log.warning(
            "sync job failed job=%s error=%s failures=%d next_try_in_s=%.1f",
            job, _error_kind(error), failures, delay,
        )  # fmt: skip

    def waiting_s(self, job: Job) -> float:
        """Seconds before a scheduled run of ``job`` may try again (0 when it may now)."""
        with self._state:
            return max(0.0, self._not_before[job] - self._monotonic())

    # ---------------------------------------------------------------- sync now

    def run_now(self, progress: RunProgress | None = None) -> SyncRun:
        """Push, then pull, now, whatever the back-off; SyncError when a run holds a lock,
        ConfigError when sync is off or its settings are wrong."""
        if not self.online:
            raise ConfigError(OFF)
        with ExitStack() as held:
            for job in (Job.PUSH, Job.PULL):
                if not held.enter_context(self.locks[job].try_hold()):
                    raise SyncError("a sync is already running")
            client = self._client_factory()
            held.callback(client.close)
            pushed = self._push(
                self.store,
                client,
                batch_size=self.settings["sync.batch_size"],
                progress=_step(progress, Job.PUSH),
            )
            self._after(Job.PUSH, pushed.error)
            pulled = self._pull(
                self.store,
                client,
                school_code=self.settings["school.code"],
                progress=_step(progress, Job.PULL),
            )
            self._after(Job.PULL, pulled.error)
        run = SyncRun(pushed, pulled)
        log.info(
            "sync now done sent=%d acked=%d rejected=%d pulled=%d failed_steps=%d",
            pushed.sent, pushed.acked, pushed.rejected, pulled.items, len(run.errors),
        )  # fmt: skip
        return run


def _step(progress: RunProgress | None, job: Job) -> Progress | None:
    if progress is None:
        return None

    def told(first: int, second: int) -> None:
        if job is Job.PULL:
            progress(job, second, 0)  # (pages, items): the items read, of a number unknown
        else:
            progress(job, first, second)

    return told
