"""Closing the canteen's days on the box with the tills: once at start, then every evening.

An APScheduler background job closes every day that is over, has free meals and is not closed
yet (``store.canteen_days.close_open_days``), so the registry hears of each day's free meals
even when nobody presses the button. A missed evening (the box was off) is made up at the next
start. A failure is logged and tried again at the next run; closing is idempotent.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, tzinfo
from typing import Final

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from emp_edge.domain.clock import Clock
from emp_edge.errors import EdgeError
from emp_edge.store import Store
from emp_edge.store.canteen_days import close_open_days

log = logging.getLogger(__name__)

JOB_ID: Final = "canteen.close_days"


class DayClosing:
    """The evening job: ``start`` runs it at once and schedules it daily at ``at``."""

    def __init__(self, store: Store, clock: Clock, tz: tzinfo, school_code: str, at: time) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.school_code = school_code
        self.at = at
        self._scheduler: BackgroundScheduler | None = None

    def run(self) -> list[date]:
        """Close the open days now; the days closed (none when it failed, which is logged)."""
        try:
            closed = close_open_days(self.store, self.clock, self.tz, self.school_code)
        except EdgeError as err:
            log.warning("closing the canteen days failed reason=%s", err)
            return []
        for day in closed:
            log.info("canteen day closed day=%s", day.isoformat())
        return closed

    def start(self) -> None:
        scheduler = BackgroundScheduler(timezone=self.tz, daemon=True)
        scheduler.add_job(
            self.run,
            CronTrigger(hour=self.at.hour, minute=self.at.minute, timezone=self.tz),
            id=JOB_ID,
            next_run_time=datetime.now(self.tz),  # at start too: a box off at night catches up
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("canteen day closing scheduled at=%s", self.at.strftime("%H:%M"))

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
