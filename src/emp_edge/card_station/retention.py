"""The station's daily care of the cards, run by the sync jobs' schedule (``sync/schedule.py``):
once at start, then every night at 02:30 school time, one run at a time across processes.

Each run expires the issued cards past their last day (§45) in one transaction, then purges the
printed data and photos of cards issued ``cards.retention_days`` ago (§24) in another, then
empties the write-ahead log so no copy of the deleted pages stays on disk. A missed night (the
box was off) is made up at the next start; both steps are idempotent. A failure is logged and
tried again at the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from emp_edge.errors import EdgeError
from emp_edge.services import Services
from emp_edge.store.card_retention import (
    PurgeCounts,
    expire_cards,
    flush_deleted,
    purge_card_data,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CareDone:
    """What one run did."""

    expired: int
    purged: PurgeCounts
    flushed: bool  # the write-ahead log was emptied


class CardCare:
    """The nightly job; ``run`` is what the schedule calls."""

    def __init__(self, services: Services) -> None:
        self.services = services

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
