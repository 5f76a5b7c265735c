"""The store on real SQLite files: pragmas, file mode, migrations, and the one write path."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emp_edge.domain.clock import FixedClock
from emp_edge.errors import StoreError
from emp_edge.store import Store, migrations
from emp_edge.store.outbox import backlog, pending

TABLES = {
    "schools",
    "classes",
    "pupils",
    "cards",
    "taps",
    "card_events",
    "card_other_entries",
    "blanks",
    "users",
    "user_rights",
    "login_failures",
    "audit_log",
    "ledger",
    "meal_entitlements",
    "programmes",
    "club_groups",
    "group_leaders",
    "enrolments",
    "funding_marks",
    "club_sessions",
    "attendance",
    "outbox",
    "sync_cursors",
    "schema_migrations",
}


def add_school(store: Store, code: str = "190000001", event: bool = True) -> None:
    with store.transaction() as tx:
        tx.execute("INSERT INTO schools (code, name) VALUES (?, 'Šaltinio progimnazija')", (code,))
        if event:
            tx.emit("school.added", {"code": code, "name": "Šaltinio progimnazija"})


def test_pragmas_on_every_connection(store: Store) -> None:
    for conn in (store.conn, Store(store.path, store.clock).conn):  # type: ignore[arg-type]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_file_is_private(store: Store) -> None:
    add_school(store)
    assert store.path is not None
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert store.path.parent.stat().st_mode & 0o777 == 0o700
    for suffix in ("-wal", "-shm"):
        side = store.path.with_name(store.path.name + suffix)
        assert side.exists()
        assert side.stat().st_mode & 0o077 == 0, suffix


def test_loose_mode_is_tightened(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "emp-edge.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Store(path, clock).close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_schema_has_every_table(store: Store) -> None:
    names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= TABLES


def test_migrations_are_recorded_and_applied_once(store: Store) -> None:
    rows = store.conn.execute("SELECT number, name, sha256 FROM schema_migrations").fetchall()
    shipped = migrations.registry()
    assert [(m.number, m.name, m.sha256) for m in shipped] == rows
    assert store.migrate() == []
    assert store.pending_migrations() == []


def test_landed_migrations_never_change() -> None:
    # A landed migration is never edited. When you add one, add its checksum here.
    landed = {
        1: ("initial", Path(__file__).with_name("migration_0001.sha256").read_text().strip()),
        2: ("admin_web", Path(__file__).with_name("migration_0002.sha256").read_text().strip()),
        3: ("taps", Path(__file__).with_name("migration_0003.sha256").read_text().strip()),
        4: ("canteen", Path(__file__).with_name("migration_0004.sha256").read_text().strip()),
        5: ("clubs", Path(__file__).with_name("migration_0005.sha256").read_text().strip()),
        6: (
            "card_station",
            Path(__file__).with_name("migration_0006.sha256").read_text().strip(),
        ),
        7: (
            "registry_sync",
            Path(__file__).with_name("migration_0007.sha256").read_text().strip(),
        ),
    }
    for migration in migrations.registry():
        if migration.number in landed:
            assert (migration.name, migration.sha256) == landed[migration.number]


def test_edited_migration_is_refused(store: Store) -> None:
    store.conn.execute("UPDATE schema_migrations SET sha256 = 'x' WHERE number = 1")
    with pytest.raises(StoreError, match=r"migration 1 .* must never be edited"):
        store.migrate()


def test_database_from_a_newer_version_is_refused(store: Store) -> None:
    store.conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', '')")
    with pytest.raises(StoreError, match="newer emp-edge"):
        store.migrate()


def test_failed_migration_leaves_nothing(tmp_path: Path, clock: FixedClock) -> None:
    store = Store(tmp_path / "x.db", clock)
    broken = migrations.Migration(1, "broken", "CREATE TABLE a (x);\nCREATE TABLE a (x);\n")
    with pytest.raises(StoreError, match="migration 1 \\(broken\\) failed"):
        migrations.apply(store.conn, broken, "now")
    names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert "a" not in names
    assert migrations.applied(store.conn) == {}


def test_missing_database_is_a_clear_error(tmp_path: Path, clock: FixedClock) -> None:
    with pytest.raises(StoreError, match="run 'emp-edge init' first"):
        Store(tmp_path / "none.db", clock, create=False)


def test_change_and_event_commit_together(store: Store, clock: FixedClock) -> None:
    add_school(store)
    [event] = pending(store.conn)
    assert uuid.UUID(event.event_id).version == 4
    assert event.type == "school.added"
    assert event.payload == {"code": "190000001", "name": "Šaltinio progimnazija"}
    assert datetime.fromisoformat(event.created_at) == clock.now()
    assert event.acked_at is None
    assert store.conn.execute("SELECT count(*) FROM schools").fetchone()[0] == 1


def test_error_inside_rolls_back_change_and_event(store: Store) -> None:
    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), store.transaction() as tx:
        tx.execute("INSERT INTO schools (code, name) VALUES ('1', 'A')")
        tx.emit("school.added", {"code": "1"})
        raise BoomError
    assert store.conn.execute("SELECT count(*) FROM schools").fetchone()[0] == 0
    assert backlog(store.conn) == 0
    assert not store.conn.in_transaction


def test_constraint_failure_rolls_back_the_event_too(store: Store) -> None:
    add_school(store)
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as tx:
        tx.emit("school.added", {"code": "190000001"})
        tx.execute("INSERT INTO schools (code, name) VALUES ('190000001', 'again')")
    assert backlog(store.conn) == 1


def test_change_without_event_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="without its outbox event"):
        add_school(store, event=False)
    assert store.conn.execute("SELECT count(*) FROM schools").fetchone()[0] == 0


def test_local_bookkeeping_may_skip_the_event(store: Store) -> None:
    with store.transaction(require_event=False) as tx:
        tx.execute("INSERT INTO login_failures (username, at) VALUES ('ona', ?)", (tx.now(),))
    assert store.conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 1


def test_transactions_do_not_nest(store: Store) -> None:
    with pytest.raises(StoreError, match="do not nest"), store.transaction(), store.transaction():
        pytest.fail("a nested transaction was opened")


def test_payload_must_be_json(store: Store) -> None:
    with pytest.raises(StoreError, match="must be JSON"), store.transaction() as tx:
        tx.emit("x.y", {"a": object()})


def test_sqlite_utils_writes_join_the_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.db["schools"].insert({"code": "2", "name": "B"})
        tx.emit("school.added", {"code": "2"})
        raise RuntimeError
    assert store.db["schools"].count == 0


@settings(max_examples=50, deadline=None)
@given(
    payload=st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: st.lists(inner, max_size=3),
            max_leaves=5,
        ),
        max_size=5,
    )
)
def test_outbox_payload_round_trip(tmp_path_factory: pytest.TempPathFactory, payload: dict) -> None:
    store = Store(tmp_path_factory.mktemp("rt") / "e.db", FixedClock(datetime(2026, 1, 1)))
    store.migrate()
    with store.transaction() as tx:
        event_id = tx.emit("round.trip", payload)
    [event] = pending(store.conn)
    assert event.event_id == event_id
    assert event.payload == json.loads(json.dumps(payload))
    store.close()


def test_audit_log_and_ledger_are_append_only(store: Store) -> None:
    add_school(store)
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, created_at,"
            " updated_at) VALUES (1, 'Ona', 'Ūsaitė', '2015-01-01', '', '')"
        )
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, event_id)"
            " VALUES (1, 'topup', 500, '', 'e1')"
        )
        tx.execute(
            "INSERT INTO audit_log (at, actor, action, prev_hash, hash)"
            " VALUES ('', 'ona', 'login', '', 'h1')"
        )
        tx.emit("test.setup", {})
    for sql in (
        "UPDATE ledger SET amount_cents = 1",
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as tx:
            tx.execute(sql)
            tx.emit("test.tamper", {})


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), store.transaction() as tx:
        tx.execute(
            "INSERT INTO classes (school_id, school_year, grade, label) VALUES (9, 2026, 1, '1')"
        )
        tx.emit("x.y", {})


def test_two_writers_on_two_connections(store: Store, clock: FixedClock) -> None:
    assert store.path is not None
    other = Store(store.path, clock)
    errors: list[BaseException] = []

    def write(s: Store, prefix: str) -> None:
        try:
            for n in range(50):
                with s.transaction() as tx:
                    tx.execute(
                        "INSERT INTO schools (code, name) VALUES (?, 'x')", (f"{prefix}{n}",)
                    )
                    tx.emit("school.added", {"code": f"{prefix}{n}"})
        except BaseException as err:  # the test reports any failure of the thread
            errors.append(err)

    threads = [threading.Thread(target=write, args=(s, p)) for s, p in ((store, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.conn.execute("SELECT count(*) FROM schools").fetchone()[0] == 100
    assert backlog(store.conn) == 100
    other.close()


CRASH = """
import os, sys
from datetime import datetime
from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
store = Store(sys.argv[1], FixedClock(datetime(2026, 1, 1)))
with store.transaction() as tx:
    tx.execute("INSERT INTO schools (code, name) VALUES ('crash', 'x')")
    tx.emit("school.added", {"code": "crash"})
    os._exit(9)  # the power goes out before COMMIT
"""


def test_crash_before_commit_leaves_neither_row_nor_event(store: Store) -> None:
    add_school(store)
    result = subprocess.run([sys.executable, "-c", CRASH, str(store.path)], check=False)
    assert result.returncode == 9
    assert store.conn.execute("SELECT code FROM schools").fetchall() == [("190000001",)]
    assert [e.payload for e in pending(store.conn)] == [
        {"code": "190000001", "name": "Šaltinio progimnazija"}
    ]
