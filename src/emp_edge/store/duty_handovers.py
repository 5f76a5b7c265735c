"""Handover of the card duty (§51): when the employee keeping the cards' accounts changes, the
personalised cards not yet issued and the journals pass to another employee by the director's
order. The record keeps who, to whom, when, under which order, and how many unissued cards and
blanks in stock there were at that moment.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Final

from emp_edge.errors import InputError
from emp_edge.store.accounts import load_account
from emp_edge.store.outbox import Transaction

ORDER_MAX: Final = 40
NOTE_MAX: Final = 500


@dataclass(frozen=True)
class Handover:
    """A recorded handover of the card duty, with the two employees' names."""

    id: int
    handed_on: date
    from_user: int
    from_name: str
    to_user: int
    to_name: str
    director_order: str
    unissued_cards: int
    blanks_in_stock: int
    note: str


@dataclass(frozen=True)
class DutyCounts:
    """What passes with the duty, counted now."""

    unissued_cards: int  # personalised, not yet issued
    blanks_in_stock: int  # received, not used


def duty_counts(conn: sqlite3.Connection) -> DutyCounts:
    """The cards made and not yet issued, and the blanks in stock, at this moment."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM cards WHERE state = 'personalised'),"
        " (SELECT count(*) FROM blanks WHERE state = 'received')"
    ).fetchone()
    return DutyCounts(int(row[0]), int(row[1]))


def _employee(conn: sqlite3.Connection, user_id: int, day: date, where: str) -> None:
    """Refuse a user who does not exist or whose account is not valid on ``day``."""
    account = load_account(conn, user_id)
    if account is None:
        raise InputError("there is no user number {user_id}", where=where, user_id=user_id)
    details = account.details
    if day < details.valid_from or (details.valid_to is not None and day > details.valid_to):
        raise InputError(
            "{name}'s account is not valid on {day}",
            where=where,
            name=account.full_name,
            day=day.isoformat(),
        )
    if where == "to_user" and account.disabled:
        raise InputError("{name}'s account is disabled", where=where, name=account.full_name)


def record_handover(
    tx: Transaction,
    from_user: int,
    to_user: int,
    handed_on: date,
    director_order: str,
    note: str,
    *,
    user_id: int | None,
) -> int:
    """Record the handover of the unissued cards and the journals (§51); returns its number.

    Both employees must be on record and valid on that day (the one taking over must also not
    be disabled), and different; the day is not in the future; the director's order is named.
    The unissued (personalised) cards and the blanks in stock are counted now.
    """
    if handed_on > tx.clock.today():
        raise InputError("a handover cannot be dated in the future", where="handed_on")
    if from_user == to_user:
        raise InputError(
            "the duty passes to a different employee: choose someone else", where="to_user"
        )
    _employee(tx.conn, from_user, handed_on, "from_user")
    _employee(tx.conn, to_user, handed_on, "to_user")
    order = " ".join(director_order.split())
    if not order:
        raise InputError("give the number of the director's order (§51)", where="director_order")
    if len(order) > ORDER_MAX:
        raise InputError(
            "the order number is longer than {limit} characters",
            where="director_order",
            limit=ORDER_MAX,
        )
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InputError("the note is longer than {limit} characters", where="note", limit=NOTE_MAX)
    counts = duty_counts(tx.conn)
    unissued, in_stock = counts.unissued_cards, counts.blanks_in_stock
    cursor = tx.execute(
        "INSERT INTO duty_handovers (handed_on, from_user, to_user, director_order,"
        " unissued_cards, blanks_in_stock, note, user_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (handed_on.isoformat(), from_user, to_user, order, unissued, in_stock, text, user_id,
         tx.now()),
    )  # fmt: skip
    handover_id = int(cursor.lastrowid or 0)
    tx.emit(
        "card_duty.handed_over",
        {
            "handover_id": handover_id,
            "handed_on": handed_on,
            "from_user": from_user,
            "to_user": to_user,
            "unissued_cards": unissued,
            "blanks_in_stock": in_stock,
        },
    )
    return handover_id


def handovers(conn: sqlite3.Connection) -> list[Handover]:
    """Every handover of the duty, the latest first."""
    rows = conn.execute(
        "SELECT h.id, h.handed_on, h.from_user, f.first_name || ' ' || f.last_name, h.to_user,"
        " t.first_name || ' ' || t.last_name, h.director_order, h.unissued_cards,"
        " h.blanks_in_stock, h.note FROM duty_handovers h"
        " JOIN users f ON f.id = h.from_user JOIN users t ON t.id = h.to_user"
        " ORDER BY h.handed_on DESC, h.id DESC"
    )
    return [
        Handover(
            id=int(r[0]),
            handed_on=date.fromisoformat(r[1]),
            from_user=int(r[2]),
            from_name=r[3],
            to_user=int(r[4]),
            to_name=r[5],
            director_order=r[6],
            unissued_cards=int(r[7]),
            blanks_in_stock=int(r[8]),
            note=r[9],
        )
        for r in rows
    ]
