"""The blanks on record: deliveries received with their number ranges (§7–9), and how many blanks
are received (in stock), used for a card, spoiled or destroyed — in all and per delivery.

A delivery is one ``blank_batches`` row and one ``blanks`` row per number. A range that shares
a single number with a blank already on record is refused before anything is written: a blank
number is the blank's identity, and a second delivery of it is a typing mistake.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Final

from emp_edge.domain.card_station import BlankRange
from emp_edge.errors import InputError
from emp_edge.store.card_lists import BLANK_STATES
from emp_edge.store.outbox import Transaction

DOCUMENT_MAX: Final = 80
"""The longest delivery note number kept."""


@dataclass(frozen=True)
class Batch:
    """A delivery of blanks and what has become of its blanks so far."""

    id: int
    received_on: date
    first_number: str
    last_number: str
    count: int
    document: str
    recorded_by: str  # the staff member who recorded it; "" when unknown
    received: int  # still in stock
    used: int
    spoiled: int
    destroyed: int


def _first_clash(conn: sqlite3.Connection, blanks: BlankRange) -> str | None:
    """The lowest blank number of the range already on record, if any."""
    wanted = set(blanks.numbers())
    rows = conn.execute(
        "SELECT upper(blank_number) FROM blanks WHERE length(blank_number) = ?"
        " AND upper(blank_number) BETWEEN ? AND ? ORDER BY upper(blank_number)",
        (len(blanks.first_number), blanks.first_number, blanks.last_number),
    )
    return next((str(number) for (number,) in rows if number in wanted), None)


def receive_batch(
    tx: Transaction,
    blanks: BlankRange,
    received_on: date,
    document: str,
    *,
    user_id: int | None,
) -> int:
    """Record a delivery of blanks; returns the batch's number.

    Refused, with nothing written, when the day is in the future, the delivery note's number is
    too long, or any number of the range is already on record (the first such is named).
    """
    if received_on > tx.clock.today():
        raise InputError("the blanks cannot be received in the future", where="received_on")
    note = " ".join(document.split())
    if len(note) > DOCUMENT_MAX:
        raise InputError(
            "the delivery note's number is longer than {limit} characters",
            where="document",
            limit=DOCUMENT_MAX,
        )
    clash = _first_clash(tx.conn, blanks)
    if clash is not None:
        raise InputError("blank {number} is already on record", where="first_number", number=clash)
    now = tx.now()
    cursor = tx.execute(
        "INSERT INTO blank_batches (received_on, first_number, last_number, count, document,"
        " user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            received_on.isoformat(),
            blanks.first_number,
            blanks.last_number,
            blanks.count,
            note,
            user_id,
            now,
        ),
    )
    batch_id = int(cursor.lastrowid or 0)
    tx.conn.executemany(
        "INSERT INTO blanks (blank_number, state, received_on, changed_at, batch_id)"
        " VALUES (?, 'received', ?, ?, ?)",
        [(number, received_on.isoformat(), now, batch_id) for number in blanks.numbers()],
    )
    tx.emit(
        "blanks.received",
        {
            "batch_id": batch_id,
            "first_number": blanks.first_number,
            "last_number": blanks.last_number,
            "count": blanks.count,
            "received_on": received_on,
        },
    )
    return batch_id


def blank_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many blanks are in each state (every state of ``BLANK_STATES``), and ``total``."""
    found = dict(conn.execute("SELECT state, count(*) FROM blanks GROUP BY state").fetchall())
    counts = {state: int(found.get(state, 0)) for state in BLANK_STATES}
    counts["total"] = sum(counts.values())
    return counts


def batches(conn: sqlite3.Connection) -> list[Batch]:
    """Every delivery, the latest first, with its blanks counted by state."""
    rows = conn.execute(
        "SELECT d.id, d.received_on, d.first_number, d.last_number, d.count, d.document,"
        " coalesce(u.first_name || ' ' || u.last_name, ''),"
        " count(b.id) FILTER (WHERE b.state = 'received'),"
        " count(b.id) FILTER (WHERE b.state = 'used'),"
        " count(b.id) FILTER (WHERE b.state = 'spoiled'),"
        " count(b.id) FILTER (WHERE b.state = 'destroyed')"
        " FROM blank_batches d LEFT JOIN users u ON u.id = d.user_id"
        " LEFT JOIN blanks b ON b.batch_id = d.id"
        " GROUP BY d.id ORDER BY d.received_on DESC, d.id DESC"
    )
    return [
        Batch(
            id=int(r[0]),
            received_on=date.fromisoformat(r[1]),
            first_number=r[2],
            last_number=r[3],
            count=int(r[4]),
            document=r[5],
            recorded_by=r[6],
            received=int(r[7]),
            used=int(r[8]),
            spoiled=int(r[9]),
            destroyed=int(r[10]),
        )
        for r in rows
    ]
