"""The tap pipeline: a card's UID in → the decision → the durable commit of its event.

A school of 10,000 pupils with issued cards and 1,000,000 taps already stored (100,000 with
``--quick``), so lookups and inserts run against full indexes. Two figures:

- ``tap_pipeline_*``: uid mode, the pipeline alone (the UID as the reader gives it);
- ``tap_pipeline_aes_*``: aes mode, with the card check against an emulated chip in memory
  (mutual authentication, CMAC, record MAC) before the pipeline: the terminal's CPU cost of a
  secure card, without the radio.

Bare sqlite3 commits (one INSERT, the same pragmas, the same disk) are timed in the same rounds,
alternating with the taps, so ``tap_vs_bare_ratio`` compares the two at the same moment of a
shared, noisy machine.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import CardRecord
from emp_edge.events import Bus
from emp_edge.store import Store
from emp_edge.terminal.authenticity import CardKeys, read_school_card, read_uid_only
from emp_edge.terminal.desfire.card import school_card
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from emp_edge.terminal.roles import CardCheck
from store_commit import bare_commit, bare_database

PUPILS = 10_000
SCHOOL = "190000000"
KEYS = CardKeys(bytes(range(16)), bytes.fromhex("F5EE01"), SCHOOL)
TILL = TerminalSpec("valgykla-1", "canteen", "simulated")
UNTIL = date(2029, 8, 31)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _uid(pupil: int) -> bytes:
    return b"\x04" + pupil.to_bytes(6, "big")


def populate(store: Store, events: int) -> None:
    """The school, its pupils and cards, and ``events`` earlier taps with their outbox rows."""
    conn = store.conn
    now = datetime(2026, 10, 1, tzinfo=UTC).isoformat()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO schools (id, code, name) VALUES (1, ?, 'Bench')", (SCHOOL,))
    conn.execute(
        "INSERT INTO classes (id, school_id, school_year, grade, letter, label)"
        " VALUES (1, 1, 2026, 5, 'b', '5b')"
    )
    conn.executemany(
        "INSERT INTO pupils (id, school_id, first_name, last_name, birth_date, class_id,"
        " created_at, updated_at) VALUES (?, 1, 'Ona', 'Žukauskaitė', '2015-01-01', 1, ?, ?)",
        ((n, now, now) for n in range(1, PUPILS + 1)),
    )
    conn.executemany(
        "INSERT INTO cards (id, pupil_id, state, requested_on, requested_by, chip_uid,"
        " valid_until, issue_counter, created_at, updated_at)"
        " VALUES (?, ?, 'issued', '2026-09-01', 'pupil', ?, ?, 1, ?, ?)",
        ((n, n, _uid(n).hex().upper(), UNTIL.isoformat(), now, now) for n in range(1, PUPILS + 1)),
    )
    rng = random.Random(1)
    batch = 50_000
    for start in range(0, events, batch):
        ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(batch)]
        conn.executemany(
            "INSERT INTO outbox (event_id, type, payload, created_at, acked_at)"
            " VALUES (?, 'tap.decided', '{}', ?, ?)",
            ((event, now, now) for event in ids),
        )
        conn.executemany(
            "INSERT INTO taps (event_id, at, terminal, role, uid_tail, card_id, pupil_id,"
            " result, reason) VALUES (?, ?, 'valgykla-1', 'canteen', '0000', ?, ?,"
            " 'accepted', 'ok')",
            ((event, now, 1 + i % PUPILS, 1 + i % PUPILS) for i, event in enumerate(ids, start)),
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")


def run(quick: bool) -> dict[str, float]:
    events = 100_000 if quick else 1_000_000
    samples = 300 if quick else 3000
    clock = FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        store = Store(Path(tmp) / "taps.db", clock)
        store.migrate()
        populate(store, events)
        pipeline = TapPipeline(
            store, clock, Bus(), school_code=SCHOOL, handlers={"canteen": CardCheck()}
        )
        rng = random.Random(2)
        chips = {n: school_card(_uid(n), KEYS, CardRecord(n, n, UNTIL, 1)) for n in range(1, 201)}
        bare = bare_database(Path(tmp))
        uid_ms: list[float] = []
        aes_ms: list[float] = []
        bare_ms: list[float] = []
        for round_number in range(11):  # round 0 warms up and is not counted
            if round_number == 1:
                uid_ms.clear()
                aes_ms.clear()
                bare_ms.clear()
            for _ in range(samples // 10):
                pupil = rng.randrange(1, PUPILS + 1)
                started = time.perf_counter()
                tap = Tap("bench", _uid(pupil), EmulatedChannel(chips[1]))
                pipeline.decide(TILL, read_uid_only(tap))
                uid_ms.append((time.perf_counter() - started) * 1000)
            for _ in range(samples // 40):
                chip = chips[rng.randrange(1, 201)]
                started = time.perf_counter()
                read = read_school_card(Tap("bench", chip.uid, EmulatedChannel(chip)), KEYS)
                pipeline.decide(TILL, read)
                aes_ms.append((time.perf_counter() - started) * 1000)
            for _ in range(samples // 10):
                bare_ms.append(bare_commit(bare))
        bare.close()
        stored = store.conn.execute("SELECT count(*) FROM taps").fetchone()[0]
        store.close()
    return {
        "tap_pipeline_p50_ms": round(statistics.median(uid_ms), 4),
        "tap_pipeline_p99_ms": round(_percentile(uid_ms, 0.99), 4),
        "tap_pipeline_aes_p50_ms": round(statistics.median(aes_ms), 4),
        "tap_pipeline_aes_p99_ms": round(_percentile(aes_ms, 0.99), 4),
        "tap_pipeline_samples": len(uid_ms),
        "tap_bare_sqlite_commit_p50_ms": round(statistics.median(bare_ms), 4),
        "tap_vs_bare_ratio": round(statistics.median(uid_ms) / statistics.median(bare_ms), 3),
        "tap_pipeline_stored_events": int(stored),
        "tap_pipeline_pupils": PUPILS,
    }
