"""The card printer on a CUPS queue, through pycups.

Each card is one job: its PDF streamed as the job's document with ``sides=two-sided-long-edge``
and, as ``media``, the queue's own CR80 size when it lists one (a ``media-supported`` name of
85.6 × 53.98 mm, or one naming CR80), else ``Custom.85.6x53.98mm``.

``check_ready`` raises PrinterError when the server cannot be reached, the queue does not
exist, is stopped (``printer-state`` 5, with the printer's message) or rejects jobs.

``wait`` polls ``job-state`` (a short pause growing to 0.2 s) and decides the blank's outcome:

- 9 completed → PRINTED. (A raw socket queue says "completed" even when the printer dropped
  the connection mid-job: CUPS cannot know better, nor can we.)
- 8 aborted (the backend failed and the queue's error policy is ``abort-job``) → SPOILED, the
  reason being the printer's message for the job ("The printer is not responding.").
- 7 cancelled at the server → NOT_PRINTED if the job had not started processing
  (``time-at-processing`` unset), else SPOILED.
- still pending or held while the queue is stopped (someone stopped it, or the error policy
  ``stop-printer`` did) → the job is cancelled: NOT_PRINTED if it had not started, else
  SPOILED, with the printer's state message. Waiting on would only hold the batch up.
- no end within ``timeout_s`` → the job is cancelled and SPOILED "the printer did not finish
  in N s" (a blank may be stuck in the printer), unless it completed meanwhile, or NOT_PRINTED
  with that reason if it never started processing (it waited behind other jobs).
- the server unreachable while waiting → retried until the timeout, then SPOILED (the job may
  have printed); a job the server no longer knows → SPOILED.

pycups talks to the server set in the calling thread (libcups keeps it per thread), so each
call sets it (``setServer``/``setPort``) before connecting; ``Connection(host=...)`` alone
does not print. Every pycups error leaves here as PrinterError. Job titles carry the card
number only; the logs name the queue and the job id, nothing personal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from typing import Any, Final

from emp_edge.errors import PrinterError
from emp_edge.printer.card_print_port import PrintOutcome, PrintResult

log = logging.getLogger(__name__)

CR80_MM: Final = (85.6, 53.98)
CUSTOM_CR80: Final = "Custom.85.6x53.98mm"
DUPLEX: Final = "two-sided-long-edge"
FIRST_PAUSE_S: Final = 0.005
MAX_PAUSE_S: Final = 0.2
PAUSE_GROWTH: Final = 1.3

# IPP enums and status codes (RFC 8011)
_JOB_PENDING, _JOB_HELD, _JOB_PROCESSING, _JOB_STOPPED = 3, 4, 5, 6
_JOB_CANCELLED, _JOB_ABORTED, _JOB_COMPLETED = 7, 8, 9
_PRINTER_STOPPED = 5
_HTTP_CONTINUE = 100
_IPP_STATUS_ERRORS = 0x0400
_IPP_NOT_FOUND, _IPP_NOT_ACCEPTING = 0x0406, 0x0506

_PRINTER_KEYS: Final = [
    "printer-state", "printer-state-message", "printer-state-reasons",
    "printer-is-accepting-jobs", "media-supported",
]  # fmt: skip
_JOB_KEYS: Final = [
    "job-state", "job-state-reasons", "job-state-message", "job-printer-state-message",
    "time-at-processing",
]  # fmt: skip
_PWG_SIZE = re.compile(r"_(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(mm|in)$")


def cr80_media(supported: Iterable[str]) -> str:
    """The queue's name for a CR80 card among its ``media-supported``, else a custom size."""
    for name in supported:
        if "cr80" in name.lower():
            return name
        size = _PWG_SIZE.search(name)
        if size is None:
            continue
        scale = 25.4 if size.group(3) == "in" else 1.0
        sides = sorted(float(size.group(n)) * scale for n in (1, 2))
        if all(abs(a - b) <= 0.5 for a, b in zip(sides, sorted(CR80_MM), strict=True)):
            return name
    return CUSTOM_CR80


def _pycups() -> Any:
    try:
        import cups
    except ImportError as err:
        raise PrinterError(
            "CUPS printing needs pycups: install emp-edge with the cups extra"
        ) from err
    return cups


def _listed(value: Any) -> list[str]:
    """An IPP attribute with one or many values as a list (pycups gives one value bare)."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _state_text(attributes: dict[str, Any]) -> str:
    """The printer's own words on its state: its message, else its state reasons."""
    message = str(attributes.get("printer-state-message") or "").strip()
    if message:
        return message
    reasons = [r for r in _listed(attributes.get("printer-state-reasons")) if r != "none"]
    return ", ".join(reasons) or f"printer-state {attributes.get('printer-state')}"


class CupsCardPrinter:
    """A CUPS queue, on the machine's default server or on ``server`` (``host[:port]``)."""

    def __init__(self, queue: str, server: str = "") -> None:
        self.queue = queue
        self.server = server
        self.name = f"{queue}@{server}" if server else queue
        self._media: str | None = None

    # -- the server --------------------------------------------------------------------------

    def _connection(self) -> Any:
        """A new connection to the server (set for this thread first: libcups keeps it so)."""
        cups = _pycups()
        host, port = self._address()
        cups.setServer(host)
        cups.setPort(port)
        try:
            return cups.Connection()
        except RuntimeError as err:
            where = self.server or f"{cups.getServer()}:{cups.getPort()}"
            raise PrinterError(
                "the print server {server} cannot be reached: {reason}",
                server=where,
                reason=str(err),
            ) from err

    def _address(self) -> tuple[str, int]:
        """Host (or socket path) and port; empty and 0 mean libcups' defaults (the
        ``CUPS_SERVER``/``IPP_PORT`` environment, client.conf, the local socket, port 631)."""
        server = self.server.strip()
        if not server or server.startswith("/"):
            return server, 0
        host, colon, port = server.rpartition(":")
        if colon and port.isdigit() and (not host.count(":") or host.endswith("]")):
            return host.strip("[]"), int(port)
        return server.strip("[]"), 0

    def _refused(self, err: Exception) -> PrinterError:
        """A pycups error as PrinterError, in the station's words where there are some."""
        cups = _pycups()
        status = err.args[0] if isinstance(err, cups.IPPError) and err.args else None
        if status == _IPP_NOT_FOUND:
            return PrinterError("the card printer {queue} does not exist", queue=self.queue)
        if status == _IPP_NOT_ACCEPTING:
            return PrinterError(
                "the card printer {queue} does not accept jobs: {message}",
                queue=self.queue,
                message=str(err.args[-1]),
            )
        reason = str(err.args[-1]) if err.args else type(err).__name__
        return PrinterError(
            "the print server refused the card printer {queue}: {reason}",
            queue=self.queue,
            reason=reason,
        )

    def _errors(self) -> tuple[type[Exception], ...]:
        cups = _pycups()
        return (cups.IPPError, cups.HTTPError, RuntimeError)

    # -- the port ------------------------------------------------------------------------------

    def check_ready(self) -> None:
        connection = self._connection()
        try:
            attributes = connection.getPrinterAttributes(
                self.queue, requested_attributes=_PRINTER_KEYS
            )
        except self._errors() as err:
            raise self._refused(err) from err
        self._media = cr80_media(_listed(attributes.get("media-supported")))
        if attributes.get("printer-state") == _PRINTER_STOPPED:
            raise PrinterError(
                "the card printer {queue} is off or stopped: {message}",
                queue=self.queue,
                message=_state_text(attributes),
            )
        if not attributes.get("printer-is-accepting-jobs", True):
            raise PrinterError(
                "the card printer {queue} does not accept jobs: {message}",
                queue=self.queue,
                message=_state_text(attributes),
            )

    def submit(self, title: str, pdf: bytes) -> str:
        connection = self._connection()
        try:
            if self._media is None:
                attributes = connection.getPrinterAttributes(
                    self.queue, requested_attributes=["media-supported"]
                )
                self._media = cr80_media(_listed(attributes.get("media-supported")))
            options = {"media": self._media, "sides": DUPLEX}
            job = int(connection.createJob(self.queue, title, options))
        except self._errors() as err:
            raise self._refused(err) from err
        try:
            self._send(connection, job, title, pdf)
        except PrinterError:
            self._cancel(connection, job)
            raise
        except self._errors() as err:
            self._cancel(connection, job)
            raise self._refused(err) from err
        log.info("card job %s sent to %s (%d bytes)", job, self.name, len(pdf))
        return str(job)

    def _send(self, connection: Any, job: int, title: str, pdf: bytes) -> None:
        """The PDF as the job's one document, streamed (no file on disk)."""
        started = connection.startDocument(self.queue, job, title, "application/pdf", 1)
        written = connection.writeRequestData(pdf, len(pdf)) if started == _HTTP_CONTINUE else 0
        finished = connection.finishDocument(self.queue)
        if written != _HTTP_CONTINUE or finished >= _IPP_STATUS_ERRORS:
            raise PrinterError(
                "the card printer {queue} did not take job {job}: HTTP {http}, IPP {ipp}",
                queue=self.queue,
                job=job,
                http=written or started,
                ipp=f"{finished:#06x}",
            )

    def _cancel(self, connection: Any, job: int) -> None:
        try:
            connection.cancelJob(job)
        except self._errors() as err:  # ended meanwhile, or the server is gone
            log.warning("card job %s on %s not cancelled: %s", job, self.name, err)

    def wait(self, job: str, timeout_s: float) -> PrintOutcome:
        try:
            job_id = int(job)
        except ValueError as err:
            raise PrinterError("{job!r} is not a CUPS job", job=job) from err
        deadline = time.monotonic() + timeout_s
        pause = FIRST_PAUSE_S
        connection: Any = None
        started = False
        while True:
            try:
                connection = connection or self._connection()
                attributes = connection.getJobAttributes(job_id, requested_attributes=_JOB_KEYS)
            except PrinterError as err:
                log.warning("card job %s: %s", job_id, err)
            except self._errors() as err:
                if err.args and err.args[0] == _IPP_NOT_FOUND:
                    return _spoiled(job_id, f"the print server no longer knows job {job_id}")
                log.warning("card job %s on %s: %s", job_id, self.name, err)
                connection = None
            else:
                state = int(attributes.get("job-state", 0))
                started = (
                    started
                    or state == _JOB_PROCESSING
                    or bool(attributes.get("time-at-processing"))
                )
                if state >= _JOB_CANCELLED:
                    return _finished(job_id, state, started, attributes)
                if state in (_JOB_PENDING, _JOB_HELD, _JOB_STOPPED):
                    stopped = self._stopped_queue(connection)
                    if stopped:
                        return self._give_up(connection, job_id, started, stopped)
            left = deadline - time.monotonic()
            if left <= 0:
                reason = f"the printer did not finish in {timeout_s:g} s"
                if connection is None:  # the server is gone: the job may have printed
                    return _spoiled(job_id, reason)
                return self._give_up(connection, job_id, started, reason)
            time.sleep(min(pause, left))
            pause = min(pause * PAUSE_GROWTH, MAX_PAUSE_S)

    def _stopped_queue(self, connection: Any) -> str:
        """The queue's state message when it is stopped; empty when it runs."""
        try:
            attributes = connection.getPrinterAttributes(
                self.queue, requested_attributes=_PRINTER_KEYS
            )
        except self._errors():
            return ""  # the job's own state decides; the timeout ends the wait
        if attributes.get("printer-state") != _PRINTER_STOPPED:
            return ""
        return f"the card printer {self.queue} is off or stopped: {_state_text(attributes)}"

    def _give_up(self, connection: Any, job_id: int, started: bool, reason: str) -> PrintOutcome:
        """Cancel the job; it is PRINTED still if it completed meanwhile."""
        self._cancel(connection, job_id)
        try:
            state = connection.getJobAttributes(job_id, requested_attributes=_JOB_KEYS)
        except self._errors():
            started = True  # not known: count the blank spoiled rather than lose it
        else:
            if state.get("job-state") == _JOB_COMPLETED:
                return PrintOutcome(PrintResult.PRINTED)
            started = started or bool(state.get("time-at-processing"))
        if not started:
            log.warning("card job %s cancelled before it printed: %s", job_id, reason)
            return PrintOutcome(PrintResult.NOT_PRINTED, reason)
        return _spoiled(job_id, reason)


def _spoiled(job_id: int, reason: str) -> PrintOutcome:
    log.warning("card job %s spoiled: %s", job_id, reason)
    return PrintOutcome(PrintResult.SPOILED, reason)


def _finished(job_id: int, state: int, started: bool, attributes: dict[str, Any]) -> PrintOutcome:
    if state == _JOB_COMPLETED:
        return PrintOutcome(PrintResult.PRINTED)
    if state == _JOB_ABORTED:
        said = [
            str(attributes.get(key) or "").strip()
            for key in ("job-printer-state-message", "job-state-message")
        ]
        reasons = ", ".join(_listed(attributes.get("job-state-reasons")))
        return _spoiled(job_id, next((s for s in said if s), f"the job was aborted: {reasons}"))
    if started:
        return _spoiled(job_id, "the job was cancelled at the print server while printing")
    return PrintOutcome(
        PrintResult.NOT_PRINTED, "the job was cancelled at the print server before it printed"
    )
