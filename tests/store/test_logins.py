"""Failed logins and locks in the database: counted per user name, any case, across restarts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
from emp_edge.store.logins import clear_failures, locked_until, record_failure


def _fail(store: Store, username: str) -> object:
    with store.transaction(require_event=False) as tx:
        return record_failure(tx, username, "127.0.0.1")


def test_tenth_failure_in_the_window_locks(store: Store, clock: FixedClock) -> None:
    results = []
    for _ in range(10):
        results.append(_fail(store, "Ona"))
        clock.advance(minutes=1)
    assert results[:9] == [None] * 9
    assert results[9] == clock.now() - timedelta(minutes=1) + timedelta(minutes=15)
    assert locked_until(store.conn, "ona", clock.now()) == results[9]


def test_lock_survives_a_new_store_on_the_same_file(
    tmp_path: Path, store: Store, clock: FixedClock
) -> None:
    for _ in range(10):
        _fail(store, "ona")
    reopened = Store(store.path or tmp_path, clock, create=False)
    try:
        assert locked_until(reopened.conn, "ONA", clock.now()) is not None
    finally:
        reopened.close()


def test_after_the_lock_the_count_starts_again(store: Store, clock: FixedClock) -> None:
    for _ in range(10):
        _fail(store, "ona")
    clock.advance(minutes=15, seconds=1)
    assert locked_until(store.conn, "ona", clock.now()) is None
    assert [_fail(store, "ona") for _ in range(9)] == [None] * 9
    assert _fail(store, "ona") is not None


def test_a_good_login_clears_the_count(store: Store) -> None:
    for _ in range(9):
        _fail(store, "ona")
    with store.transaction(require_event=False) as tx:
        clear_failures(tx, "ona")
    assert _fail(store, "ona") is None
