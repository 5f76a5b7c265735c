"""The roster pull: read the registry's roster page by page from the saved cursor and apply it.

Each page is applied in its own transaction together with its cursor, so a pull cut anywhere
leaves the box at the end of the last whole page, and the next pull goes on from there. A cursor
the registry no longer knows (410) starts the roster again from the beginning, once per run
(applying is idempotent). Any other ``SyncError`` stops the run: what was applied stays, and the
error is in the report. The run and the registry's clock offset are kept in ``sync_jobs``.
Logs carry counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from emp_edge.errors import CursorExpiredError, EdgeError, RegistryAnswerError, SyncError
from emp_edge.store import Store
from emp_edge.store.roster_items import Applied
from emp_edge.store.roster_sync import apply_roster_page, roster_cursor
from emp_edge.store.sync_jobs import (
    Job,
    clock_offset_seen,
    error_record,
    job_failed,
    job_started,
    job_succeeded,
)
from emp_edge.sync.roster_wire import parse_roster_page

log = logging.getLogger(__name__)

#: called after each page with (pages done, items done)
Progress = Callable[[int, int], None]


class RosterSource(Protocol):
    """What the pull needs of the registry client (``sync.client.RegistryClient``)."""

    def roster_page(self, cursor: str | None, limit: int) -> bytes: ...

    def registry_time(self) -> datetime: ...


@dataclass
class PullReport:
    """What a pull did: its pages, the items' counts summed over them, how it ended."""

    pages: int = 0
    totals: Applied = field(default_factory=Applied)
    restarted: bool = False  # the cursor had expired: the roster was read from the start
    error: SyncError | None = None  # why the run stopped early
    clock_offset_s: int | None = None  # the registry's clock minus the box's

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def items(self) -> int:
        return self.totals.items

    @property
    def created(self) -> int:
        return self.totals.created

    @property
    def updated(self) -> int:
        return self.totals.updated

    @property
    def deleted(self) -> int:
        return self.totals.deleted

    @property
    def skipped(self) -> int:
        return self.totals.skipped

    def count(self, applied: Applied) -> None:
        """Add a page's counts."""
        self.pages += 1
        self.totals.add(applied)

    def as_dict(self) -> dict[str, Any]:
        """The report as ``sync_jobs`` keeps it (the error as its English text)."""
        return {
            "pages": self.pages,
            **self.totals.as_dict(),
            "restarted": self.restarted,
            "clock_offset_s": self.clock_offset_s,
            "error": None if self.error is None else self.error.message,
        }


def pull(
    store: Store,
    client: RosterSource,
    *,
    school_code: str,
    page_size: int = 500,
    progress: Progress | None = None,
) -> PullReport:
    """Pull the roster until the registry has no more; a ``SyncError`` ends the run early and is
    returned in the report, not raised."""
    report = PullReport()
    with store.transaction(require_event=False) as tx:
        job_started(tx, Job.PULL)
    try:
        _clock_offset(store, client, report)
        _pages(store, client, school_code, page_size, progress, report)
    except EdgeError as err:  # not the registry's doing (the store, the settings): note, raise
        _record(store, report, err)
        raise
    _record(store, report, report.error)
    failed = type(report.error).__name__ if report.error else "no"
    log.info(
        "roster pull pages=%d items=%d created=%d updated=%d deleted=%d kept=%d skipped=%d"
        " restarted=%s failed=%s",
        report.pages, report.items, report.created, report.updated, report.deleted,
        report.totals.kept, report.skipped, report.restarted, failed,
    )  # fmt: skip
    return report


def _clock_offset(store: Store, client: RosterSource, report: PullReport) -> None:
    """Keep the registry's clock minus the box's; a registry that does not say is no failure."""
    try:
        registry_now = client.registry_time()
    except SyncError as err:
        log.info("registry time not read: %s", type(err).__name__)
        return
    offset = round((registry_now - store.clock.now()).total_seconds())
    report.clock_offset_s = offset
    with store.transaction(require_event=False) as tx:
        clock_offset_seen(tx, Job.PULL, offset)


def _pages(
    store: Store,
    client: RosterSource,
    school_code: str,
    page_size: int,
    progress: Progress | None,
    report: PullReport,
) -> None:
    cursor = roster_cursor(store.conn)
    while True:
        try:
            page = parse_roster_page(client.roster_page(cursor, page_size))
        except CursorExpiredError as err:
            if report.restarted:
                report.error = err
                return
            log.info("roster cursor expired: reading the roster from the start")
            report.restarted = True
            cursor = None
            continue
        except SyncError as err:
            report.error = err
            return
        if page.more and (page.next_cursor or None) == cursor:
            report.error = RegistryAnswerError(
                "the registry said there is more of the roster but gave no new cursor"
            )
            return
        with store.transaction(require_event=False) as tx:
            applied = apply_roster_page(tx, school_code, page.items, page.next_cursor)
        report.count(applied)
        if progress is not None:
            progress(report.pages, report.items)
        if not page.more:
            return
        cursor = page.next_cursor or None


def _record(store: Store, report: PullReport, err: EdgeError | None) -> None:
    with store.transaction(require_event=False) as tx:
        if err is None:
            job_succeeded(tx, Job.PULL, report.as_dict())
        else:
            job_failed(tx, Job.PULL, error_record(err), report.as_dict())
