"""The canteen till through the real tap pipeline on a real SQLite file: what each tap writes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.errors import InputError, StoreError
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.canteen_till import acknowledge, pick, till_state
from emp_edge.store.ledger import add_top_up
from emp_edge.store.outbox import Transaction
from emp_edge.store.taps import CardAtTerminal
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from emp_edge.terminal.roles import Outcome, RoleHandler

TILL_1 = TerminalSpec("valgykla-1", "canteen", "simulated")
TILL_2 = TerminalSpec("valgykla-2", "canteen", "simulated")
LUNCH_TIME = datetime(2026, 10, 5, 12, 3)
SALE_ROWS = ("till_sales", "till_sale_lines", "free_meals", "ledger")


class Menu:
    """The items of the test canteen: lunch is cepelinai (the default), breakfast porridge."""

    def __init__(self, store: Store) -> None:
        with store.transaction() as tx:
            self.cepelinai = self._item(tx, "Cepelinai", 250, "lunch")
            self.porridge = self._item(tx, "Košė", 150, "breakfast")
            self.bun = self._item(tx, "Bandelė", 80, None)
            self.kisielius = self._item(tx, "Kisielius", 60, None, active=False)
            tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = 'lunch'",
                       (self.cepelinai,))  # fmt: skip
            tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = 'breakfast'",
                       (self.porridge,))  # fmt: skip
            tx.emit("test.menu", {})

    @staticmethod
    def _item(tx: Transaction, name: str, price: int, meal: str | None, active: bool = True) -> int:
        cursor = tx.execute(
            "INSERT INTO canteen_items (name, price_cents, meal_type, active) VALUES (?, ?, ?, ?)",
            (name, price, meal, int(active)),
        )
        return int(cursor.lastrowid or 0)


def entitle(store: Store, pupil: int, meal: str = "lunch", until: str | None = None) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source,"
            " created_at) VALUES (?, ?, '2026-09-01', ?, 'registry', ?)",
            (pupil, meal, until, tx.now()),
        )
        tx.emit("test.entitled", {})


def top_up(store: Store, pupil: int, cents: int) -> str:
    with store.transaction() as tx:
        return add_top_up(tx, pupil, cents, "cash", "Kvitas 1", user_id=None, max_cents=20_000)


def set_diet_note(store: Store, pupil: int, note: str) -> None:
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET diet_note = ? WHERE id = ?", (note, pupil))
        tx.emit("test.note", {})


def choose(store: Store, till: TerminalSpec, *items: int) -> None:
    with store.transaction(require_event=False) as tx:
        pick(tx, till.name, items)


class Canteen:
    """Two tills of one canteen deciding through the real pipeline."""

    def __init__(self, store: Store, clock: FixedClock, overdraft: int = 0) -> None:
        self.store = store
        self.clock = clock
        self.till = CanteenTill(clock, clock.tz, overdraft)
        self.bus = Bus()
        self.pipeline = self.with_handler(self.till)

    def with_handler(self, handler: RoleHandler) -> TapPipeline:
        handlers = {"canteen": handler}
        return TapPipeline(self.store, self.clock, self.bus, school_code=SCHOOL_CODE,
                           handlers=handlers)  # fmt: skip

    def tap(self, card: OnFile, till: TerminalSpec = TILL_1) -> TapDecided:
        chip = card.chip()
        read = read_school_card(Tap(till.name, chip.uid, EmulatedChannel(chip)), KEYS)
        return self.pipeline.decide(till, read)


@pytest.fixture
def menu(store: Store) -> Menu:
    return Menu(store)


@pytest.fixture
def canteen(store: Store, clock: FixedClock, menu: Menu) -> Canteen:
    clock.moment = LUNCH_TIME.replace(tzinfo=clock.tz)
    return Canteen(store, clock)


@pytest.fixture
def ona(store: Store) -> OnFile:
    return add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")


@pytest.fixture
def jonas(store: Store) -> OnFile:
    return add_card(store, add_pupil(store, "Jonas", "Šimkus", "7a"), "04A1B2C3D4E5F7")


def counts(store: Store, *tables: str) -> dict[str, int]:
    return {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def tap_event(store: Store, event_id: str) -> tuple[object, ...]:
    """The tap's row and its outbox event, joined by the one event id."""
    row = store.conn.execute(
        "SELECT t.result, t.reason, o.type FROM taps t JOIN outbox o ON o.event_id = t.event_id"
        " WHERE t.event_id = ?",
        (event_id,),
    ).fetchone()
    assert row is not None, "the tap and its event must share the event id"
    return tuple(row)


def test_a_free_meal_writes_the_sale_one_free_line_and_the_free_meal_but_no_ledger_row(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile
) -> None:
    entitle(store, ona.pupil_id)
    decided = canteen.tap(ona)
    assert (decided.result, decided.reason) == (TapResult.ACCEPTED, TapReason.OK)
    assert (decided.pupil_name, decided.class_label) == ("Ona Žukauskaitė", "5b")
    assert decided.shown == {
        "meal": "Pietūs",
        "items": [{"name": "Cepelinai", "price": "0,00 €", "free": True}],
        "free_meal": True,
        "paid": "0,00 €",
        "balance": "0,00 €",
    }
    assert tap_event(store, decided.event_id) == ("accepted", "ok", "tap.decided")
    sale_id, at, day, till, meal, paid = store.conn.execute(
        "SELECT id, at, day, till, meal_type, paid_cents FROM till_sales WHERE event_id = ?",
        (decided.event_id,),
    ).fetchone()
    assert (day, till, meal, paid) == ("2026-10-05", "valgykla-1", "lunch", 0)
    assert datetime.fromisoformat(at) == canteen.clock.now()
    assert store.conn.execute(
        "SELECT line, item_id, name, price_cents, free FROM till_sale_lines WHERE sale_id = ?",
        (sale_id,),
    ).fetchall() == [(1, menu.cepelinai, "Cepelinai", 0, 1)]
    free = store.conn.execute("SELECT pupil_id, meal_type, day, sale_id FROM free_meals")
    assert free.fetchall() == [(ona.pupil_id, "lunch", "2026-10-05", sale_id)]
    assert counts(store, "ledger") == {"ledger": 0}


def test_a_paid_sale_writes_its_ledger_row_under_the_taps_event_id(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile
) -> None:
    top_up(store, ona.pupil_id, 1000)
    choose(store, TILL_1, menu.cepelinai, menu.bun)
    decided = canteen.tap(ona)
    assert decided.reason is TapReason.OK
    assert decided.shown["paid"] == "3,30 €"
    assert decided.shown["balance"] == "6,70 €"
    assert decided.shown["free_meal"] is False
    assert tap_event(store, decided.event_id) == ("accepted", "ok", "tap.decided")
    assert store.conn.execute(
        "SELECT pupil_id, kind, amount_cents, till FROM ledger WHERE event_id = ?",
        (decided.event_id,),
    ).fetchone() == (ona.pupil_id, "sale", -330, "valgykla-1")
    assert store.conn.execute(
        "SELECT paid_cents FROM till_sales WHERE event_id = ?", (decided.event_id,)
    ).fetchone() == (330,)
    assert store.conn.execute(
        "SELECT name, price_cents, free FROM till_sale_lines ORDER BY line"
    ).fetchall() == [("Cepelinai", 250, 0), ("Bandelė", 80, 0)]
    assert counts(store, "free_meals") == {"free_meals": 0}
    assert store.conn.execute("SELECT sum(amount_cents) FROM ledger").fetchone() == (670,)


def test_a_second_free_serving_at_another_till_says_when_and_where_the_first_was(
    store: Store, canteen: Canteen, ona: OnFile
) -> None:
    entitle(store, ona.pupil_id)
    first = canteen.tap(ona, TILL_2)
    canteen.clock.advance(minutes=40)
    second = canteen.tap(ona, TILL_1)
    assert first.reason is TapReason.OK
    assert (second.result, second.reason) == (TapResult.DENIED, TapReason.ALREADY_SERVED)
    assert second.shown["served_at"] == "12:03"  # school time, not UTC
    assert second.shown["served_till"] == "valgykla-2"
    assert "items" not in second.shown
    assert counts(store, *SALE_ROWS, "taps") == {
        "till_sales": 1, "till_sale_lines": 1, "free_meals": 1, "ledger": 0, "taps": 2,
    }  # fmt: skip
    assert tap_event(store, second.event_id) == ("denied", "already_served", "tap.decided")


def test_the_free_meal_is_there_again_the_next_day_and_only_while_entitled(
    store: Store, canteen: Canteen, ona: OnFile
) -> None:
    entitle(store, ona.pupil_id, until="2026-10-06")
    top_up(store, ona.pupil_id, 1000)
    days = []
    for _ in range(3):
        decided = canteen.tap(ona)
        days.append((decided.reason, decided.shown.get("free_meal"), decided.shown["balance"]))
        canteen.clock.advance(days=1)
    assert days == [
        (TapReason.OK, True, "10,00 €"),
        (TapReason.OK, True, "10,00 €"),
        (TapReason.OK, False, "7,50 €"),  # the entitlement ended the day before
    ]


def test_a_diet_note_holds_the_till_until_staff_acknowledge_it(
    store: Store, canteen: Canteen, ona: OnFile, jonas: OnFile
) -> None:
    entitle(store, ona.pupil_id)
    set_diet_note(store, ona.pupil_id, "Alergija riešutams")
    served = canteen.tap(ona)
    assert served.shown["diet_note"] == "Alergija riešutams"
    assert till_state(store.conn, TILL_1.name).held_by == served.event_id
    before = counts(store, *SALE_ROWS, "taps", "outbox")
    held = canteen.tap(jonas)
    assert (held.result, held.reason) == (TapResult.DENIED, TapReason.NOTE_PENDING)
    after = counts(store, *SALE_ROWS, "taps", "outbox")
    assert after == before | {"taps": before["taps"] + 1, "outbox": before["outbox"] + 1}
    # the other till is not held
    top_up(store, jonas.pupil_id, 500)
    assert canteen.tap(jonas, TILL_2).reason is TapReason.OK
    with store.transaction(require_event=False) as tx:
        assert not acknowledge(tx, TILL_1.name, held.event_id)  # not the tap that holds it
    assert canteen.tap(jonas).reason is TapReason.NOTE_PENDING
    with store.transaction(require_event=False) as tx:
        assert acknowledge(tx, TILL_1.name, served.event_id)
    assert till_state(store.conn, TILL_1.name).held_by is None
    assert canteen.tap(jonas).reason is TapReason.OK


def test_a_refused_tap_of_a_pupil_with_a_note_does_not_hold_the_till(
    store: Store, canteen: Canteen, ona: OnFile
) -> None:
    set_diet_note(store, ona.pupil_id, "Be glitimo")
    assert canteen.tap(ona).reason is TapReason.LOW_BALANCE
    assert till_state(store.conn, TILL_1.name).held_by is None


def test_picks_are_used_once_then_the_meals_default_item_again(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile
) -> None:
    top_up(store, ona.pupil_id, 2000)
    choose(store, TILL_1, menu.bun, menu.bun)
    choose(store, TILL_2, menu.porridge)
    first = canteen.tap(ona)
    second = canteen.tap(ona)
    assert [i["name"] for i in first.shown["items"]] == ["Bandelė", "Bandelė"]
    assert [i["name"] for i in second.shown["items"]] == ["Cepelinai"]
    assert till_state(store.conn, TILL_2.name).picked == (menu.porridge,)  # its own picks stay


def test_picks_stay_when_the_tap_is_refused(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile
) -> None:
    choose(store, TILL_1, menu.bun)
    assert canteen.tap(ona).reason is TapReason.LOW_BALANCE
    assert till_state(store.conn, TILL_1.name).picked == (menu.bun,)


def test_picking_an_unknown_or_withdrawn_item_or_too_many_is_refused(
    store: Store, canteen: Canteen, menu: Menu
) -> None:
    with pytest.raises(InputError, match="no item number 999 on sale"):
        choose(store, TILL_1, 999)
    with pytest.raises(InputError, match=f"no item number {menu.kisielius} on sale"):
        choose(store, TILL_1, menu.bun, menu.kisielius)
    with pytest.raises(InputError, match="at most 20 items"):
        choose(store, TILL_1, *[menu.bun] * 21)
    assert till_state(store.conn, TILL_1.name).picked == ()


def test_an_item_gone_since_it_was_picked_refuses_the_tap_rather_than_sell_less(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile
) -> None:
    top_up(store, ona.pupil_id, 1000)
    extra = None
    with store.transaction() as tx:
        extra = Menu._item(tx, "Sultys", 90, None)
        tx.emit("test.menu", {})
    choose(store, TILL_1, menu.bun, extra)
    with store.transaction() as tx:
        tx.execute("DELETE FROM canteen_items WHERE id = ?", (extra,))
        tx.emit("test.menu", {})
    decided = canteen.tap(ona)
    assert (decided.result, decided.reason) == (TapResult.DENIED, TapReason.ITEM_UNAVAILABLE)
    assert counts(store, "till_sales") == {"till_sales": 0}


def add_limits(store: Store, pupil: int, daily: int | None, no_buy: tuple[int, ...] = ()) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, changed_at) VALUES (?, ?, ?)",
            (pupil, daily, tx.now()),
        )
        for item in no_buy:
            tx.execute("INSERT INTO no_buy_items (pupil_id, item_id) VALUES (?, ?)", (pupil, item))
        tx.emit("test.limits", {})


@pytest.mark.parametrize(
    ("moment", "balance", "daily", "picks", "reason"),
    [
        (datetime(2026, 10, 5, 10, 30), 1000, None, "", TapReason.NO_SERVING_NOW),
        (datetime(2026, 10, 5, 14, 0), 1000, None, "", TapReason.NO_SERVING_NOW),
        (datetime(2026, 10, 5, 15, 30), 1000, None, "", TapReason.NOTHING_PICKED),
        (LUNCH_TIME, 249, None, "", TapReason.LOW_BALANCE),
        (LUNCH_TIME, 1000, 249, "", TapReason.DAILY_LIMIT),
        (LUNCH_TIME, 1000, None, "bun", TapReason.ITEM_NOT_ALLOWED),
    ],
)
def test_a_refused_tap_writes_only_its_tap_row_and_event(
    store: Store,
    canteen: Canteen,
    menu: Menu,
    ona: OnFile,
    moment: datetime,
    balance: int,
    daily: int | None,
    picks: str,
    reason: TapReason,
) -> None:
    canteen.clock.moment = moment.replace(tzinfo=canteen.clock.tz)
    top_up(store, ona.pupil_id, balance)
    add_limits(store, ona.pupil_id, daily, no_buy=(menu.bun,))
    if picks:
        choose(store, TILL_1, menu.bun)
    before = counts(store, *SALE_ROWS, "taps", "outbox", "till_state")
    decided = canteen.tap(ona)
    assert (decided.result, decided.reason) == (TapResult.DENIED, reason)
    assert decided.shown["balance"] == f"{balance // 100},{balance % 100:02d} €"  # unchanged
    after = counts(store, *SALE_ROWS, "taps", "outbox", "till_state")
    assert after == before | {"taps": before["taps"] + 1, "outbox": before["outbox"] + 1}
    assert tap_event(store, decided.event_id) == ("denied", reason.value, "tap.decided")


def test_a_card_refused_by_its_state_never_reaches_the_till(store: Store, canteen: Canteen) -> None:
    pupil = add_pupil(store, "Rūta", "Ūsaitė")
    entitle(store, pupil)
    card = add_card(store, pupil, "04000000000009", valid_until=date(2026, 10, 4))
    assert canteen.tap(card).reason is TapReason.EXPIRED
    assert counts(store, *SALE_ROWS) == dict.fromkeys(SALE_ROWS, 0)


class FailsAfterTheTill:
    """The till decides and writes its sale, then the disk fails before the commit."""

    def __init__(self, till: CanteenTill) -> None:
        self.till = till
        self.outcomes: list[Outcome] = []

    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        outcome = self.till.handle(tx, terminal, card, event_id)
        self.outcomes.append(outcome)
        raise StoreError("the disk is full")


@pytest.mark.parametrize("entitled", [True, False], ids=["free", "paid"])
def test_a_failure_after_the_till_decided_leaves_nothing_half_written(
    store: Store, canteen: Canteen, menu: Menu, ona: OnFile, entitled: bool
) -> None:
    if entitled:
        entitle(store, ona.pupil_id)
    top_up(store, ona.pupil_id, 1000)
    set_diet_note(store, ona.pupil_id, "Alergija pienui")
    choose(store, TILL_1, menu.cepelinai, menu.bun)
    before = counts(store, *SALE_ROWS, "taps", "outbox")
    failing = FailsAfterTheTill(canteen.till)
    with canteen.bus.subscribe(TILL_1.name) as inbox:
        with pytest.raises(StoreError, match="disk is full"):
            canteen.with_handler(failing).decide(
                TILL_1,
                read_school_card(Tap("t", ona.uid, EmulatedChannel(ona.chip())), KEYS),
            )
        assert inbox.get(timeout=0.05) is None  # nothing shown
    assert failing.outcomes[0].accepted  # the till had written its sale
    assert counts(store, *SALE_ROWS, "taps", "outbox") == before
    state = till_state(store.conn, TILL_1.name)
    assert (state.picked, state.held_by) == ((menu.cepelinai, menu.bun), None)
    # and the tap after it is decided afresh, as if the failed one never happened
    decided = canteen.tap(ona)
    assert decided.shown["free_meal"] is entitled
    assert decided.shown["balance"] == ("9,20 €" if entitled else "6,70 €")
