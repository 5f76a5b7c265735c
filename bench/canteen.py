"""The canteen till's decision: a card's UID in → free meal, sale or refusal → the durable commit.

A school of 10,000 pupils with issued cards, 1,000,000 ledger rows (100,000 with ``--quick``):
top-ups, and the sales of the weeks before with their till sales and lines; free lunches served
to the entitled on those days; daily limits and no-buy items for some. Each
sample is one tap through ``TapPipeline`` with the ``CanteenTill`` handler (uid mode) at lunch
time, of a pupil picked at random: the decision reads the till's state, the serving windows, the
items, the pupil's balance, today's spending, the limits and today's free meal, then writes the
sale in the tap's transaction.

Figures, all in the same interleaved rounds:

- ``canteen_tap_*``: the canteen tap end to end;
- ``canteen_check_tap_p50_ms``: the same pipeline with the plain ``check`` role (the tap without
  the canteen), so ``canteen_vs_check_ratio`` is the canteen's own share;
- ``canteen_vs_bare_ratio``: median canteen tap / median bare sqlite3 commit (one INSERT, the same
  pragmas, the same disk, from ``store_commit.py``). The goal is ≤ 2.0.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.events import Bus
from emp_edge.store import Store
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.roles import CardCheck
from store_commit import bare_commit, bare_database
from taps import PUPILS, SCHOOL, _percentile, _uid, populate

VILNIUS = ZoneInfo("Europe/Vilnius")
TILL = TerminalSpec("valgykla-1", "canteen", "simulated")
CHECK = TerminalSpec("patikra-1", "check", "simulated")
TODAY = date(2026, 10, 5)
LUNCH = datetime(2026, 10, 5, 12, 0, tzinfo=VILNIUS)
#: the school days before today on which the ledger's sales were made
DAYS = [
    TODAY - timedelta(days=n) for n in range(1, 36) if (TODAY - timedelta(days=n)).weekday() < 5
]
ITEMS = [  # id, name, price, meal
    (1, "Košė", 150, "breakfast"),
    (2, "Cepelinai", 250, "lunch"),
    (3, "Pavakariai", 120, "afternoon"),
    (4, "Bandelė", 80, None),
    (5, "Sultys", 120, None),
    (6, "Vanduo", 0, None),
]
ENTITLED_SHARE = 0.3
LIMITED_SHARE = 0.1
NO_BUY_SHARE = 0.05


def _event_ids(rng: random.Random) -> Iterator[str]:
    while True:
        yield str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build(path: Path, clock: FixedClock, ledger_rows: int) -> None:
    """The school (pupils and cards as ``taps.py`` makes them) and its canteen, loaded fast: one
    transaction on a plain connection with no journal and a large cache, then ANALYZE."""
    store = Store(path, clock)
    store.migrate()
    populate(store, 0)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")  # 1 GB at most: the indexes stay in memory
        add_canteen(conn, ledger_rows)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")  # as the store keeps it
    finally:
        conn.close()
    os.sync()  # the build's pages on the disk before timing starts


def add_canteen(conn: sqlite3.Connection, ledger_rows: int) -> None:
    """Items and meals, entitlements, limits, and ``ledger_rows`` ledger rows with their sales."""
    rng = random.Random(3)
    ids = _event_ids(rng)
    pupils = range(1, PUPILS + 1)
    entitled = [p for p in pupils if rng.random() < ENTITLED_SHARE]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO canteen_items (id, name, price_cents, meal_type) VALUES (?, ?, ?, ?)", ITEMS
    )
    for item, _, _, meal in ITEMS[:3]:
        conn.execute("UPDATE meal_types SET default_item_id = ? WHERE code = ?", (item, meal))
    conn.executemany(
        "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, source, created_at)"
        " VALUES (?, ?, '2026-09-01', 'registry', '2026-09-01T00:00:00+00:00')",
        [(p, meal) for p in entitled for meal in ("lunch", "breakfast")[: 1 + p % 2]],
    )
    conn.executemany(
        "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, changed_at)"
        " VALUES (?, 500, '2026-09-01T00:00:00+00:00')",
        [(p,) for p in pupils if rng.random() < LIMITED_SHARE],
    )
    conn.executemany(
        "INSERT INTO no_buy_items (pupil_id, item_id) VALUES (?, 5)",
        [(p,) for p in pupils if rng.random() < NO_BUY_SHARE],
    )
    per_pupil = ledger_rows // PUPILS
    top_ups_each = max(1, per_pupil // 10)  # a tenth of the rows are top-ups, enough for all
    top_ups = [
        (p, 300 * per_pupil // top_ups_each, f"{DAYS[-1]}T07:00:00+00:00", f"Kvitas {n}", next(ids))
        for p in pupils
        for n in range(top_ups_each)
    ]
    conn.executemany(
        "INSERT INTO ledger (pupil_id, kind, amount_cents, at, reference, method, event_id)"
        " VALUES (?, 'topup', ?, ?, ?, 'cash', ?)",
        top_ups,
    )
    _past_sales(conn, rng, ids, per_pupil - top_ups_each, entitled)
    conn.execute("COMMIT")


def _past_sales(
    conn: sqlite3.Connection,
    rng: random.Random,
    ids: Iterator[str],
    per_pupil: int,
    entitled: list[int],
) -> None:
    """Paid sales (each a ledger row, a till sale and its line) and the free lunches of the
    entitled, on the school days before today. Their taps are left out: ``taps.py`` measures
    the pipeline against a full taps table."""
    sale_id = 0
    batch: list[tuple[int, str, str, str, int, str, int, int]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO till_sales (id, event_id, at, day, till, pupil_id, meal_type, paid_cents)"
            " VALUES (?, ?, ?, ?, 'valgykla-1', ?, ?, ?)",
            ((s, e, at, day, p, meal, paid) for s, e, at, day, p, meal, paid, _ in batch),
        )
        conn.executemany(
            "INSERT INTO till_sale_lines (sale_id, line, item_id, name, price_cents, free)"
            " VALUES (?, 1, ?, ?, ?, ?)",
            ((s, item, ITEMS[item - 1][1], paid, int(paid == 0))
             for s, _, _, _, _, _, paid, item in batch),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
            " VALUES (?, 'sale', ?, ?, 'valgykla-1', ?)",
            ((p, -paid, at, e) for _, e, at, _, p, _, paid, _ in batch if paid),
        )
        conn.executemany(
            "INSERT INTO free_meals (pupil_id, meal_type, day, sale_id) VALUES (?, ?, ?, ?)",
            ((p, meal, day, s) for s, _, _, day, p, meal, paid, _ in batch if not paid),
        )
        batch.clear()

    def sale(pupil: int, day: date, item: int, paid: int) -> None:
        nonlocal sale_id
        sale_id += 1
        meal = ITEMS[item - 1][3] or "lunch"
        at = datetime.combine(day, datetime.min.time(), UTC).replace(hour=9 + item).isoformat()
        batch.append((sale_id, next(ids), at, day.isoformat(), pupil, meal, paid, item))
        if len(batch) >= 20_000:
            flush()

    for pupil in range(1, PUPILS + 1):
        for n in range(per_pupil):
            item = rng.choice((1, 2, 2, 3, 4, 5))
            sale(pupil, DAYS[n % len(DAYS)], item, ITEMS[item - 1][2])
    for pupil in entitled:
        for day in DAYS:
            sale(pupil, day, 2, 0)
    flush()


def _pipeline(store: Store, clock: FixedClock) -> TapPipeline:
    handlers = {"canteen": CanteenTill(clock, VILNIUS, 0), "check": CardCheck()}
    return TapPipeline(store, clock, Bus(), school_code=SCHOOL, handlers=handlers)


def run(quick: bool) -> dict[str, float]:
    ledger_rows = 100_000 if quick else 1_000_000
    samples = 300 if quick else 3000
    clock = FixedClock(LUNCH, tz=VILNIUS)
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        built = time.perf_counter()
        build(Path(tmp) / "canteen.db", clock, ledger_rows)
        build_s = time.perf_counter() - built
        store = Store(Path(tmp) / "canteen.db", clock, create=False)
        pipeline = _pipeline(store, clock)
        bare = bare_database(Path(tmp))
        rng = random.Random(4)
        canteen_ms: list[float] = []
        check_ms: list[float] = []
        bare_ms: list[float] = []
        reasons: Counter[str] = Counter()
        for round_number in range(11):  # round 0 warms up and is not counted
            if round_number == 1:
                canteen_ms.clear()
                check_ms.clear()
                bare_ms.clear()
                reasons.clear()
            # one canteen tap, then one bare commit, and a plain tap every fourth time: each
            # figure is taken right after the others, on the same disk at the same moment
            for sample in range(samples // 10):
                read = CardRead(uid=_uid(rng.randrange(1, PUPILS + 1)))
                started = time.perf_counter()
                decided = pipeline.decide(TILL, read)
                canteen_ms.append((time.perf_counter() - started) * 1000)
                reasons[decided.reason] += 1
                bare_ms.append(bare_commit(bare))
                if sample % 4 == 0:
                    read = CardRead(uid=_uid(rng.randrange(1, PUPILS + 1)))
                    started = time.perf_counter()
                    pipeline.decide(CHECK, read)
                    check_ms.append((time.perf_counter() - started) * 1000)
        bare.close()
        stored = store.conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
        store.close()
    canteen_p50 = statistics.median(canteen_ms)
    taps = sum(reasons.values())
    return {
        "canteen_tap_p50_ms": round(canteen_p50, 4),
        "canteen_tap_p99_ms": round(_percentile(canteen_ms, 0.99), 4),
        "canteen_check_tap_p50_ms": round(statistics.median(check_ms), 4),
        "canteen_bare_sqlite_commit_p50_ms": round(statistics.median(bare_ms), 4),
        "canteen_vs_bare_ratio": round(canteen_p50 / statistics.median(bare_ms), 3),
        "canteen_vs_check_ratio": round(canteen_p50 / statistics.median(check_ms), 3),
        "canteen_tap_samples": len(canteen_ms),
        "canteen_tap_accepted_share": round(reasons["ok"] / taps, 3),
        "canteen_ledger_rows": int(stored),
        "canteen_pupils": PUPILS,
        "canteen_build_s": round(build_s, 1),
    }
