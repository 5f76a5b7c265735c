"""Push: the outbox's waiting events to the registry, in order, in batches.

Each batch's answers are written in one transaction: accepted and duplicate events are
acknowledged, refused ones kept with the registry's reason, unanswered ones noted and left to
send. A batch that fails (no answer, an unreadable one, an error status) is noted on its events
and ends the run; the events stay and go with the next run. A run sends each event at most once,
except when the registry refuses a batch as a whole as malformed or too large (HTTP 400/413):
then the batch is halved until the one event it refuses is found, and that one is kept refused.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

from emp_edge.errors import RegistryAnswerError, RegistryRefusedError, SyncError
from emp_edge.store import Store
from emp_edge.store.outbox import StoredEvent, backlog, pending_raw
from emp_edge.store.outbox_answers import Answer, Verdict, record_answers, record_failure
from emp_edge.store.sync_jobs import Job, error_record, job_failed, job_started, job_succeeded
from emp_edge.sync.client import REFUSED, RegistryClient

log = logging.getLogger(__name__)

#: told (events answered, events waiting when the run began) after each batch
Progress = Callable[[int, int], None]
#: whole-request refusals that may be one event's fault: the batch is halved to find it
HALVE_ON: Final = frozenset({400, 413})
UNANSWERED: Final = error_record(
    RegistryAnswerError("the registry's answer left this event out: it stays to be sent")
)


@dataclass(frozen=True)
class PushReport:
    """What one run did. ``acked`` counts accepted and duplicate events (``duplicates`` is the
    part of them the registry had already); ``rejected`` those kept refused; ``unanswered``
    events the answers left out (sent again next run)."""

    sent: int = 0
    acked: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    error: SyncError | None = None
    unanswered: int = 0

    def figures(self) -> dict[str, Any]:
        """The report as kept in ``sync_jobs`` (the error is kept on its own)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "error"}


class _Run:
    """One push run's counts and its batches."""

    def __init__(self, store: Store, client: RegistryClient, progress: Progress | None) -> None:
        self.store = store
        self.client = client
        self.progress = progress
        self.sent = self.acked = self.duplicates = self.rejected = 0
        self.batches = self.unanswered = 0
        self.answered = False  # some request of this run got the registry's verdicts
        self.refused_whole = 0  # single events kept refused for a whole-request refusal
        self.total = backlog(store.conn)

    def report(self, error: SyncError | None = None) -> PushReport:
        return PushReport(
            self.sent,
            self.acked,
            self.duplicates,
            self.rejected,
            self.batches,
            error,
            self.unanswered,
        )

    def batch(self, events: Sequence[StoredEvent]) -> SyncError | None:
        """Send one batch of the outbox (halving it on 400/413); the error that ends the run."""
        self.sent += len(events)
        todo: deque[Sequence[StoredEvent]] = deque([events])
        while todo:
            chunk = todo.popleft()
            try:
                answers = self.client.send_events(chunk)
            except RegistryRefusedError as err:
                if err.status not in HALVE_ON:
                    return self.failed(chunk, err)
                if len(chunk) > 1:
                    self.noted(chunk, err)
                    half = len(chunk) // 2
                    todo.extendleft((chunk[half:], chunk[:half]))
                    continue
                if self.refused_whole and not self.answered:
                    # the registry refuses every request, not one event: keep the events
                    return self.failed(chunk, err)
                self.refused_whole += 1
                answers = [Answer(chunk[0].event_id, Verdict.REJECTED, _whole_refusal(err))]
            except SyncError as err:
                return self.failed(chunk, err)
            else:
                self.answered = True
            self.record(chunk, answers)
        return None

    def record(self, chunk: Sequence[StoredEvent], answers: Sequence[Answer]) -> None:
        """Write one request's answers and note the events left unanswered, in one transaction."""
        answered = {a.event_id for a in answers}
        left_out = [e.event_id for e in chunk if e.event_id not in answered]
        with self.store.transaction(require_event=False) as tx:
            recorded = record_answers(tx, answers)
            if left_out:
                record_failure(tx, left_out, UNANSWERED)
        verdicts = Counter(a.verdict for a in answers)
        self.acked += recorded.acked
        self.rejected += recorded.rejected
        self.duplicates += verdicts[Verdict.DUPLICATE]
        self.unanswered += len(left_out)
        self.batches += 1
        types = Counter(e.type for e in chunk)
        log.info(
            "push batch events=%d first_seq=%d last_seq=%d types=%s accepted=%d duplicate=%d"
            " rejected=%d unanswered=%d",
            len(chunk),
            chunk[0].seq,
            chunk[-1].seq,
            ",".join(f"{t}:{n}" for t, n in sorted(types.items())),
            verdicts[Verdict.ACCEPTED],
            verdicts[Verdict.DUPLICATE],
            verdicts[Verdict.REJECTED],
            len(left_out),
        )
        if self.progress is not None:
            self.progress(self.acked + self.rejected + self.unanswered, self.total)

    def noted(self, chunk: Sequence[StoredEvent], err: SyncError) -> None:
        with self.store.transaction(require_event=False) as tx:
            record_failure(tx, [e.event_id for e in chunk], error_record(err))

    def failed(self, chunk: Sequence[StoredEvent], err: SyncError) -> SyncError:
        self.noted(chunk, err)
        log.warning(
            "push batch failed events=%d first_seq=%d last_seq=%d error=%s",
            len(chunk),
            chunk[0].seq,
            chunk[-1].seq,
            type(err).__name__,
        )
        return err


def _whole_refusal(err: RegistryRefusedError) -> str:
    return REFUSED.format(status=err.status, message=err.params.get("message", "")).strip()


def push(
    store: Store,
    client: RegistryClient,
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> PushReport:
    """Send the waiting events until none is left or a batch fails; the run's report.

    A ``SyncError`` is not raised: it ends the run and comes back in ``report.error``. The run
    is recorded in ``sync_jobs`` (push). Events written while it runs wait for the next run.
    """
    if batch_size < 1:
        raise ValueError("a batch holds at least one event")
    with store.transaction(require_event=False) as tx:
        job_started(tx, Job.PUSH)
    row = store.conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
    last_seq = int(row[0])
    run = _Run(store, client, progress)
    after = 0
    error: SyncError | None = None
    while error is None:
        events = [e for e in pending_raw(store.conn, batch_size, after=after) if e.seq <= last_seq]
        if not events:
            break
        after = events[-1].seq
        error = run.batch(events)
    if error is None and run.unanswered:
        error = RegistryAnswerError(
            "the registry's answers left {count} events out: they stay to be sent",
            count=run.unanswered,
        )
    report = run.report(error)
    with store.transaction(require_event=False) as tx:
        if error is None:
            job_succeeded(tx, Job.PUSH, report.figures())
        else:
            job_failed(tx, Job.PUSH, error_record(error), report.figures())
    log.log(
        logging.INFO if report.sent or error is not None else logging.DEBUG,  # quiet when idle
        "push done sent=%d acked=%d duplicates=%d rejected=%d batches=%d error=%s",
        report.sent,
        report.acked,
        report.duplicates,
        report.rejected,
        report.batches,
        type(error).__name__ if error else "-",
    )
    return report
