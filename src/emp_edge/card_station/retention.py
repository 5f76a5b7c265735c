"""The station's daily care of the cards: once at start, then every night (02:30 school time).

Each run expires the issued cards past their last day (§45) in one transaction, then purges the
printed data and photos of cards issued ``cards.retention_days`` ago (§24) in another, then
empties the write-ahead log so no copy of the deleted pages stays on disk. A missed night (the
box was off) is made up at the next start; both steps are idempotent. A failure is logged and
tried again at the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from emp_edge.errors import EdgeError
from emp_edge.services import Services
from emp_edge.store.card_retention import (
    PurgeCounts,
    expire_cards,
    flush_deleted,
    purge_card_data,
)

log = logging.getLogger(__name__)

JOB_ID: Final = "cards.care"
DEFAULT_AT: Final = time(2, 30)


@dataclass(frozen=True)
class CareDone:
    """What one run did."""

    expired: int
    purged: PurgeCounts
    flushed: bool  # the write-ahead log was emptied


class CardCare:
    """The nightly job; ``start`` runs it at once and schedules it daily at ``at``."""

    def __init__(self, services: Services, *, at: time = DEFAULT_AT) -> None:
        self.services = services
        self.at = at
        self._scheduler: BackgroundScheduler | None = None
        self._own_scheduler = False

    def run_once(self, today: date) -> CareDone:
        """Expire, then purge, each in its own transaction; errors are raised to the caller."""
        store = self.services.store
        with store.transaction() as tx:
            expired = expire_cards(tx, today)
        days = int(self.services.settings["cards.retention_days"])
        with store.transaction() as tx:
            purged = purge_card_data(tx, today, days)
        flushed = flush_deleted(store.conn) if not purged.nothing else True
        if not flushed:
            log.warning("card data purged but the write-ahead log is still in use")
        return CareDone(expired, purged, flushed)

    def run(self) -> CareDone | None:
        """The scheduled run, for today in school time; a failure is logged, not raised."""
        try:
            return self.run_once(self.services.clock.today())
        except EdgeError as err:
            log.warning("card care failed reason=%s", err)
            return None

    def start(self, scheduler: BackgroundScheduler | None = None) -> None:
        """Schedule the job on ``scheduler``, or on a scheduler of its own started here."""
        tz = self.services.settings.tz
        own = scheduler is None
        target = BackgroundScheduler(timezone=tz, daemon=True) if scheduler is None else scheduler
        target.add_job(
            self.run,
            CronTrigger(hour=self.at.hour, minute=self.at.minute, timezone=tz),
            id=JOB_ID,
            next_run_time=datetime.now(tz),  # at start too: a box off at night catches up
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
            replace_existing=True,
        )
        if own:
            target.start()
        self._scheduler, self._own_scheduler = target, own
        log.info("card care scheduled at=%s", self.at.strftime("%H:%M"))

    def next_run(self) -> datetime | None:
        """When the job runs next (None when not started)."""
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(JOB_ID)
        found: datetime | None = job.next_run_time if job is not None else None
        return found

    def stop(self) -> None:
        """Stop the schedule, letting a run in progress finish its transaction."""
        if self._scheduler is None:
            return
        if self._own_scheduler:
            self._scheduler.shutdown(wait=True)
        elif self._scheduler.get_job(JOB_ID) is not None:
            self._scheduler.remove_job(JOB_ID)
        self._scheduler = None
