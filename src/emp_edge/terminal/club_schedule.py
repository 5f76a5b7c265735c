"""The club rooms' schedule on the box with their terminals: every minute, close the sessions
whose end has come and open the scheduled sessions due at each club terminal.

An APScheduler background job (at start, then at the first second of every minute). Opening and
closing are idempotent (a slot's session is one row per day, a closed session is left alone),
so a run that fails — logged — is simply made up by the next one. Each terminal's opening is a
transaction of its own: one that fails does not hold the others back.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Final

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from emp_edge.domain.clock import Clock
from emp_edge.errors import EdgeError
from emp_edge.store import Store
from emp_edge.store.club_sessions import close_ended, open_scheduled

log = logging.getLogger(__name__)

JOB_ID: Final = "clubs.schedule"


@dataclass(frozen=True)
class Sweep:
    """What one run did: the sessions closed and opened, and the steps that failed."""

    closed: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class ClubSchedule:
    """The every-minute job of the club terminals named ``terminals``."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        tz: tzinfo,
        terminals: Sequence[str],
        open_before_minutes: int,
    ) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.terminals = tuple(terminals)
        self.open_before = timedelta(minutes=open_before_minutes)
        self._scheduler: BackgroundScheduler | None = None

    def run(self) -> Sweep:
        """Close the ended sessions, then open the due ones; failures are logged, not raised."""
        sweep = Sweep()
        now = self.clock.now()
        try:
            with self.store.transaction() as tx:
                sweep.closed.extend(close_ended(tx, now))
        except (EdgeError, sqlite3.Error) as err:
            log.warning("closing ended club sessions failed reason=%s", err)
            sweep.failed.append("close")
        for terminal in self.terminals:
            try:
                with self.store.transaction() as tx:
                    opened = open_scheduled(tx, terminal, now, self.tz, self.open_before)
            except (EdgeError, sqlite3.Error) as err:
                log.warning("opening club sessions failed terminal=%s reason=%s", terminal, err)
                sweep.failed.append(terminal)
                continue
            sweep.opened.extend(session.id for session in opened)
        for session_id in sweep.closed:
            log.info("club session closed at its end session=%d", session_id)
        for session_id in sweep.opened:
            log.info("club session opened by the schedule session=%d", session_id)
        return sweep

    def start(self) -> None:
        scheduler = BackgroundScheduler(timezone=self.tz, daemon=True)
        scheduler.add_job(
            self.run,
            CronTrigger(second=1, timezone=self.tz),
            id=JOB_ID,
            next_run_time=datetime.now(self.tz),  # at start too: a box just switched on
            coalesce=True,
            max_instances=1,
            misfire_grace_time=50,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("club schedule started terminals=%s", ",".join(self.terminals))

    def next_run(self) -> datetime | None:
        """When the job runs next (None when not started)."""
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(JOB_ID)
        found: datetime | None = job.next_run_time if job is not None else None
        return found

    def stop(self) -> None:
        """Stop the schedule, letting a run in progress finish its transaction."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
