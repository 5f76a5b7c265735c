"""The canteen as managers set it up: meal types and their serving windows, the items, and for
each pupil the daily limit, the no-buy items, the diet note and the free-meal entitlements.

Each write takes an open transaction, checks what it is given (an ``InputError`` names the form
field in ``where``), writes, and emits its outbox event; the caller adds the audit row in the
same transaction. Payloads carry ids and values, never a personal code; free text that may name
people or their health (a parent's request, a diet note) stays at school.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from emp_edge.domain import canteen
from emp_edge.domain.canteen import Item, MealWindow
from emp_edge.errors import InputError
from emp_edge.store.canteen_till import items_by_id, meal_windows
from emp_edge.store.outbox import Transaction

#: the longest diet note the till shows
DIET_NOTE_MAX = 500
#: the longest note of a limit or an entitlement
NOTE_MAX = 200


# ---------------------------------------------------------------- reading


def all_items(conn: sqlite3.Connection) -> list[Item]:
    """Every item, sold or not: active ones first, then by name."""
    ids = [row[0] for row in conn.execute("SELECT id FROM canteen_items")]
    return sorted(items_by_id(conn, ids).values(), key=lambda i: (not i.active, i.name, i.id))


def find_item(conn: sqlite3.Connection, item_id: int) -> Item | None:
    return items_by_id(conn, [item_id]).get(item_id)


def find_meal_type(conn: sqlite3.Connection, code: str) -> MealWindow | None:
    return next((w for w in meal_windows(conn) if w.code == code), None)


# ---------------------------------------------------------------- meal types


def _clock(window: MealWindow) -> tuple[str, str]:
    return window.serves_from.strftime("%H:%M"), window.serves_until.strftime("%H:%M")


def _default_item(conn: sqlite3.Connection, item_id: int | None) -> int | None:
    if item_id is None:
        return None
    found = find_item(conn, item_id)
    if found is None:
        raise InputError("there is no item number {item}", where="default_item", item=item_id)
    if not found.active:
        raise InputError(
            "{name} is not sold any more: choose an active item",
            where="default_item",
            name=found.name,
        )
    return found.id


def add_meal_type(
    tx: Transaction,
    code: str,
    name: str,
    serves_from: str,
    serves_until: str,
    default_item_id: int | None,
) -> MealWindow:
    """A new meal type with its serving window; its code can never change afterwards."""
    window = canteen.check_meal_type(code, name, serves_from, serves_until)
    if find_meal_type(tx.conn, window.code) is not None:
        raise InputError("there is a meal type {code} already", where="code", code=window.code)
    return _save_meal(tx, window, _default_item(tx.conn, default_item_id))


def change_meal_type(
    tx: Transaction,
    code: str,
    name: str,
    serves_from: str,
    serves_until: str,
    default_item_id: int | None,
) -> MealWindow | None:
    """Change a meal type's name, window or default item; None when nothing changed."""
    before = find_meal_type(tx.conn, code)
    if before is None:
        raise InputError("there is no meal type {code}", where="code", code=code)
    window = canteen.check_meal_type(code, name, serves_from, serves_until)
    default = _default_item(tx.conn, default_item_id)
    after = MealWindow(code, window.name, window.serves_from, window.serves_until, default)
    return None if after == before else _save_meal(tx, window, default)


def _save_meal(tx: Transaction, window: MealWindow, default: int | None) -> MealWindow:
    start, end = _clock(window)
    tx.execute(
        "INSERT INTO meal_types (code, name, serves_from, serves_until, default_item_id)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
        " serves_from = excluded.serves_from, serves_until = excluded.serves_until,"
        " default_item_id = excluded.default_item_id",
        (window.code, window.name, start, end, default),
    )
    tx.emit(
        "canteen.meal_type.saved",
        {
            "code": window.code,
            "name": window.name,
            "serves_from": start,
            "serves_until": end,
            "default_item_id": default,
        },
    )
    return MealWindow(window.code, window.name, window.serves_from, window.serves_until, default)


# ---------------------------------------------------------------- items


def _checked_item(
    conn: sqlite3.Connection,
    item_id: int | None,
    name: str,
    price_cents: int,
    meal_type: str | None,
    active: bool,
) -> Item:
    try:
        name = canteen.check_item_name(name)
    except InputError as err:
        raise InputError(err.template, where="name", **err.params) from None
    try:
        price = canteen.check_price(price_cents)
    except InputError as err:
        raise InputError(err.template, where="price", **err.params) from None
    taken = next((i for i in all_items(conn) if i.name.casefold() == name.casefold()), None)
    if taken is not None and taken.id != item_id:
        raise InputError("there is an item named {name} already", where="name", name=taken.name)
    meal = meal_type or None
    if meal is not None and find_meal_type(conn, meal) is None:
        raise InputError("there is no meal type {code}", where="meal_type", code=meal)
    return Item(item_id or 0, name, price, meal, active)


def add_item(
    tx: Transaction, name: str, price_cents: int, meal_type: str | None, active: bool = True
) -> Item:
    """A new item for the tills; returns it with its id."""
    item = _checked_item(tx.conn, None, name, price_cents, meal_type, active)
    cursor = tx.execute(
        "INSERT INTO canteen_items (name, price_cents, meal_type, active) VALUES (?, ?, ?, ?)",
        (item.name, item.price_cents, item.meal_type, int(item.active)),
    )
    saved = Item(
        int(cursor.lastrowid or 0), item.name, item.price_cents, item.meal_type, item.active
    )
    return _item_saved(tx, saved)


def change_item(
    tx: Transaction,
    item_id: int,
    name: str,
    price_cents: int,
    meal_type: str | None,
    active: bool,
) -> Item | None:
    """Change an item (never deleted: sales keep their lines); None when nothing changed.

    An item that is a meal's default cannot be made inactive: the till would refuse every tap
    with nothing picked. Choose another default first.
    """
    before = find_item(tx.conn, item_id)
    if before is None:
        raise InputError("there is no item number {item}", where="item", item=item_id)
    item = _checked_item(tx.conn, item_id, name, price_cents, meal_type, active)
    if item == before:
        return None
    if not item.active:
        meals = [w.name for w in meal_windows(tx.conn) if w.default_item_id == item_id]
        if meals:
            raise InputError(
                "{name} is the default item of {meals}: choose another default item there"
                " before making it inactive",
                where="active",
                name=before.name,
                meals=", ".join(meals),
            )
    tx.execute(
        "UPDATE canteen_items SET name = ?, price_cents = ?, meal_type = ?, active = ?"
        " WHERE id = ?",
        (item.name, item.price_cents, item.meal_type, int(item.active), item_id),
    )
    return _item_saved(tx, item)


def _item_saved(tx: Transaction, item: Item) -> Item:
    tx.emit(
        "canteen.item.saved",
        {
            "item_id": item.id,
            "name": item.name,
            "price_cents": item.price_cents,
            "meal_type": item.meal_type,
            "active": item.active,
        },
    )
    return item


# ---------------------------------------------------------------- a pupil's canteen settings


def _pupil(conn: sqlite3.Connection, pupil_id: int) -> None:
    if conn.execute("SELECT 1 FROM pupils WHERE id = ?", (pupil_id,)).fetchone() is None:
        raise InputError("there is no pupil number {pupil}", where="pupil", pupil=pupil_id)


def _note(text: str, where: str, most: int = NOTE_MAX) -> str:
    """A note with its spaces tidied; too long is refused."""
    text = " ".join(text.split())
    if len(text) > most:
        raise InputError("the note is longer than {n} characters", where=where, n=most)
    return text


def set_daily_limit(tx: Transaction, pupil_id: int, cents: int | None, note: str) -> None:
    """Set (cents) or clear (None) the pupil's daily spend limit, noting the parent's request."""
    _pupil(tx.conn, pupil_id)
    try:
        limit = canteen.daily_limit(cents)
    except InputError as err:
        raise InputError(err.template, where="daily_limit", **err.params) from None
    note = _note(note, "limit_note")
    if not note:
        raise InputError("a limit needs its note: who asked for it, and when", where="limit_note")
    tx.execute(
        "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, note, changed_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (pupil_id) DO UPDATE SET"
        " daily_limit_cents = excluded.daily_limit_cents, note = excluded.note,"
        " changed_at = excluded.changed_at",
        (pupil_id, limit, note, tx.now()),
    )
    tx.emit("canteen.limit.set", {"pupil_id": pupil_id, "daily_limit_cents": limit})


def set_no_buy(tx: Transaction, pupil_id: int, item_ids: Iterable[int]) -> list[int]:
    """The items the tills must not sell to the pupil (a parent's request), all at once."""
    _pupil(tx.conn, pupil_id)
    wanted = sorted(set(item_ids))
    found = items_by_id(tx.conn, wanted)
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise InputError("there is no item number {item}", where="items", item=unknown[0])
    tx.execute("DELETE FROM no_buy_items WHERE pupil_id = ?", (pupil_id,))
    tx.conn.executemany(
        "INSERT INTO no_buy_items (pupil_id, item_id) VALUES (?, ?)",
        [(pupil_id, item_id) for item_id in wanted],
    )
    tx.emit("canteen.no_buy.set", {"pupil_id": pupil_id, "item_ids": wanted})
    return wanted


def set_diet_note(tx: Transaction, pupil_id: int, note: str) -> str:
    """The allergy or diet note the till shows (empty: none); returns it as stored."""
    _pupil(tx.conn, pupil_id)
    note = _note(note, "diet_note", DIET_NOTE_MAX)
    tx.execute(
        "UPDATE pupils SET diet_note = ?, updated_at = ? WHERE id = ?", (note, tx.now(), pupil_id)
    )
    tx.emit("pupil.diet_note.set", {"pupil_id": pupil_id, "has_note": bool(note)})
    return note


# ---------------------------------------------------------------- free-meal entitlements


@dataclass(frozen=True)
class EntitlementRow:
    id: int
    pupil_id: int
    meal_type: str
    valid_from: date
    valid_to: date | None
    source: str  # registry or staff
    note: str


def find_entitlement(conn: sqlite3.Connection, entitlement_id: int) -> EntitlementRow | None:
    row = conn.execute(
        "SELECT id, pupil_id, meal_type, valid_from, valid_to, source, note"
        " FROM meal_entitlements WHERE id = ?",
        (entitlement_id,),
    ).fetchone()
    if row is None:
        return None
    valid_to = date.fromisoformat(row[4]) if row[4] else None
    return EntitlementRow(
        row[0], row[1], row[2], date.fromisoformat(row[3]), valid_to, row[5], row[6]
    )


def add_entitlement(
    tx: Transaction,
    pupil_id: int,
    meal_type: str,
    valid_from: date,
    valid_to: date | None,
    note: str,
) -> int:
    """A free meal entered by staff: the meal, from and to (None: until further notice), and
    the note saying why (required: only the registry's entitlements come without one)."""
    _pupil(tx.conn, pupil_id)
    if find_meal_type(tx.conn, meal_type) is None:
        raise InputError("there is no meal type {code}", where="meal_type", code=meal_type)
    if valid_to is not None and valid_to < valid_from:
        raise InputError(
            "the last day {to} comes before the first day {start}",
            where="valid_to",
            to=valid_to.isoformat(),
            start=valid_from.isoformat(),
        )
    note = _note(note, "entitlement_note")
    if not note:
        raise InputError(
            "a free meal entered by staff needs its note: why the pupil gets it"
            " (e.g. the director's order)",
            where="entitlement_note",
        )
    cursor = tx.execute(
        "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source, note,"
        " created_at) VALUES (?, ?, ?, ?, 'staff', ?, ?)",
        (pupil_id, meal_type, valid_from.isoformat(), _day(valid_to), note, tx.now()),
    )
    entitlement_id = int(cursor.lastrowid or 0)
    tx.emit(
        "meal_entitlement.added",
        {
            "entitlement_id": entitlement_id,
            "pupil_id": pupil_id,
            "meal_type": meal_type,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "source": "staff",
        },
    )
    return entitlement_id


def end_entitlement(tx: Transaction, pupil_id: int, entitlement_id: int, last_day: date) -> None:
    """End a staff entitlement on ``last_day`` (meals served before stay as they were).

    Entitlements from the registry are changed by sync only.
    """
    found = find_entitlement(tx.conn, entitlement_id)
    if found is None or found.pupil_id != pupil_id:
        raise InputError(
            "the pupil has no entitlement number {entitlement}",
            where="entitlement",
            entitlement=entitlement_id,
        )
    if found.source != "staff":
        raise InputError(
            "this entitlement comes from the registry: it changes there, and sync brings it here",
            where="entitlement",
        )
    if last_day < found.valid_from:
        raise InputError(
            "the last day {to} comes before the first day {start}",
            where="valid_to",
            to=last_day.isoformat(),
            start=found.valid_from.isoformat(),
        )
    if found.valid_to is not None and last_day >= found.valid_to:
        raise InputError(
            "the entitlement already ends on {to}",
            where="valid_to",
            to=found.valid_to.isoformat(),
        )
    tx.execute(
        "UPDATE meal_entitlements SET valid_to = ? WHERE id = ?",
        (last_day.isoformat(), entitlement_id),
    )
    tx.emit(
        "meal_entitlement.ended",
        {
            "entitlement_id": entitlement_id,
            "pupil_id": pupil_id,
            "meal_type": found.meal_type,
            "valid_to": last_day,
        },
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
