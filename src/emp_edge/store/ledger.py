"""The prepaid ledger's writes outside the tills: top-ups, refunds and corrections.

The ledger is append-only (a trigger refuses updates); a balance is the sum of a pupil's rows.
Each entry is checked by the domain with the balance read inside the same ``BEGIN IMMEDIATE``
transaction it is written in, and goes to the outbox as ``ledger.<kind>`` in that transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from emp_edge.domain import canteen
from emp_edge.domain.canteen import LedgerEntry, LedgerKind
from emp_edge.errors import InputError
from emp_edge.store.canteen_till import balance
from emp_edge.store.outbox import Transaction


@dataclass(frozen=True)
class SaleToRefund:
    event_id: str
    pupil_id: int
    paid_cents: int
    refunded_cents: int

    @property
    def refundable_cents(self) -> int:
        return self.paid_cents - self.refunded_cents


def sale_to_refund(conn: sqlite3.Connection, sale_event: str) -> SaleToRefund:
    """A paid sale and how much of it was refunded already."""
    row = conn.execute(
        "SELECT l.event_id, l.pupil_id, -l.amount_cents,"
        " (SELECT coalesce(sum(r.amount_cents), 0) FROM ledger r WHERE r.refund_of = l.event_id)"
        " FROM ledger l WHERE l.event_id = ? AND l.kind = 'sale'",
        (sale_event,),
    ).fetchone()
    if row is None:
        raise InputError("there is no paid sale {event!r} to refund", event=sale_event)
    return SaleToRefund(row[0], int(row[1]), int(row[2]), int(row[3]))


def _pupil_exists(conn: sqlite3.Connection, pupil_id: int) -> None:
    if conn.execute("SELECT 1 FROM pupils WHERE id = ?", (pupil_id,)).fetchone() is None:
        raise InputError("there is no pupil number {pupil}", pupil=pupil_id)


def write_entry(
    tx: Transaction, pupil_id: int, entry: LedgerEntry, *, user_id: int | None, till: str = ""
) -> str:
    """Append a checked entry (never a sale: tills write those) with its outbox event."""
    if entry.kind is LedgerKind.SALE:
        raise InputError("sales are written by the tills only")
    event_id = tx.emit(
        f"ledger.{entry.kind}",
        {"pupil_id": pupil_id, "amount_cents": entry.amount_cents, "refund_of": entry.refund_of},
    )
    tx.execute(
        "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, reference, reason, user_id,"
        " event_id, method, refund_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            pupil_id,
            str(entry.kind),
            entry.amount_cents,
            tx.now(),
            till,
            entry.reference,
            entry.reason,
            user_id,
            event_id,
            str(entry.method) if entry.method else "",
            entry.refund_of,
        ),
    )
    return event_id


def add_top_up(
    tx: Transaction,
    pupil_id: int,
    cents: int,
    method: str,
    reference: str,
    *,
    user_id: int | None,
    max_cents: int,
) -> str:
    _pupil_exists(tx.conn, pupil_id)
    entry = canteen.top_up(cents, method, reference, max_cents=max_cents)
    return write_entry(tx, pupil_id, entry, user_id=user_id)


def add_refund(
    tx: Transaction, sale_event: str, cents: int, reason: str, *, user_id: int | None
) -> str:
    sale = sale_to_refund(tx.conn, sale_event)
    entry = canteen.refund(cents, sale.event_id, sale.refundable_cents, reason)
    return write_entry(tx, sale.pupil_id, entry, user_id=user_id)


def add_correction(
    tx: Transaction,
    pupil_id: int,
    cents: int,
    reason: str,
    *,
    user_id: int | None,
    max_cents: int,
    overdraft_limit_cents: int,
) -> str:
    """A manager's correction (the caller checks the right); reason required, limits kept."""
    _pupil_exists(tx.conn, pupil_id)
    entry = canteen.correction(
        cents,
        reason,
        balance(tx.conn, pupil_id),
        max_cents=max_cents,
        overdraft=overdraft_limit_cents,
    )
    return write_entry(tx, pupil_id, entry, user_id=user_id)
