"""Two tills tapping the same pupil at the same moment, many times, on one real WAL database.

Each till is a thread with its own connection (the store gives each thread one) and its own
pipeline; a barrier releases both taps together every round. Whatever order SQLite's write lock
puts them in, the pupil never gets two free meals on a day, the balance never goes below the
overdraft limit, the daily limit is never passed, and the ledger adds up to what was decided.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.money import format_eur
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.ledger import add_top_up
from emp_edge.terminal.authenticity import CardRead, read_school_card
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel

TILLS = (
    TerminalSpec("valgykla-1", "canteen", "simulated"),
    TerminalSpec("valgykla-2", "canteen", "simulated"),
)
FIRST_DAY = datetime(2026, 10, 5, 12, 0)
PRICE = 250


@dataclass
class Taken:
    """One tap as a till saw it: the decision and when its call started and ended."""

    round: int
    decided: TapDecided
    started: float
    ended: float


@dataclass
class Race:
    """``rounds`` rounds of both tills tapping one card; ``per_day`` rounds on each day."""

    store: Store
    clock: FixedClock
    card: OnFile
    overdraft: int
    rounds: int
    per_day: int
    taken: list[Taken] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def moment(self, number: int) -> datetime:
        day, slot = divmod(number, self.per_day)
        return (FIRST_DAY + timedelta(days=day, minutes=slot)).replace(tzinfo=self.clock.tz)

    def run(self) -> None:
        next_round = iter(range(self.rounds + 1))

        def start_round() -> None:  # runs once per round, while both tills wait at the barrier
            self.clock.moment = self.moment(next(next_round))

        barrier = threading.Barrier(len(TILLS), action=start_round, timeout=30)
        lock = threading.Lock()
        threads = [
            threading.Thread(target=self._till, args=(spec, barrier, lock), name=spec.name)
            for spec in TILLS
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if self.errors:
            raise self.errors[0]
        assert len(self.taken) == self.rounds * len(TILLS)

    def _till(self, spec: TerminalSpec, barrier: threading.Barrier, lock: threading.Lock) -> None:
        try:
            pipeline = TapPipeline(
                self.store,
                self.clock,
                Bus(),
                school_code=SCHOOL_CODE,
                handlers={"canteen": CanteenTill(self.clock, self.clock.tz, self.overdraft)},
            )
            chip = self.card.chip()
            read: CardRead = read_school_card(Tap(spec.name, chip.uid, EmulatedChannel(chip)), KEYS)
            assert read.refusal is None
            for number in range(self.rounds):
                barrier.wait()
                started = time.perf_counter()
                decided = pipeline.decide(spec, read)
                ended = time.perf_counter()
                with lock:
                    self.taken.append(Taken(number, decided, started, ended))
        except BaseException as err:  # the main thread re-raises it
            self.errors.append(err)
            barrier.abort()

    def overlapping_rounds(self) -> int:
        """Rounds in which both taps were under way at once (the race really happened)."""
        by_round: dict[int, list[Taken]] = {}
        for tap in self.taken:
            by_round.setdefault(tap.round, []).append(tap)
        return sum(1 for a, b in by_round.values() if a.started < b.ended and b.started < a.ended)


def setup(store: Store, clock: FixedClock, *, entitled: bool, balance: int, daily: int | None
          ) -> OnFile:  # fmt: skip
    clock.moment = FIRST_DAY.replace(tzinfo=clock.tz)
    card = add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")
    with store.transaction() as tx:
        lunch = tx.execute(
            "INSERT INTO canteen_items (name, price_cents, meal_type) VALUES ('Cepelinai', ?,"
            " 'lunch')",
            (PRICE,),
        ).lastrowid
        tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = 'lunch'", (lunch,))
        if entitled:
            tx.execute(
                "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, source,"
                " created_at) VALUES (?, 'lunch', '2026-09-01', 'registry', ?)",
                (card.pupil_id, tx.now()),
            )
        if daily is not None:
            tx.execute(
                "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, changed_at)"
                " VALUES (?, ?, ?)",
                (card.pupil_id, daily, tx.now()),
            )
        tx.emit("test.canteen", {})
    if balance:
        with store.transaction() as tx:
            add_top_up(tx, card.pupil_id, balance, "bank", "LT-1", user_id=None, max_cents=balance)
    return card


def test_the_database_is_a_wal_file(store: Store) -> None:
    assert store.path is not None
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_two_tills_never_serve_two_free_meals_to_one_pupil_on_one_day(
    store: Store, clock: FixedClock
) -> None:
    card = setup(store, clock, entitled=True, balance=0, daily=None)
    race = Race(store, clock, card, overdraft=0, rounds=80, per_day=1)
    race.run()

    by_day: dict[str, Counter[TapReason]] = {}
    for tap in race.taken:
        day = race.moment(tap.round).date().isoformat()
        by_day.setdefault(day, Counter())[tap.decided.reason] += 1
    assert len(by_day) == 80
    # every day exactly one till served the free meal and the other said "already served"
    assert all(
        c == Counter({TapReason.OK: 1, TapReason.ALREADY_SERVED: 1}) for c in by_day.values()
    )
    served = [t.decided for t in race.taken if t.decided.reason is TapReason.OK]
    assert all(d.shown["free_meal"] is True for d in served)
    assert {t.decided.terminal for t in race.taken if t.decided.reason is TapReason.OK} <= {
        s.name for s in TILLS
    }
    for tap in race.taken:  # "already served" names the till and the time that did serve
        if tap.decided.reason is TapReason.ALREADY_SERVED:
            assert tap.decided.shown["served_till"] != tap.decided.terminal
            assert tap.decided.shown["served_at"] == race.moment(tap.round).strftime("%H:%M")
    conn = store.conn
    assert conn.execute(
        "SELECT count(*), count(DISTINCT day) FROM free_meals WHERE pupil_id = ?",
        (card.pupil_id,),
    ).fetchone() == (80, 80)
    assert conn.execute("SELECT count(*) FROM till_sales").fetchone() == (80,)
    assert conn.execute("SELECT count(*) FROM ledger").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM taps").fetchone() == (160,)
    assert race.overlapping_rounds() > 0, "the two tills never tapped at the same time"


@pytest.mark.parametrize("overdraft", [0, 300])
def test_two_tills_never_take_a_balance_below_the_limit_nor_pass_the_daily_limit(
    store: Store, clock: FixedClock, overdraft: int
) -> None:
    # the balance covers 23 lunches (plus what the overdraft adds), the daily limit two a day,
    # and each day both tills tap the pupil three times together: six taps for two lunches
    balance, daily, rounds, per_day = 23 * PRICE + 120, 2 * PRICE, 60, 3
    card = setup(store, clock, entitled=False, balance=balance, daily=daily)
    race = Race(store, clock, card, overdraft=overdraft, rounds=rounds, per_day=per_day)
    race.run()

    accepted = [t for t in race.taken if t.decided.result is TapResult.ACCEPTED]
    refused = Counter(t.decided.reason for t in race.taken if t.decided.result is TapResult.DENIED)
    assert set(refused) <= {TapReason.DAILY_LIMIT, TapReason.LOW_BALANCE}
    can_afford = (balance + overdraft) // PRICE
    days = rounds // per_day
    assert len(accepted) == min(can_afford, 2 * days)  # every lunch the money allowed was sold
    assert refused[TapReason.LOW_BALANCE] > 0
    assert refused[TapReason.DAILY_LIMIT] > 0

    conn = store.conn
    # the ledger: the top-up and one sale row per accepted tap, under the tap's event id
    paid = {t.decided.event_id for t in accepted}
    rows = conn.execute("SELECT event_id, amount_cents FROM ledger WHERE kind = 'sale'").fetchall()
    assert {event for event, _ in rows} == paid
    assert all(amount == -PRICE for _, amount in rows)
    total = conn.execute(
        "SELECT sum(amount_cents) FROM ledger WHERE pupil_id = ?", (card.pupil_id,)
    ).fetchone()[0]
    assert total == balance - PRICE * len(accepted)
    assert total >= -overdraft
    # replaying the ledger in order, the balance never went below the limit
    running = 0
    for (amount,) in conn.execute("SELECT amount_cents FROM ledger ORDER BY id"):
        running += amount
        assert running >= -overdraft
    # and no day's spending passed the daily limit
    for day, spent in conn.execute("SELECT day, sum(paid_cents) FROM till_sales GROUP BY day"):
        assert spent <= daily, day
    # the last sale written showed the balance the ledger holds now
    [(last,)] = conn.execute("SELECT event_id FROM ledger WHERE kind = 'sale' ORDER BY id DESC"
                             " LIMIT 1").fetchall()  # fmt: skip
    shown = {t.decided.event_id: t.decided.shown for t in accepted}
    assert shown[last]["balance"] == format_eur(total)
    assert race.overlapping_rounds() > 0, "the two tills never tapped at the same time"
