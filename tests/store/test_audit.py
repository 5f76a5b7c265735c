"""The audit trail: append-only, hash-chained; verify names the first row that does not fit."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
from emp_edge.store.audit import (
    GENESIS,
    AuditFilter,
    Entry,
    browse,
    record,
    row_hash,
    verify,
)


def _write(store: Store, *entries: Entry) -> list[int]:
    with store.transaction(require_event=False) as tx:
        return [record(tx, entry) for entry in entries]


def _trail(store: Store, n: int = 5) -> list[int]:
    return _write(
        store,
        *(
            Entry("ona", "pupil.viewed", f"pupil:{i}", f"row {i}", "10.0.0.7", None)
            for i in range(n)
        ),
    )


def _raw(store: Store) -> sqlite3.Connection:
    """A connection of one's own to the same file, as someone tampering with it would have."""
    assert store.path is not None
    return sqlite3.connect(store.path, isolation_level=None)


def test_each_row_is_chained_to_the_one_before(store: Store) -> None:
    ids = _trail(store, 3)
    rows = store.conn.execute("SELECT id, prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ids
    assert rows[0][1] == GENESIS
    assert rows[1][1] == rows[0][2]
    assert rows[2][1] == rows[1][2]
    check = verify(store.conn)
    assert (check.ok, check.rows, check.first_broken) == (True, 3, None)


def test_an_empty_trail_is_intact(store: Store) -> None:
    assert verify(store.conn).ok
    assert verify(store.conn).rows == 0


def test_the_database_refuses_to_change_or_delete_a_row(store: Store) -> None:
    _trail(store, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE audit_log SET detail = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM audit_log WHERE id = 1")
    assert verify(store.conn).ok


def test_an_edited_row_is_named(store: Store) -> None:
    ids = _trail(store, 5)
    raw = _raw(store)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET detail = 'nothing to see' WHERE id = ?", (ids[2],))
    raw.close()
    check = verify(store.conn)
    assert not check.ok
    assert check.first_broken == ids[2]
    assert check.reason == "its content does not match its hash"
    assert check.rows == 3


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", "2026-10-05T07:31:00+00:00"),
        ("actor", "jonas"),
        ("action", "login"),
        ("subject", "pupil:9"),
        ("source", "10.0.0.8"),
        ("user_id", 1),
    ],
)
def test_any_edited_field_breaks_the_chain(store: Store, column: str, value: object) -> None:
    ids = _trail(store, 3)
    raw = _raw(store)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute(f"UPDATE audit_log SET {column} = ? WHERE id = ?", (value, ids[1]))
    raw.close()
    check = verify(store.conn)
    assert (check.first_broken, check.reason) == (ids[1], "its content does not match its hash")


def test_an_edited_row_with_its_hash_made_again_breaks_the_next_link(store: Store) -> None:
    ids = _trail(store, 4)
    prev_hash, at = store.conn.execute(
        "SELECT prev_hash, at FROM audit_log WHERE id = ?", (ids[1],)
    ).fetchone()
    forged = Entry("ona", "pupil.viewed", "pupil:1", "nothing to see", "10.0.0.7", None)
    raw = _raw(store)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute(
        "UPDATE audit_log SET detail = ?, hash = ? WHERE id = ?",
        (forged.detail, row_hash(prev_hash, at, forged), ids[1]),
    )
    raw.close()
    check = verify(store.conn)
    assert (check.first_broken, check.reason) == (ids[2], "it does not follow the row before it")


def test_a_deleted_row_makes_the_next_one_named(store: Store) -> None:
    ids = _trail(store, 5)
    raw = _raw(store)
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DELETE FROM audit_log WHERE id = ?", (ids[1],))
    raw.close()
    check = verify(store.conn)
    assert check.first_broken == ids[2]
    assert check.reason == "it does not follow the row before it"


def test_new_rows_keep_chaining_after_a_break_but_the_break_stays(store: Store) -> None:
    ids = _trail(store, 3)
    raw = _raw(store)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET detail = 'changed' WHERE id = ?", (ids[0],))
    raw.close()
    _trail(store, 2)
    assert verify(store.conn).first_broken == ids[0]


# ---------------------------------------------------------------------------- browsing


@pytest.fixture
def varied(store: Store, clock: FixedClock) -> Store:
    """Rows by two people over three days (10:30 Vilnius each day)."""
    for actor, action, subject in [
        ("ona", "login", ""),
        ("ona", "pupil.viewed", "pupil:1"),
        ("jonas", "user.added", "user:3"),
    ]:
        _write(store, Entry(actor, action, subject, source="10.0.0.7"))
        clock.advance(days=1)
    _write(store, Entry("ona", "user.changed", "user:3", source="10.0.0.7"))
    return store


def test_browse_is_newest_first_and_counts_all(varied: Store) -> None:
    rows, total = browse(varied.conn, AuditFilter())
    assert total == 4
    assert [r.action for r in rows] == ["user.changed", "user.added", "pupil.viewed", "login"]


@pytest.mark.parametrize(
    ("wanted", "actions"),
    [
        (AuditFilter(actor="jonas"), ["user.added"]),
        (AuditFilter(action="user."), ["user.changed", "user.added"]),
        (AuditFilter(action="%"), ["user.changed", "user.added", "pupil.viewed", "login"]),
        (AuditFilter(subject="user:3"), ["user.changed", "user.added"]),
        (AuditFilter(subject="user:"), []),
        (AuditFilter(actor="ona", action="user"), ["user.changed"]),
    ],
)
def test_browse_filters(varied: Store, wanted: AuditFilter, actions: list[str]) -> None:
    rows, total = browse(varied.conn, wanted)
    assert [r.action for r in rows] == actions
    assert total == len(actions)


def test_browse_by_time(varied: Store) -> None:
    second_day = datetime(2026, 10, 6, 0, 0, tzinfo=UTC).isoformat()
    third_day = datetime(2026, 10, 7, 0, 0, tzinfo=UTC).isoformat()
    rows, _ = browse(varied.conn, AuditFilter(since=second_day, before=third_day))
    assert [r.action for r in rows] == ["pupil.viewed"]


def test_browse_pages(store: Store) -> None:
    _trail(store, 7)
    first, total = browse(store.conn, AuditFilter(), limit=3)
    second, _ = browse(store.conn, AuditFilter(), limit=3, offset=3)
    last, _ = browse(store.conn, AuditFilter(), limit=3, offset=6)
    assert total == 7
    assert [r.subject for r in first] == ["pupil:6", "pupil:5", "pupil:4"]
    assert [r.subject for r in second] == ["pupil:3", "pupil:2", "pupil:1"]
    assert [r.subject for r in last] == ["pupil:0"]
