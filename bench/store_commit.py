"""A state change plus its outbox row through ``Store.transaction()``, against a bare sqlite3
INSERT + COMMIT with the same pragmas on the same disk, in the same run.

Both are timed in alternating rounds, so a noisy neighbour hurts both alike.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store, connect

ROUNDS = 10


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _store(folder: Path) -> tuple[Store, int]:
    store = Store(folder / "store.db", FixedClock(datetime(2026, 11, 2, 12, tzinfo=UTC)))
    store.migrate()
    with store.transaction() as tx:
        tx.execute("INSERT INTO schools (code, name) VALUES ('1', 'Bench')")
        tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, created_at,"
            " updated_at) VALUES (1, 'Ona', 'Žukauskaitė', '2015-01-01', '', '')"
        )
        tx.emit("bench.setup", {})
    return store, 1


def bare_database(folder: Path) -> sqlite3.Connection:
    """The baseline: a bare sqlite3 file with the house pragmas and one table without indexes."""
    conn = connect(folder / "bare.db")
    conn.execute(
        "CREATE TABLE ledger (id INTEGER PRIMARY KEY, pupil_id INTEGER, kind TEXT,"
        " amount_cents INTEGER, at TEXT)"
    )
    return conn


def bare_commit(bare: sqlite3.Connection) -> float:
    """One bare INSERT + COMMIT; returns its milliseconds."""
    started = time.perf_counter()
    bare.execute("BEGIN")
    bare.execute(
        "INSERT INTO ledger (pupil_id, kind, amount_cents, at) VALUES (1, 'topup', 500, ?)",
        (datetime.now(UTC).isoformat(),),
    )
    bare.execute("COMMIT")
    return (time.perf_counter() - started) * 1000


def run(quick: bool) -> dict[str, float]:
    per_round = 40 if quick else 400
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        folder = Path(tmp)
        store, pupil = _store(folder)
        bare = bare_database(folder)
        store_ms: list[float] = []
        bare_ms: list[float] = []
        for round_number in range(ROUNDS + 1):  # round 0 warms both up and is not counted
            if round_number == 1:
                store_ms.clear()
                bare_ms.clear()
            for _ in range(per_round):
                started = time.perf_counter()
                with store.transaction() as tx:
                    cursor = tx.execute(
                        "INSERT INTO ledger (pupil_id, kind, amount_cents, at, event_id)"
                        " VALUES (?, 'topup', 500, ?, ?)",
                        (pupil, tx.now(), str(time.perf_counter_ns())),
                    )
                    tx.emit("ledger.topup", {"ledger_id": cursor.lastrowid, "amount_cents": 500})
                store_ms.append((time.perf_counter() - started) * 1000)
            for _ in range(per_round):
                bare_ms.append(bare_commit(bare))
        store.close()
        bare.close()
    store_p50 = statistics.median(store_ms)
    bare_p50 = statistics.median(bare_ms)
    return {
        "store_commit_p50_ms": round(store_p50, 4),
        "store_commit_p99_ms": round(_percentile(store_ms, 0.99), 4),
        "bare_sqlite_commit_p50_ms": round(bare_p50, 4),
        "bare_sqlite_commit_p99_ms": round(_percentile(bare_ms, 0.99), 4),
        "store_vs_bare_ratio": round(store_p50 / bare_p50, 3),
        "store_commit_samples": len(store_ms),
    }
