"""The database: one SQLite file, opened with the same pragmas on every connection.

The only way to change state is ``Store.transaction()``: it takes the write lock at once
(``BEGIN IMMEDIATE``, so two tills never deadlock upgrading a read to a write), and it commits the
change together with its outbox event(s) or rolls both back. A transaction that writes rows but
emits no event is refused, unless the caller says so with ``require_event=False`` (for local
bookkeeping that the registry never hears of, such as the audit log of page views).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import sqlite_utils

from emp_edge.domain.clock import Clock
from emp_edge.errors import StoreError
from emp_edge.store import classifiers, migrations
from emp_edge.store.outbox import Transaction

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000


def connect(path: Path | str, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection with the house pragmas: WAL, synchronous=FULL, foreign keys, busy timeout,
    and secure_delete, so a deleted photo or name is overwritten in the file, not left behind.

    Transactions are controlled by hand (``isolation_level=None``), never by the driver.
    """
    try:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout_ms / 1000,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if str(path) != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError("cannot switch the database to WAL mode (got {mode})", mode=mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.Error as err:
        raise StoreError(
            "cannot open the database: {reason}", where=str(path), reason=str(err)
        ) from err
    return conn


def _create_private(path: Path) -> None:
    """Make the data folder (0700) and an empty database file (0600) if they are missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError as err:
        raise StoreError(
            "cannot create the database file: {reason}",
            where=str(path),
            reason=err.strerror or str(err),
        ) from err
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


class Store:
    """The school's database. One connection per thread; writes only through ``transaction()``."""

    def __init__(
        self,
        path: Path | str,
        clock: Clock,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        create: bool = True,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms
        if self.path is not None:
            if create:
                _create_private(self.path)
            elif not self.path.exists():
                raise StoreError(
                    "there is no database here; run 'emp-edge init' first", where=str(self.path)
                )
        self._local = threading.local()
        self._memory_conn: sqlite3.Connection | None = None
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connections
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (``:memory:`` stores share one)."""
        if self.path is None:
            if self._memory_conn is None:
                self._memory_conn = connect(":memory:", self.busy_timeout_ms)
                self._all.append(self._memory_conn)
            return self._memory_conn
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.busy_timeout_ms)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils view of the database (for reads, and inside transactions)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None or db.conn is not self.conn:
            db = sqlite_utils.Database(self.conn, execute_plugins=False)
            self._local.db = db
        return db

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
        self._memory_conn = None

    # ------------------------------------------------------------------ schema
    def migrate(self) -> list[migrations.Migration]:
        """Apply the migrations this database lacks; returns those applied."""
        shipped = migrations.registry()
        todo = migrations.pending(self.conn, shipped)
        for migration in todo:
            migrations.apply(self.conn, migration, self.clock.now().astimezone(UTC).isoformat())
            log.info("migration applied number=%d name=%s", migration.number, migration.name)
        self.refresh_classifiers()
        return todo

    def refresh_classifiers(self) -> None:
        """Write the NVŠ classifiers shipped with this version (reference data: no event)."""
        with self.transaction(require_event=False) as tx:
            changed = classifiers.refresh(tx.conn, classifiers.shipped())
        if changed:
            log.info("nvs classifiers refreshed rows=%d", changed)

    def pending_migrations(self) -> list[migrations.Migration]:
        return migrations.pending(self.conn, migrations.registry())

    # ------------------------------------------------------------------ the write path
    @contextmanager
    def transaction(self, *, require_event: bool = True) -> Iterator[Transaction]:
        """One change: commits its rows and its outbox event(s) together, or neither."""
        conn = self.conn
        if conn.in_transaction:
            raise StoreError("transactions do not nest: finish the open one first")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreError("the database is busy: {reason}", reason=str(err)) from err
        changes_before = conn.total_changes
        tx = Transaction(conn, self.db, self.clock)
        try:
            yield tx
            if require_event and not tx.events and conn.total_changes != changes_before:
                raise StoreError("a change was about to be written without its outbox event")
            conn.execute("COMMIT")
        except BaseException:
            _roll_back(conn)
            raise


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if an error has not already ended it."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
