"""The canteen tills' side of the database: what a tap needs to decide, and the sale it writes.

Everything a sale depends on (balance, today's spending, the free meal) is read inside the tap's
own ``BEGIN IMMEDIATE`` transaction, so two tills tapping the same pupil see each other's sale:
the second one waits for the first to commit. The ``free_meals`` primary key says the same
again in the schema: one free serving per pupil, meal and day.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from emp_edge.domain.canteen import MAX_LINES, Item, MealWindow, Purse, Sale, Served
from emp_edge.errors import InputError
from emp_edge.store.outbox import Transaction

_ITEM = "SELECT id, name, price_cents, meal_type, active FROM canteen_items"


def meal_windows(conn: sqlite3.Connection) -> list[MealWindow]:
    """Every meal type with its serving window, in the order of the day."""
    rows = conn.execute(
        "SELECT code, name, serves_from, serves_until, default_item_id FROM meal_types"
        " ORDER BY serves_from, code"
    )
    return [
        MealWindow(code, name, time.fromisoformat(start), time.fromisoformat(end), default)
        for code, name, start, end, default in rows
    ]


def _item(row: tuple[object, ...]) -> Item:
    meal = row[3]
    return Item(
        id=int(str(row[0])),
        name=str(row[1]),
        price_cents=int(str(row[2])),
        meal_type=meal if isinstance(meal, str) else None,
        active=bool(row[4]),
    )


def items_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Item]:
    """The items with these ids (missing ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = conn.execute(f"{_ITEM} WHERE id IN ({marks})", wanted)
    return {item.id: item for item in map(_item, rows)}


def items_on_sale(conn: sqlite3.Connection) -> list[Item]:
    """The items a till offers, meals first in the order of the day, then by name."""
    rows = conn.execute(
        f"{_ITEM} i WHERE active = 1 ORDER BY"  # noqa: S608 (constant text)
        " (SELECT serves_from FROM meal_types m WHERE m.code = i.meal_type) IS NULL,"
        " (SELECT serves_from FROM meal_types m WHERE m.code = i.meal_type), name"
    )
    return [_item(row) for row in rows]


def balance(conn: sqlite3.Connection, pupil_id: int) -> int:
    """The pupil's prepaid balance: the sum of their ledger rows, in cents."""
    row = conn.execute(
        "SELECT coalesce(sum(amount_cents), 0) FROM ledger WHERE pupil_id = ?", (pupil_id,)
    ).fetchone()
    return int(row[0])


_PURSE = """
SELECT (SELECT coalesce(sum(amount_cents), 0) FROM ledger WHERE pupil_id = :p),
       (SELECT coalesce(sum(paid_cents), 0) FROM till_sales WHERE pupil_id = :p AND day = :day),
       (SELECT daily_limit_cents FROM canteen_limits WHERE pupil_id = :p),
       (SELECT json_group_array(item_id) FROM no_buy_items WHERE pupil_id = :p),
       EXISTS (SELECT 1 FROM meal_entitlements WHERE pupil_id = :p AND meal_type = :m
               AND valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day)),
       s.at, s.till
FROM (SELECT 1)
LEFT JOIN free_meals f ON f.pupil_id = :p AND f.meal_type = :m AND f.day = :day
LEFT JOIN till_sales s ON s.id = f.sale_id
"""


def purse(conn: sqlite3.Connection, pupil_id: int, meal_type: str | None, day: date) -> Purse:
    """What a sale must know about the pupil on ``day``, for the open window's meal.

    One statement, each part one index range (see ``bench/canteen.py``): the balance, today's
    spending, the daily limit, the no-buy items, the entitlement and today's free meal.
    """
    row = conn.execute(_PURSE, {"p": pupil_id, "m": meal_type, "day": day.isoformat()}).fetchone()
    held, spent, limit, no_buy, entitled, served_at, served_till = row
    return Purse(
        balance_cents=int(held),
        spent_today_cents=int(spent),
        daily_limit_cents=int(limit) if limit is not None else None,
        no_buy=frozenset(int(item) for item in json.loads(no_buy)),
        entitled=bool(entitled),
        served=Served(datetime.fromisoformat(served_at), served_till) if served_at else None,
    )


def diet_note(conn: sqlite3.Connection, pupil_id: int) -> str:
    row = conn.execute("SELECT diet_note FROM pupils WHERE id = ?", (pupil_id,)).fetchone()
    return str(row[0]) if row else ""


def write_sale(
    tx: Transaction,
    *,
    event_id: str,
    till: str,
    pupil_id: int,
    meal_type: str,
    day: date,
    sale: Sale,
) -> int:
    """Write an accepted sale under its tap's event id: lines, the free meal, the ledger row."""
    at = tx.now()
    sale_id = tx.execute(
        "INSERT INTO till_sales (event_id, at, day, till, pupil_id, meal_type, paid_cents)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event_id, at, day.isoformat(), till, pupil_id, meal_type, sale.paid_cents),
    ).lastrowid
    assert sale_id is not None
    tx.conn.executemany(
        "INSERT INTO till_sale_lines (sale_id, line, item_id, name, price_cents, free)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (sale_id, number, line.item.id, line.item.name, line.price_cents, int(line.free))
            for number, line in enumerate(sale.lines, start=1)
        ],
    )
    if sale.free_meal:
        tx.execute(
            "INSERT INTO free_meals (pupil_id, meal_type, day, sale_id) VALUES (?, ?, ?, ?)",
            (pupil_id, meal_type, day.isoformat(), sale_id),
        )
    if sale.paid_cents:
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
            " VALUES (?, 'sale', ?, ?, ?, ?)",
            (pupil_id, -sale.paid_cents, at, till, event_id),
        )
    return int(sale_id)


# ---------------------------------------------------------------- the till's own state


@dataclass(frozen=True)
class TillState:
    """What staff picked for the next tap, and the tap whose diet note awaits their ok."""

    picked: tuple[int, ...] = ()
    held_by: str | None = None


def till_state(conn: sqlite3.Connection, till: str) -> TillState:
    row = conn.execute("SELECT picked, held_by FROM till_state WHERE till = ?", (till,)).fetchone()
    if row is None:
        return TillState()
    return TillState(tuple(int(i) for i in json.loads(row[0])), row[1])


def _save(tx: Transaction, till: str, state: TillState) -> None:
    tx.execute(
        "INSERT INTO till_state (till, picked, held_by, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (till) DO UPDATE SET picked = excluded.picked,"
        " held_by = excluded.held_by, changed_at = excluded.changed_at",
        (till, json.dumps(list(state.picked)), state.held_by, tx.now()),
    )


def pick(tx: Transaction, till: str, item_ids: Iterable[int]) -> TillState:
    """Set the items the next tap at ``till`` buys (empty: the open meal's default item).

    Every item must be on file and still sold, and a tap buys at most ``MAX_LINES`` of them.
    """
    picked = tuple(item_ids)
    if len(picked) > MAX_LINES:
        raise InputError("one tap buys at most {n} items", n=MAX_LINES)
    found = items_by_id(tx.conn, picked)
    for item_id in picked:
        item = found.get(item_id)
        if item is None or not item.active:
            raise InputError("there is no item number {item} on sale", item=item_id)
    state = TillState(picked, till_state(tx.conn, till).held_by)
    _save(tx, till, state)
    return state


def after_sale(tx: Transaction, till: str, held_by: str | None) -> None:
    """After an accepted sale: the picks are used up, and a diet note may hold the till."""
    _save(tx, till, TillState((), held_by))


def acknowledge(tx: Transaction, till: str, event_id: str) -> bool:
    """Staff saw the diet note of tap ``event_id``; True when it was the one holding the till."""
    state = till_state(tx.conn, till)
    if state.held_by != event_id:
        return False
    _save(tx, till, TillState(state.picked, None))
    return True
