"""Reading a pupil's canteen account for its page: balance, the ledger with each sale's lines,
free meals, the daily limit, the no-buy items and the diet note.

The history joins the ledger with the tills' sales: a paid sale is one ledger row and one sale
with its lines; a free meal (or anything served at 0,00 €) is a sale without a ledger row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from emp_edge.store.canteen_till import balance

#: how many rows of the history the page shows, newest first
HISTORY_ROWS = 100


@dataclass(frozen=True)
class SoldLine:
    name: str
    price_cents: int
    free: bool


@dataclass(frozen=True)
class HistoryRow:
    """One ledger row, or one sale that cost nothing (``kind`` "served")."""

    event_id: str
    kind: str  # topup, sale, refund, correction, served
    amount_cents: int
    at: str
    till: str
    reference: str
    reason: str
    method: str  # cash or bank for top-ups
    refund_of: str | None
    by: str  # the staff member who entered it, "" for the tills
    lines: tuple[SoldLine, ...]
    refundable_cents: int  # what of a paid sale may still be refunded


@dataclass(frozen=True)
class Entitlement:
    id: int
    meal_type: str
    meal_name: str  # as the school calls the meal; the code when the meal type is gone
    valid_from: str
    valid_to: str | None
    source: str  # registry or staff
    note: str


@dataclass(frozen=True)
class DailyLimit:
    cents: int | None  # None: no limit (cleared)
    note: str
    changed_at: str


@dataclass(frozen=True)
class CanteenAccount:
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    active: bool
    diet_note: str
    balance_cents: int
    limit: DailyLimit | None
    no_buy: frozenset[int]
    entitlements: list[Entitlement]
    history: list[HistoryRow]
    history_total: int


def balances(conn: sqlite3.Connection, pupil_ids: Iterable[int]) -> dict[int, int]:
    """The balance of each pupil named (0 for one without ledger rows)."""
    wanted = sorted(set(pupil_ids))
    found = dict.fromkeys(wanted, 0)
    if wanted:
        marks = ", ".join("?" for _ in wanted)
        rows = conn.execute(
            f"SELECT pupil_id, sum(amount_cents) FROM ledger WHERE pupil_id IN ({marks})"  # noqa: S608
            " GROUP BY pupil_id",
            wanted,
        )
        found.update((int(p), int(c)) for p, c in rows)
    return found


def canteen_account(
    conn: sqlite3.Connection, pupil_id: int, *, rows: int = HISTORY_ROWS
) -> CanteenAccount | None:
    """Everything the account page shows, or None when there is no such pupil."""
    pupil = conn.execute(
        "SELECT p.first_name, p.last_name, coalesce(c.label, ''), p.active, p.diet_note"
        " FROM pupils p LEFT JOIN classes c ON c.id = p.class_id WHERE p.id = ?",
        (pupil_id,),
    ).fetchone()
    if pupil is None:
        return None
    limit = conn.execute(
        "SELECT daily_limit_cents, note, changed_at FROM canteen_limits WHERE pupil_id = ?",
        (pupil_id,),
    ).fetchone()
    no_buy = frozenset(
        int(r[0])
        for r in conn.execute("SELECT item_id FROM no_buy_items WHERE pupil_id = ?", (pupil_id,))
    )
    history, total = _history(conn, pupil_id, rows)
    return CanteenAccount(
        pupil_id=pupil_id,
        first_name=pupil[0],
        last_name=pupil[1],
        class_label=pupil[2],
        active=bool(pupil[3]),
        diet_note=pupil[4],
        balance_cents=balance(conn, pupil_id),
        limit=DailyLimit(limit[0], limit[1], limit[2]) if limit else None,
        no_buy=no_buy,
        entitlements=_entitlements(conn, pupil_id),
        history=history,
        history_total=total,
    )


def _entitlements(conn: sqlite3.Connection, pupil_id: int) -> list[Entitlement]:
    """Every entitlement, ended ones too: the newest first."""
    rows = conn.execute(
        "SELECT e.id, e.meal_type, coalesce(m.name, e.meal_type), e.valid_from, e.valid_to,"
        " e.source, e.note FROM meal_entitlements e LEFT JOIN meal_types m ON m.code = e.meal_type"
        " WHERE e.pupil_id = ? ORDER BY e.valid_from DESC, e.id DESC",
        (pupil_id,),
    )
    return [Entitlement(*row) for row in rows]


_HISTORY = """
SELECT l.event_id, l.kind, l.amount_cents, l.at, l.till, l.reference, l.reason, l.method,
       l.refund_of, coalesce(u.first_name || ' ' || u.last_name, '') AS by, s.id AS sale_id,
       CASE WHEN l.kind = 'sale' THEN -l.amount_cents - (SELECT coalesce(sum(r.amount_cents), 0)
            FROM ledger r WHERE r.refund_of = l.event_id) ELSE 0 END AS refundable
  FROM ledger l LEFT JOIN users u ON u.id = l.user_id
  LEFT JOIN till_sales s ON s.event_id = l.event_id
 WHERE l.pupil_id = :pupil
UNION ALL
SELECT s.event_id, 'served', 0, s.at, s.till, '', '', '', NULL, '', s.id, 0
  FROM till_sales s WHERE s.pupil_id = :pupil AND s.paid_cents = 0
ORDER BY at DESC, event_id
LIMIT :rows
"""


def _history(conn: sqlite3.Connection, pupil_id: int, rows: int) -> tuple[list[HistoryRow], int]:
    total = conn.execute(
        "SELECT (SELECT count(*) FROM ledger WHERE pupil_id = :pupil)"
        " + (SELECT count(*) FROM till_sales WHERE pupil_id = :pupil AND paid_cents = 0)",
        {"pupil": pupil_id},
    ).fetchone()[0]
    found = conn.execute(_HISTORY, {"pupil": pupil_id, "rows": rows}).fetchall()
    sale_ids = [row[10] for row in found if row[10] is not None]
    lines = _lines(conn, sale_ids)
    history = [
        HistoryRow(
            event_id=row[0],
            kind=row[1],
            amount_cents=row[2],
            at=row[3],
            till=row[4],
            reference=row[5],
            reason=row[6],
            method=row[7],
            refund_of=row[8],
            by=row[9],
            lines=lines.get(row[10], ()) if row[10] is not None else (),
            refundable_cents=max(0, int(row[11])),
        )
        for row in found
    ]
    return history, int(total)


def _lines(conn: sqlite3.Connection, sale_ids: list[int]) -> dict[int, tuple[SoldLine, ...]]:
    found: dict[int, list[SoldLine]] = {}
    if sale_ids:
        marks = ", ".join("?" for _ in sale_ids)
        rows = conn.execute(
            "SELECT sale_id, name, price_cents, free FROM till_sale_lines"  # noqa: S608
            f" WHERE sale_id IN ({marks}) ORDER BY sale_id, line",
            sale_ids,
        )
        for sale_id, name, price, free in rows:
            found.setdefault(int(sale_id), []).append(SoldLine(name, int(price), bool(free)))
    return {sale_id: tuple(lines) for sale_id, lines in found.items()}
