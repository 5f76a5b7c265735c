"""The simulated registry's own SQLite file: its tables, and opening it (WAL).

It shares nothing with the box's database: it is the registry's memory across restarts.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

FILE_NAME = "registry.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS boxes (
    school_code TEXT PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE
);
-- an event id is accepted once, forever
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    school_code TEXT NOT NULL,
    type        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    received_at TEXT NOT NULL
);
-- every arrival of an event id, with what the registry answered
CREATE TABLE IF NOT EXISTS receipts (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL,
    school_code TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'rejected')),
    reason      TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_event ON receipts (event_id);
-- NVŠ basket marks: a pupil's basket for a school year is held by one provider at most
CREATE TABLE IF NOT EXISTS basket_marks (
    event_id     TEXT PRIMARY KEY,
    registry_id  TEXT NOT NULL,
    school_year  INTEGER NOT NULL,
    school_code  TEXT NOT NULL,
    enrolment_id INTEGER,
    active       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS basket_marks_pupil
    ON basket_marks (registry_id, school_year) WHERE active = 1;
CREATE INDEX IF NOT EXISTS basket_marks_enrolment
    ON basket_marks (school_code, enrolment_id) WHERE active = 1;
-- the roster's changes per school, in the order they happened; body NULL = a tombstone
CREATE TABLE IF NOT EXISTS roster_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    school_code TEXT NOT NULL,
    kind        TEXT,
    key         TEXT,
    body        TEXT
);
CREATE INDEX IF NOT EXISTS roster_log_school ON roster_log (school_code, seq);
-- the registry's own settings: the roster epoch (cursors of another epoch have expired)
CREATE TABLE IF NOT EXISTS central (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def open_database(data_dir: Path) -> sqlite3.Connection:
    """The registry's database in ``data_dir`` (made if missing), WAL, in autocommit mode.

    Transactions are opened by hand (``BEGIN IMMEDIATE``); the caller serialises use of the
    connection with its lock.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        data_dir / FILE_NAME, isolation_level=None, check_same_thread=False, timeout=10
    )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    conn.execute(
        "INSERT OR IGNORE INTO central (name, value) VALUES ('roster_epoch', ?)",
        (str(secrets.randbelow(10**9) + 1),),
    )
    return conn
