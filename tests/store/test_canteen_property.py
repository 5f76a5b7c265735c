"""The canteen under random interleavings, on a real SQLite file (Hypothesis state machine).

Taps at two tills (random picks, moments across the serving windows and days), top-ups, refunds
of random sales, corrections, and changes of the daily and the overdraft limit, in any order.
A model kept beside the database predicts every answer; after every step the database must agree
with it: the derived balance is the model's, no sale took a balance below the overdraft limit or
a day's spending past the daily limit in force at that sale, at most one free serving per pupil,
meal and day, and an operation that was refused changed nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.errors import InputError
from emp_edge.events import Bus
from emp_edge.store import Store
from emp_edge.store.canteen_till import acknowledge, balance, pick, purse, till_state
from emp_edge.store.ledger import add_correction, add_refund, add_top_up
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline

VILNIUS = ZoneInfo("Europe/Vilnius")
SCHOOL = "190000000"
FIRST_DAY = date(2026, 10, 5)
MAX_CENTS = 20_000
TILLS = ("valgykla-1", "valgykla-2")
WINDOWS = {  # as the schema ships them: from, until (not included)
    "breakfast": (time(7, 30), time(9, 0)),
    "lunch": (time(11, 0), time(14, 0)),
    "afternoon": (time(15, 0), time(16, 30)),
}
MOMENTS = [time(7, 29), time(7, 30), time(8, 59), time(9, 0), time(11, 0), time(12, 30),
           time(13, 59), time(14, 0), time(15, 0), time(16, 29), time(16, 30)]  # fmt: skip


@dataclass(frozen=True)
class ModelItem:
    id: int
    price: int
    meal: str | None = None
    active: bool = True


ITEMS = {
    1: ModelItem(1, 150, "breakfast"),
    2: ModelItem(2, 250, "lunch"),
    3: ModelItem(3, 80),
    4: ModelItem(4, 120),
    5: ModelItem(5, 60, active=False),
}
DEFAULTS = {"breakfast": 1, "lunch": 2}  # the afternoon has none


@dataclass
class ModelPupil:
    id: int
    uid: bytes
    entitled: dict[str, tuple[date, date]]  # meal → first and last day
    no_buy: frozenset[int] = frozenset()
    diet_note: str = ""
    ledger: list[int] = field(default_factory=list)
    daily_limit: int | None = None

    @property
    def balance(self) -> int:
        return sum(self.ledger)


PUPILS = (
    ModelPupil(0, bytes.fromhex("04000000000A01"),
               {"lunch": (FIRST_DAY, FIRST_DAY + timedelta(days=1)),
                "breakfast": (FIRST_DAY, FIRST_DAY + timedelta(days=2))}),
    ModelPupil(0, bytes.fromhex("04000000000A02"), {}, no_buy=frozenset({4}),
               diet_note="Alergija riešutams"),
)  # fmt: skip


@dataclass(frozen=True)
class SoldPaid:
    event_id: str
    pupil: int  # index into the model's pupils
    paid: int


class CanteenMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="canteen-property-"))
        self.clock = FixedClock(datetime(2026, 10, 5, 12, 0, tzinfo=VILNIUS), tz=VILNIUS)
        self.store = Store(self.folder / "emp-edge.db", self.clock)
        self.store.migrate()
        self.overdraft = 0
        self.most_overdraft = 0
        till = self.till = CanteenTill(self.clock, VILNIUS, self.overdraft)
        self.pipeline = TapPipeline(self.store, self.clock, Bus(), school_code=SCHOOL,
                                    handlers={"canteen": till})  # fmt: skip
        self.pupils = [ModelPupil(**{**p.__dict__, "ledger": []}) for p in PUPILS]
        self.picked: dict[str, tuple[int, ...]] = dict.fromkeys(TILLS, ())
        self.held: dict[str, str | None] = dict.fromkeys(TILLS, None)
        self.free: set[tuple[int, str, date]] = set()
        self.spent: dict[tuple[int, date], int] = {}
        self.limit_at_sale: dict[str, int | None] = {}  # sale event → the daily limit then
        self.paid_sales: list[SoldPaid] = []
        self.refunded: dict[str, int] = {}
        self._school()

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _school(self) -> None:
        with self.store.transaction() as tx:
            now = tx.now()
            tx.execute("INSERT INTO schools (id, code, name) VALUES (1, ?, 'Mokykla')", (SCHOOL,))
            tx.db["canteen_items"].insert_all(
                {"id": i.id, "name": f"Patiekalas {i.id}", "price_cents": i.price,
                 "meal_type": i.meal, "active": int(i.active)} for i in ITEMS.values()
            )  # fmt: skip
            for pupil in self.pupils:
                pupil.id = int(tx.execute(
                    "INSERT INTO pupils (school_id, first_name, last_name, birth_date, diet_note,"
                    " created_at, updated_at) VALUES (1, 'Ona', 'Žukauskaitė', '2015-03-04', ?,"
                    " ?, ?)", (pupil.diet_note, now, now),
                ).lastrowid or 0)  # fmt: skip
                tx.execute(
                    "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
                    " valid_until, issue_counter, created_at, updated_at)"
                    " VALUES (?, 'issued', '2026-09-01', 'pupil', ?, '2029-08-31', 1, ?, ?)",
                    (pupil.id, pupil.uid.hex().upper(), now, now),
                )
                for meal, (first, last) in pupil.entitled.items():
                    tx.execute(
                        "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from,"
                        " valid_to, source, created_at) VALUES (?, ?, ?, ?, 'registry', ?)",
                        (pupil.id, meal, first.isoformat(), last.isoformat(), now),
                    )
                for item in pupil.no_buy:
                    tx.execute("INSERT INTO no_buy_items VALUES (?, ?)", (pupil.id, item))
            for meal, item in DEFAULTS.items():
                tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = ?", (item, meal))
            tx.emit("test.school", {})

    # ------------------------------------------------------------ what the database holds

    def snapshot(self) -> dict[str, object]:
        conn = self.store.conn
        counted = ("ledger", "till_sales", "till_sale_lines", "free_meals", "taps", "outbox")
        found: dict[str, object] = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counted
        }
        found["ledger_sum"] = conn.execute("SELECT sum(amount_cents) FROM ledger").fetchone()[0]
        found["limits"] = conn.execute("SELECT * FROM canteen_limits ORDER BY 1").fetchall()
        found["tills"] = [till_state(conn, t) for t in TILLS]
        return found

    def refused(self, before: dict[str, object], *, tap: bool = False) -> None:
        """A refused operation changed nothing (a refused tap: only its tap row and event)."""
        after = self.snapshot()
        if tap:
            assert isinstance(before["taps"], int)
            assert isinstance(before["outbox"], int)
            before = before | {"taps": before["taps"] + 1, "outbox": before["outbox"] + 1}
        assert after == before

    # ------------------------------------------------------------ the model's own answer

    def predict(self, who: ModelPupil, till: str, moment: datetime) -> tuple[TapReason, int, bool]:
        """The reason, the paid cents and whether a free serving is in it: the model's rules."""
        if self.held[till]:
            return TapReason.NOTE_PENDING, 0, False
        day, now = moment.date(), moment.time()
        meal = next((m for m, (a, b) in WINDOWS.items() if a <= now < b), None)
        if meal is None:
            return TapReason.NO_SERVING_NOW, 0, False
        wanted = self.picked[till] or ((DEFAULTS[meal],) if meal in DEFAULTS else ())
        if not wanted:
            return TapReason.NOTHING_PICKED, 0, False
        if any(i in who.no_buy for i in wanted):
            return TapReason.ITEM_NOT_ALLOWED, 0, False
        first_last = who.entitled.get(meal)
        entitled = first_last is not None and first_last[0] <= day <= first_last[1]
        free, paid = False, 0
        for item in (ITEMS[i] for i in wanted):
            if item.meal == meal and entitled and not free:
                if (who.id, meal, day) in self.free:
                    return TapReason.ALREADY_SERVED, 0, False
                free = True
            else:
                paid += item.price
        if paid:
            spent = self.spent.get((who.id, day), 0)
            if who.daily_limit is not None and spent + paid > who.daily_limit:
                return TapReason.DAILY_LIMIT, 0, False
            if who.balance - paid < -self.overdraft:
                return TapReason.LOW_BALANCE, 0, False
        return TapReason.OK, paid, free

    # ------------------------------------------------------------ rules

    @rule(
        pupil=st.integers(0, 1),
        till=st.sampled_from(TILLS),
        day=st.integers(0, 3),
        moment=st.sampled_from(MOMENTS),
        picks=st.none() | st.lists(st.sampled_from(sorted(ITEMS)), max_size=3),
    )
    def tap_at_any_time(
        self, pupil: int, till: str, day: int, moment: time, picks: list[int] | None
    ) -> None:
        self.tap(pupil, till, day, moment, picks)

    @rule(
        pupil=st.integers(0, 1),
        till=st.sampled_from(TILLS),
        day=st.integers(0, 2),
        moment=st.sampled_from([time(8, 0), time(12, 3), time(12, 40), time(15, 30)]),
        picks=st.none() | st.lists(st.sampled_from([1, 2, 3, 4]), max_size=2),
    )
    def tap_at_a_meal(
        self, pupil: int, till: str, day: int, moment: time, picks: list[int] | None
    ) -> None:
        self.tap(pupil, till, day, moment, picks)

    def tap(self, pupil: int, till: str, day: int, moment: time, picks: list[int] | None) -> None:
        """Staff pick (or not), the pupil taps at ``till``: the till answers as the model does."""
        who = self.pupils[pupil]
        if picks is not None:
            self.choose(till, picks)
        at = datetime.combine(FIRST_DAY + timedelta(days=day), moment, VILNIUS)
        self.clock.moment = at
        reason, paid, free = self.predict(who, till, at)
        before = self.snapshot()
        decided = self.pipeline.decide(
            TerminalSpec(till, "canteen", "simulated"), CardRead(uid=who.uid)
        )
        assert decided.reason is reason, (decided.reason, decided.detail)
        if reason is not TapReason.OK:
            assert decided.result is TapResult.DENIED
            self.refused(before, tap=True)
            return
        assert decided.result is TapResult.ACCEPTED
        assert decided.shown["free_meal"] is free
        meal = next(m for m, (a, b) in WINDOWS.items() if a <= moment < b)
        if free:
            self.free.add((who.id, meal, at.date()))
        limit_then = who.daily_limit
        if paid:
            who.ledger.append(-paid)
            self.paid_sales.append(SoldPaid(decided.event_id, pupil, paid))
            # the rules themselves: neither limit was broken by this sale
            assert who.balance >= -self.overdraft
            key = (who.id, at.date())
            self.spent[key] = self.spent.get(key, 0) + paid
            assert limit_then is None or self.spent[key] <= limit_then
        self.limit_at_sale[decided.event_id] = limit_then
        self.picked[till] = ()
        if who.diet_note:
            self.held[till] = decided.event_id
            assert decided.shown["diet_note"] == who.diet_note

    def choose(self, till: str, picks: list[int]) -> None:
        before = self.snapshot()
        try:
            with self.store.transaction(require_event=False) as tx:
                pick(tx, till, picks)
        except InputError:
            assert any(not ITEMS[i].active for i in picks)
            self.refused(before)
        else:
            assert all(ITEMS[i].active for i in picks)
            self.picked[till] = tuple(picks)

    @rule(till=st.sampled_from(TILLS))
    def acknowledge_note(self, till: str) -> None:
        held = self.held[till]
        with self.store.transaction(require_event=False) as tx:
            assert acknowledge(tx, till, held or "no such tap") is (held is not None)
        self.held[till] = None

    @rule(
        pupil=st.integers(0, 1),
        cents=st.sampled_from([1, 250, 999, 2000, MAX_CENTS])
        | st.sampled_from([-100, 0, MAX_CENTS + 1]),
        method=st.sampled_from(["cash", "bank"]) | st.just("card"),
        reference=st.sampled_from(["Kvitas 7", "LT-2026-15"]) | st.sampled_from(["", "  "]),
    )
    def top_up(self, pupil: int, cents: int, method: str, reference: str) -> None:
        who = self.pupils[pupil]
        good = 0 < cents <= MAX_CENTS and method != "card" and reference.strip() != ""
        before = self.snapshot()
        try:
            with self.store.transaction() as tx:
                add_top_up(tx, who.id, cents, method, reference, user_id=None, max_cents=MAX_CENTS)
        except InputError:
            assert not good
            self.refused(before)
        else:
            assert good
            who.ledger.append(cents)

    @precondition(lambda self: self.paid_sales)
    @rule(
        data=st.data(),
        cents=st.integers(1, 330) | st.sampled_from([-50, 0, 400]),
        reason=st.sampled_from(["šalta sriuba", ""]),
    )
    def refund(self, data: st.DataObject, cents: int, reason: str) -> None:
        sale = data.draw(st.sampled_from(self.paid_sales))
        left = sale.paid - self.refunded.get(sale.event_id, 0)
        good = 0 < cents <= left and reason != ""
        before = self.snapshot()
        try:
            with self.store.transaction() as tx:
                add_refund(tx, sale.event_id, cents, reason, user_id=None)
        except InputError:
            assert not good
            self.refused(before)
        else:
            assert good
            self.refunded[sale.event_id] = self.refunded.get(sale.event_id, 0) + cents
            self.pupils[sale.pupil].ledger.append(cents)

    @rule(
        pupil=st.integers(0, 1),
        cents=st.integers(-3000, 3000) | st.sampled_from([0, MAX_CENTS + 1, -MAX_CENTS - 1]),
        reason=st.sampled_from(["kasos klaida", " "]),
    )
    def correction(self, pupil: int, cents: int, reason: str) -> None:
        who = self.pupils[pupil]
        good = (
            cents != 0
            and abs(cents) <= MAX_CENTS
            and reason.strip() != ""
            and (cents > 0 or who.balance + cents >= -self.overdraft)
        )
        before = self.snapshot()
        try:
            with self.store.transaction() as tx:
                add_correction(tx, who.id, cents, reason, user_id=None, max_cents=MAX_CENTS,
                               overdraft_limit_cents=self.overdraft)  # fmt: skip
        except InputError:
            assert not good
            self.refused(before)
        else:
            assert good
            who.ledger.append(cents)
            assert cents > 0 or who.balance >= -self.overdraft

    @rule(pupil=st.integers(0, 1), cents=st.none() | st.integers(0, 12).map(lambda n: n * 80))
    def daily_limit(self, pupil: int, cents: int | None) -> None:
        who = self.pupils[pupil]
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, changed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (pupil_id) DO UPDATE SET"
                " daily_limit_cents = excluded.daily_limit_cents, changed_at = excluded.changed_at",
                (who.id, cents, tx.now()),
            )
            tx.emit("canteen.limit_changed", {"pupil_id": who.id})
        who.daily_limit = cents

    @rule(cents=st.sampled_from([0, 100, 300]))
    def overdraft_limit(self, cents: int) -> None:
        self.overdraft = self.till.overdraft_limit_cents = cents
        self.most_overdraft = max(self.most_overdraft, cents)

    # ------------------------------------------------------------ invariants

    @invariant()
    def the_balance_is_the_ledger_sum_and_the_models(self) -> None:
        conn = self.store.conn
        for who in self.pupils:
            total = conn.execute(
                "SELECT coalesce(sum(amount_cents), 0) FROM ledger WHERE pupil_id = ?", (who.id,)
            ).fetchone()[0]
            assert balance(conn, who.id) == total == who.balance
            # only a lowered overdraft limit can leave a balance below the limit now in force
            assert who.balance >= -self.most_overdraft

    @invariant()
    def no_day_passed_the_daily_limit_in_force_at_its_sales(self) -> None:
        spent: dict[tuple[int, str], int] = {}
        for event, pupil, day, paid in self.store.conn.execute(
            "SELECT event_id, pupil_id, day, paid_cents FROM till_sales ORDER BY id"
        ):
            spent[(pupil, day)] = spent.get((pupil, day), 0) + paid
            limit = self.limit_at_sale[event]
            assert paid == 0 or limit is None or spent[(pupil, day)] <= limit
        for (pupil, day), cents in self.spent.items():
            assert spent[(pupil, day.isoformat())] == cents
            assert purse(self.store.conn, pupil, None, day).spent_today_cents == cents

    @invariant()
    def at_most_one_free_serving_per_pupil_meal_and_day(self) -> None:
        conn = self.store.conn
        servings = conn.execute(
            "SELECT s.pupil_id, s.meal_type, s.day, count(*) FROM till_sale_lines l"
            " JOIN till_sales s ON s.id = l.sale_id WHERE l.free = 1"
            " GROUP BY s.pupil_id, s.meal_type, s.day"
        ).fetchall()
        assert all(n == 1 for *_, n in servings)
        found = {(p, m, date.fromisoformat(d)) for p, m, d, _ in servings}
        assert found == self.free
        assert conn.execute("SELECT count(*) FROM free_meals").fetchone()[0] == len(self.free)

    @invariant()
    def the_tills_hold_what_the_model_says(self) -> None:
        for till in TILLS:
            state = till_state(self.store.conn, till)
            assert (state.picked, state.held_by) == (self.picked[till], self.held[till])


CanteenMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCanteenProperty = CanteenMachine.TestCase
