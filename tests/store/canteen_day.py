"""A school day at the canteen, made through the real write paths: taps at two tills (the tap
pipeline with the canteen handler), top-ups, a refund and a correction (store.ledger).

Imported as ``from store.canteen_day import …`` (pytest puts ``tests/`` on the path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapResult
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.canteen_till import balance, pick
from emp_edge.store.ledger import add_correction, add_refund, add_top_up
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from terminal.school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

VILNIUS = ZoneInfo("Europe/Vilnius")
DAY = date(2026, 10, 5)
TILL_1 = TerminalSpec("valgykla-1", "canteen", "simulated")
TILL_2 = TerminalSpec("valgykla-2", "canteen", "simulated")
MAX = 20_000


@dataclass
class CanteenDay:
    """Who ate what: the pupils' cards, the items, and the balances around the day."""

    ona: OnFile  # free breakfast and lunch; registry id MR-1001
    jonas: OnFile  # pays; a juice refunded
    ruta: OnFile  # free lunch, pays for a juice; a correction
    lunch: int
    breakfast: int
    juice: int
    before: dict[int, int] = field(default_factory=dict)  # balance at the day's first moment
    after: dict[int, int] = field(default_factory=dict)  # and at its last
    decided: list[TapDecided] = field(default_factory=list)

    @property
    def pupils(self) -> list[int]:
        return [self.ona.pupil_id, self.jonas.pupil_id, self.ruta.pupil_id]


def at(clock: FixedClock, hour: int, minute: int, second: int = 0, day: date = DAY) -> None:
    clock.moment = datetime.combine(day, time(hour, minute, second), tzinfo=VILNIUS)


def _items(store: Store) -> tuple[int, int, int]:
    with store.transaction() as tx:
        ids = []
        for name, price, meal in (
            ("Cepelinai", 250, "lunch"),
            ("Košė", 150, "breakfast"),
            ("Obuolių sultys", 80, None),
        ):
            ids.append(
                int(
                    tx.execute(
                        "INSERT INTO canteen_items (name, price_cents, meal_type) VALUES (?, ?, ?)",
                        (name, price, meal),
                    ).lastrowid
                    or 0
                )
            )
        tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = 'lunch'", (ids[0],))
        tx.execute("UPDATE meal_types SET default_item_id = ? WHERE code = 'breakfast'", (ids[1],))
        tx.emit("test.menu", {})
    return ids[0], ids[1], ids[2]


def entitle(store: Store, pupil: int, meal: str, since: date) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source,"
            " created_at) VALUES (?, ?, ?, NULL, 'registry', ?)",
            (pupil, meal, since.isoformat(), tx.now()),
        )
        tx.emit("test.entitled", {})


class Tills:
    """Two canteen tills sharing the database through the real tap pipeline."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store = store
        handlers = {"canteen": CanteenTill(clock, VILNIUS, 0)}
        self.pipeline = TapPipeline(store, clock, Bus(), school_code=SCHOOL_CODE,
                                    handlers=handlers)  # fmt: skip

    def tap(self, card: OnFile, till: TerminalSpec, *items: int) -> TapDecided:
        if items:
            with self.store.transaction(require_event=False) as tx:
                pick(tx, till.name, items)
        chip = card.chip()
        read = read_school_card(Tap(till.name, chip.uid, EmulatedChannel(chip)), KEYS)
        return self.pipeline.decide(till, read)


def top_up(store: Store, pupil: int, cents: int) -> str:
    with store.transaction() as tx:
        return add_top_up(tx, pupil, cents, "cash", "Kvitas 7", user_id=None, max_cents=MAX)


def balances(store: Store, pupils: list[int]) -> dict[int, int]:
    return {pupil: balance(store.conn, pupil) for pupil in pupils}


def build_day(store: Store, clock: FixedClock, day: date = DAY) -> CanteenDay:
    """The day before: the pupils and their money; ``day``: the canteen at work, to 23:59:59."""
    at(clock, 18, 0, day=day - timedelta(days=1))
    until = day + timedelta(days=1000)
    ona = add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6",
                   valid_until=until)  # fmt: skip
    jonas = add_card(store, add_pupil(store, "Jonas", "Šimkus", "6a"), "04A1B2C3D4E5F7",
                     valid_until=until)  # fmt: skip
    ruta = add_card(store, add_pupil(store, "Rūta", "Ąžuolaitė", "7c"), "04A1B2C3D4E5F8",
                    valid_until=until)  # fmt: skip
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET registry_id = 'MR-1001' WHERE id = ?", (ona.pupil_id,))
        tx.emit("test.registry_id", {})
    lunch, breakfast, juice = _items(store)
    since = day - timedelta(days=30)
    entitle(store, ona.pupil_id, "breakfast", since)
    entitle(store, ona.pupil_id, "lunch", since)
    entitle(store, ruta.pupil_id, "lunch", since)
    top_up(store, jonas.pupil_id, 500)
    top_up(store, ruta.pupil_id, 300)
    made = CanteenDay(ona, jonas, ruta, lunch, breakfast, juice)
    made.before = balances(store, made.pupils)
    tills = Tills(store, clock)

    def tap(card: OnFile, till: TerminalSpec, *items: int, accepted: bool = True) -> TapDecided:
        decided = tills.tap(card, till, *items)
        assert (decided.result is TapResult.ACCEPTED) == accepted, decided
        made.decided.append(decided)
        return decided

    at(clock, 0, 0, day=day)
    top_up(store, ruta.pupil_id, 100)  # the day's first moment is the day's
    at(clock, 7, 45, day=day)
    tap(ona, TILL_1)  # free breakfast
    tap(jonas, TILL_2)  # breakfast, 1,50
    at(clock, 7, 50, day=day)
    tap(ona, TILL_2, accepted=False)  # already served at till 1
    at(clock, 8, 0, day=day)
    top_up(store, jonas.pupil_id, 1000)
    at(clock, 11, 30, day=day)
    tap(ona, TILL_2)  # free lunch
    juice_sale = tap(jonas, TILL_1, lunch, juice)  # 2,50 + 0,80
    tap(ruta, TILL_1, lunch, juice)  # lunch free, juice 0,80
    at(clock, 12, 0, day=day)
    with store.transaction() as tx:
        add_refund(tx, juice_sale.event_id, 80, "išsipylė", user_id=None)
    at(clock, 13, 0, day=day)
    with store.transaction() as tx:
        add_correction(tx, ruta.pupil_id, -50, "du kartus įvesta", user_id=None, max_cents=MAX,
                       overdraft_limit_cents=0)  # fmt: skip
    at(clock, 15, 10, day=day)
    tap(jonas, TILL_2, juice)  # afternoon: a juice, not a meal
    at(clock, 23, 59, 59, day=day)
    top_up(store, jonas.pupil_id, 200)  # the day's last second is the day's
    made.after = balances(store, made.pupils)
    at(clock, 0, 0, day=day + timedelta(days=1))
    top_up(store, ruta.pupil_id, 700)  # the next day's first moment is not
    return made
