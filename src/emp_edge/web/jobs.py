"""Background jobs with progress, for work too long for one request (a class-list import).

A job runs in its own thread; the page that started it follows its progress over Server-Sent
Events or by reloading. Jobs are kept in memory by the app (``app.extensions["emp_edge_jobs"]``),
each under a random id and visible only to the account that started it; finished jobs are
dropped an hour after they end. A job holds no personal data beyond its result, and its work
says what to clean up before the job is marked finished.

A job's input file waits in a private spool folder (0700, files 0600, random names): the job
deletes it when it ends, and a file left there by a stopped server is deleted an hour later.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from flask import Response, abort, current_app
from flask.sansio.app import App
from flask_login import current_user

from emp_edge.errors import EdgeError
from emp_edge.web import live
from emp_edge.web.i18n import error_text

log = logging.getLogger(__name__)

EXTENSION = "emp_edge_jobs"
#: how long a finished job is kept for its page, and a spooled file left by a stopped server
KEEP_SECONDS = 3600.0

#: told (rows done, rows in all) as the work goes on
Progress = Callable[[int, int], None]
#: the work of a job: gets the progress callback, returns the result to show
Work = Callable[[Progress], Any]


@dataclass
class Job:
    """One piece of work and how far it has got. Read it through ``Jobs.snapshot``."""

    id: str
    owner: int
    kind: str
    done: int = 0
    total: int = 0
    finished: bool = False
    result: Any = None
    error: EdgeError | None = None
    failed: bool = False  # ended by an unexpected error
    finished_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)


class Jobs:
    """The jobs of one app: thread-safe, keyed by a random id."""

    def __init__(
        self, *, keep_seconds: float = KEEP_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep_seconds
        self._now = now

    def start(
        self,
        owner: int,
        kind: str,
        work: Work,
        *,
        total: int = 0,
        cleanup: Callable[[], None] | None = None,
    ) -> str:
        """Run ``work`` in a new thread (``total``: the steps it is known to have); returns the
        job's id. ``cleanup`` runs in that thread after the work, before the job is finished."""
        self.prune()
        job = Job(secrets.token_urlsafe(16), owner, kind, total=total, started_at=self._now())
        with self._lock:
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run, args=(job, work, cleanup), name=f"job-{kind}", daemon=True
        )
        thread.start()
        return job.id

    def _run(self, job: Job, work: Work, cleanup: Callable[[], None] | None) -> None:
        def progress(done: int, total: int) -> None:
            with self._lock:
                job.done, job.total = done, total

        result: Any = None
        error: EdgeError | None = None
        failed = False
        try:
            result = work(progress)
        except EdgeError as err:
            error = err
            log.warning("job ended with an error kind=%s error=%s", job.kind, type(err).__name__)
        except Exception as err:  # noqa: BLE001 - a job must always end, and say so
            failed = True
            log.error("job failed kind=%s error=%s", job.kind, type(err).__name__)
        finally:
            if cleanup is not None:
                try:
                    cleanup()
                except OSError as err:
                    log.error("job cleanup failed kind=%s error=%s", job.kind, type(err).__name__)
            with self._lock:
                job.result, job.error, job.failed = result, error, failed
                job.finished = True
                job.finished_at = self._now()

    def snapshot(self, job_id: str, owner: int) -> Job | None:
        """A copy of the job as it is now, or None when it is not there or not ``owner``'s."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner:
                return None
            return replace(job)

    def prune(self) -> None:
        """Forget jobs that finished more than ``keep_seconds`` ago."""
        limit = self._now() - self._keep
        with self._lock:
            for job_id in [
                j.id
                for j in self._jobs.values()
                if j.finished_at is not None and j.finished_at < limit
            ]:
                del self._jobs[job_id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)


def install(app: App) -> Jobs:
    """The app's jobs, made the first time they are asked for."""
    jobs: Jobs = app.extensions.setdefault(EXTENSION, Jobs())
    return jobs


def jobs() -> Jobs:
    """The jobs of the app serving this request."""
    found: Jobs = current_app.extensions[EXTENSION]
    return found


def own_job(job_id: str, kind: str) -> Job:
    """The signed-in person's job of this kind, or a 404: nobody sees another's job."""
    job = jobs().snapshot(job_id, current_user.account.id)
    if job is None or job.kind != kind:
        abort(404)
    return job


def job_view(job: Job, unexpected: str, **extra: Any) -> tuple[dict[str, Any], Any]:
    """The part of a job's view every kind shares, and the job's result once it has one.

    A job that ended without a result is ``failed``, with its error in the reader's language, or
    ``unexpected`` (already translated) when it ended by an error nobody foresaw.
    """
    view: dict[str, Any] = {
        "finished": job.finished,
        "running": not job.finished,
        "done": job.done,
        "total": job.total,
        "failed": False,
        "error_text": "",
        "report": None,
        **extra,
    }
    if job.finished and job.result is None:
        view["failed"] = True
        view["error_text"] = error_text(job.error) if job.error is not None else unexpected
    return view, job.result if job.finished else None


def progress_stream(job_id: str, kind: str, view: Callable[[Job], Any]) -> Response:
    """Server-Sent Events of the job's progress (``view`` of each snapshot) until it ends."""
    own_job(job_id, kind)
    owner = current_user.account.id
    ended = False

    def produce() -> tuple[str, Any] | None:
        nonlocal ended
        job = jobs().snapshot(job_id, owner)
        if ended or job is None:
            return None
        ended = job.finished
        return "progress", view(job)

    return live.stream(produce)


# ---------------------------------------------------------------- the spool of input files


class SpoolError(Exception):
    """The file was not kept: ``too_large`` says whether it was over the limit, else empty."""

    def __init__(self, *, too_large: bool) -> None:
        super().__init__("file too large" if too_large else "file empty")
        self.too_large = too_large


def spool_folder(folder: Path) -> Path:
    """The private folder (0700), made if missing; files older than an hour are removed."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    stale = time.time() - KEEP_SECONDS
    for leftover in folder.iterdir():
        try:
            if leftover.is_file() and leftover.stat().st_mtime < stale:
                leftover.unlink()
        except OSError:
            continue
    return folder


def spool(source: IO[bytes], folder: Path, suffix: str, limit: int) -> Path:
    """Copy ``source`` into a new file (0600) with a random name; at most ``limit`` bytes."""
    path = spool_folder(folder) / f"{secrets.token_hex(16)}{suffix}"
    size = 0
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise SpoolError(too_large=True)
                out.write(chunk)
        if size == 0:
            raise SpoolError(too_large=False)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
