"""A sync job's lock across processes: held by another process, a run here is refused at once;
that process killed with SIGKILL, the operating system frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emp_edge.errors import SyncError
from emp_edge.sync.lock import CARE, PULL, PUSH, JobLock, lock_path

HOLDER = """
import sys, time
from pathlib import Path
from emp_edge.sync.lock import JobLock
with JobLock(Path(sys.argv[1])).try_hold() as held:
    print("held" if held else "refused", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the push lock until it is killed."""
    path = lock_path(tmp_path / "emp-edge.db", PUSH)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)
    child.stdout.close()


def test_lock_files_sit_next_to_the_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "emp-edge.db"
    assert lock_path(db, PUSH) == tmp_path / "data" / "emp-edge.db.sync-push.lock"
    assert lock_path(db, PULL) == tmp_path / "data" / "emp-edge.db.sync-pull.lock"
    assert lock_path(db, CARE) == tmp_path / "data" / "emp-edge.db.care.lock"


def test_a_lock_held_by_another_process_refuses_at_once_and_a_kill_frees_it(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    lock = JobLock(lock_path(tmp_path / "emp-edge.db", PUSH))
    started = time.monotonic()
    with lock.try_hold() as held:
        assert held is False
    assert time.monotonic() - started < 0.5  # no waiting
    assert lock.held_elsewhere()

    other = JobLock(lock_path(tmp_path / "emp-edge.db", PULL))
    with other.try_hold() as held:
        assert held is True  # each job has a lock of its own

    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    with lock.try_hold() as held:
        assert held is True
    assert not lock.held_elsewhere()


def test_two_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    lock = JobLock(tmp_path / "x.lock")
    seen: list[bool] = []
    with lock.try_hold() as held:
        assert held
        thread = threading.Thread(target=lambda: seen.append(lock.held_elsewhere()))
        thread.start()
        thread.join(timeout=5)
    assert seen == [True]
    with lock.try_hold() as held:
        assert held  # let go when the block ended


def test_a_lock_is_let_go_when_the_block_raises(tmp_path: Path) -> None:
    lock = JobLock(tmp_path / "x.lock")
    with pytest.raises(RuntimeError), lock.try_hold() as held:
        assert held
        raise RuntimeError("the run failed")
    assert not lock.held_elsewhere()


def test_a_lock_file_that_cannot_be_made_is_a_sync_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    lock = JobLock(tmp_path / "a-file" / "x.lock")
    with pytest.raises(SyncError, match="cannot take the job's lock file"), lock.try_hold():
        pass
