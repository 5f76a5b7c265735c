"""A job's lock across processes: no two runs of a sync job at once, even from two commands.

The lock is an ``flock`` on a file next to the database (``<db>.sync-push.lock``,
``<db>.sync-pull.lock``, ``<db>.care.lock``), taken without waiting: a run that finds it held is
skipped ("already running"). The operating system lets go of it when the holding process ends,
even by ``kill -9``, so a crash never leaves a job locked. The file itself stays; it holds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from filelock import FileLock, Timeout

from emp_edge.errors import SyncError

#: the jobs that take a lock of their own
PUSH: Final = "sync-push"
PULL: Final = "sync-pull"
CARE: Final = "care"


def lock_path(db_path: Path, job: str) -> Path:
    """The lock file of ``job`` next to the database: ``<db>.<job>.lock``."""
    return db_path.with_name(f"{db_path.name}.{job}.lock")


class JobLock:
    """One job's lock file; ``try_hold`` takes it for a block if nobody holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def try_hold(self) -> Iterator[bool]:
        """Yields True while this block holds the lock, False (and holds nothing) when another
        run holds it, in this process or another."""
        # a lock object of its own per try: an flock on its own descriptor, so two threads of
        # one process exclude each other as two processes do
        lock = FileLock(self.path, mode=0o600, blocking=False, fallback_to_soft=False)
        try:
            lock.acquire()
        except Timeout:
            yield False
            return
        except OSError as err:
            raise SyncError(
                "cannot take the job's lock file: {reason}",
                where=str(self.path),
                reason=err.strerror or type(err).__name__,
            ) from err
        try:
            yield True
        finally:
            lock.release()

    def held_elsewhere(self) -> bool:
        """Whether another run holds the lock now (a moment's look, for the status)."""
        with self.try_hold() as held:
            return not held
