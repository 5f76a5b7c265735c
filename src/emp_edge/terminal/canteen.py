"""The canteen till's handler: a good card's tap becomes a free meal, a sale, or a refusal.

It runs inside the tap's transaction (``BEGIN IMMEDIATE``), so the balance, today's spending and
today's free meal it reads cannot change under it at another till before it commits. After an
accepted sale of a pupil with a diet note the till is *held*: the next tap is refused until
staff acknowledge the note on the till screen.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from emp_edge.domain.canteen import Item, Sale, decide_sale, window_at
from emp_edge.domain.clock import Clock
from emp_edge.domain.money import format_eur
from emp_edge.domain.taps import TapReason
from emp_edge.store.canteen_till import (
    after_sale,
    diet_note,
    items_by_id,
    meal_windows,
    purse,
    till_state,
    write_sale,
)
from emp_edge.store.outbox import Transaction
from emp_edge.store.taps import CardAtTerminal
from emp_edge.terminal.roles import Outcome


class CanteenTill:
    """The ``canteen`` role: decide the sale with the school's overdraft limit."""

    def __init__(self, clock: Clock, tz: tzinfo, overdraft_limit_cents: int = 0) -> None:
        self.clock = clock
        self.tz = tz
        self.overdraft_limit_cents = overdraft_limit_cents

    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        conn = tx.conn
        state = till_state(conn, terminal)
        if state.held_by is not None:
            return Outcome(accepted=False, reason=TapReason.NOTE_PENDING)
        local = self.clock.now().astimezone(self.tz)
        day = local.date()
        window = window_at(meal_windows(conn), local.time().replace(tzinfo=None))
        wanted = state.picked or (
            (window.default_item_id,) if window and window.default_item_id else ()
        )
        found = items_by_id(conn, wanted)
        # an item deleted since it was picked is no longer sold: the tap is refused, never
        # served with less than staff picked
        picked = [found.get(i) or Item(i, f"#{i}", 0, active=False) for i in wanted]
        wallet = purse(conn, card.pupil_id, window.code if window else None, day)
        sale = decide_sale(window, picked, wallet, overdraft_limit_cents=self.overdraft_limit_cents)
        shown = _shown(sale, window.name if window else "", wallet.balance_cents, self.tz)
        if not sale.accepted or window is None:
            return Outcome(accepted=False, reason=sale.reason, shown=shown, detail=sale.detail)
        write_sale(
            tx,
            event_id=event_id,
            till=terminal,
            pupil_id=card.pupil_id,
            meal_type=window.code,
            day=day,
            sale=sale,
        )
        note = diet_note(conn, card.pupil_id)
        if state.picked or note:  # else the till's state stays as it is: nothing to write
            after_sale(tx, terminal, event_id if note else None)
        if note:
            shown["diet_note"] = note
        return Outcome(accepted=True, shown=shown)


def _shown(sale: Sale, meal: str, balance_before: int, tz: tzinfo) -> dict[str, Any]:
    """What the till screen shows beside the name: JSON-ready, never a personal code."""
    shown: dict[str, Any] = {}
    if meal:
        shown["meal"] = meal
    if sale.accepted:
        shown["items"] = [
            {"name": line.item.name, "price": format_eur(line.price_cents), "free": line.free}
            for line in sale.lines
        ]
        shown["free_meal"] = sale.free_meal
        shown["paid"] = format_eur(sale.paid_cents)
        shown["balance"] = format_eur(sale.balance_after_cents)
    else:
        shown["balance"] = format_eur(balance_before)
    if sale.served is not None:
        shown["served_at"] = sale.served.at.astimezone(tz).strftime("%H:%M")
        shown["served_till"] = sale.served.till
    return shown
