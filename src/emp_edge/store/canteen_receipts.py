"""What a till's receipt says about one sale, read back from the database after the tap.

A receipt names the pupil by initials and class only: never the full name, a personal code or
the card. The balance after the sale is the sum of the pupil's ledger rows up to and including
the sale's own row (ledger ids grow in commit order: writes are serialised by BEGIN IMMEDIATE).
A sale with nothing to pay has no ledger row of its own; then the rows counted are those whose
outbox event was committed before the sale's (the outbox ``seq`` grows in commit order too).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from emp_edge.errors import StoreError


@dataclass(frozen=True)
class ReceiptItem:
    name: str
    price_cents: int
    free: bool


@dataclass(frozen=True)
class SaleReceipt:
    event_id: str
    till: str
    #: the moment of the sale (aware, UTC as stored)
    at: datetime
    day: date
    meal_type: str
    meal_name: str
    #: "O. Ž." for Ona Žukauskaitė: never the full name
    initials: str
    class_label: str
    items: tuple[ReceiptItem, ...]
    paid_cents: int
    balance_after_cents: int


def initials(first_name: str, last_name: str) -> str:
    """Each name's first letter with a dot: 'Ona Marija', 'Žukauskaitė-Petraitienė' → O. M. Ž.-P."""
    words = f"{first_name} {last_name}".split()
    return " ".join(
        "-".join(part[:1].upper() + "." for part in w.split("-") if part) for w in words
    )


def receipt_for(conn: sqlite3.Connection, event_id: str) -> SaleReceipt | None:
    """The receipt of the sale made by tap ``event_id``; None when that tap sold nothing."""
    row = conn.execute(
        "SELECT s.id, s.till, s.at, s.day, s.meal_type, coalesce(m.name, s.meal_type),"
        " p.id, p.first_name, p.last_name, coalesce(c.label, ''), s.paid_cents"
        " FROM till_sales s JOIN pupils p ON p.id = s.pupil_id"
        " LEFT JOIN classes c ON c.id = p.class_id"
        " LEFT JOIN meal_types m ON m.code = s.meal_type"
        " WHERE s.event_id = ?",
        (event_id,),
    ).fetchone()
    if row is None:
        return None
    sale_id, till, at, day, meal, meal_name, pupil_id, first, last, label, paid = row
    items = tuple(
        ReceiptItem(name, int(price), bool(free))
        for name, price, free in conn.execute(
            "SELECT name, price_cents, free FROM till_sale_lines WHERE sale_id = ? ORDER BY line",
            (sale_id,),
        )
    )
    return SaleReceipt(
        event_id=event_id,
        till=till,
        at=datetime.fromisoformat(at),
        day=date.fromisoformat(day),
        meal_type=meal,
        meal_name=meal_name,
        initials=initials(first, last),
        class_label=label,
        items=items,
        paid_cents=int(paid),
        balance_after_cents=balance_after(conn, pupil_id, event_id),
    )


def balance_after(conn: sqlite3.Connection, pupil_id: int, event_id: str) -> int:
    """The pupil's balance just after the sale of tap ``event_id``, whatever came later."""
    own = conn.execute(
        "SELECT id FROM ledger WHERE event_id = ? AND pupil_id = ?", (event_id, pupil_id)
    ).fetchone()
    if own is not None:
        total = conn.execute(
            "SELECT coalesce(sum(amount_cents), 0) FROM ledger WHERE pupil_id = ? AND id <= ?",
            (pupil_id, own[0]),
        ).fetchone()
        return int(total[0])
    seq = conn.execute("SELECT seq FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
    if seq is None:
        raise StoreError("the sale's tap {event} is missing from the outbox", event=event_id)
    total = conn.execute(
        "SELECT coalesce(sum(l.amount_cents), 0) FROM ledger l"
        " JOIN outbox o ON o.event_id = l.event_id"
        " WHERE l.pupil_id = ? AND o.seq < ?",
        (pupil_id, seq[0]),
    ).fetchone()
    return int(total[0])
