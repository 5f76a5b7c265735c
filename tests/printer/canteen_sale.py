"""A canteen on a real SQLite file whose taps go through the real till, for the receipt tests.

Imported as ``from canteen_sale import …`` (pytest puts this folder on the path).
"""

from __future__ import annotations

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.canteen_till import pick
from emp_edge.store.ledger import add_top_up
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from terminal.school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

TILL = TerminalSpec("valgykla-1", "canteen", "simulated")
SCHOOL = "Šaltinio progimnazija"


class Canteen:
    """Lunch is cepelinai (the default item); juice is sold on its own."""

    def __init__(self, store: Store, clock: FixedClock, bus: Bus) -> None:
        self.store = store
        with store.transaction() as tx:
            self.cepelinai = int(
                tx.execute(
                    "INSERT INTO canteen_items (name, price_cents, meal_type)"
                    " VALUES ('Cepelinai', 250, 'lunch')"
                ).lastrowid
                or 0
            )
            self.juice = int(
                tx.execute(
                    "INSERT INTO canteen_items (name, price_cents) VALUES ('Obuolių sultys', 120)"
                ).lastrowid
                or 0
            )
            tx.execute(
                "UPDATE meal_types SET default_item_id = ? WHERE code = 'lunch'", (self.cepelinai,)
            )
            tx.emit("test.menu", {})
        self.pipeline = TapPipeline(
            store,
            clock,
            bus,
            school_code=SCHOOL_CODE,
            handlers={"canteen": CanteenTill(clock, clock.tz)},
        )

    def pupil(self, first: str, last: str, label: str, uid: str, *, cents: int = 0) -> OnFile:
        card = add_card(self.store, add_pupil(self.store, first, last, label), uid)
        if cents:
            self.top_up(card.pupil_id, cents)
        return card

    def top_up(self, pupil_id: int, cents: int) -> str:
        with self.store.transaction() as tx:
            return add_top_up(
                tx, pupil_id, cents, "cash", "Kvitas 7", user_id=None, max_cents=20_000
            )

    def entitle(self, pupil_id: int) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, source,"
                " created_at) VALUES (?, 'lunch', '2026-09-01', 'registry', ?)",
                (pupil_id, tx.now()),
            )
            tx.emit("test.entitled", {})

    def tap(self, card: OnFile, *items: int, till: TerminalSpec = TILL) -> TapDecided:
        if items:
            with self.store.transaction(require_event=False) as tx:
                pick(tx, till.name, items)
        chip = card.chip()
        read = read_school_card(Tap("test", chip.uid, EmulatedChannel(chip)), KEYS)
        return self.pipeline.decide(till, read)
