"""Applying a roster page from the registry: the whole page and its cursor in one transaction.

The caller opens ``store.transaction(require_event=False)``: what the registry sends is not
echoed back to it. Every item is applied in its own savepoint, so an item the database refuses
is skipped (with its reason) instead of spoiling the page; the cursor is saved last, in
``sync_cursors`` under ``roster``, so the rows and the cursor move together or not at all.

What each kind does is in ``store.roster_rules`` and ``store.roster_people``; the lookups a page
needs are read once per page (``store.roster_known``), so a large roster is pulled quickly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Final

from emp_edge.errors import StoreError
from emp_edge.store.outbox import Transaction
from emp_edge.store.roster_items import Applied, RosterItem, SkippedItem
from emp_edge.store.roster_known import REFUSED, Known, Outcome, known_for_page
from emp_edge.store.roster_rules import apply_item

#: the name of the roster's cursor in ``sync_cursors``
ROSTER: Final = "roster"


def roster_cursor(conn: sqlite3.Connection) -> str | None:
    """Where the last pull stopped; None to read the roster from the start."""
    row = conn.execute("SELECT cursor FROM sync_cursors WHERE name = ?", (ROSTER,)).fetchone()
    return str(row[0]) if row is not None and row[0] else None


def apply_roster_page(
    tx: Transaction, school_code: str, items: Sequence[RosterItem], next_cursor: str
) -> Applied:
    """Apply the items in order, then save ``next_cursor``; returns what was done.

    Pupils created here belong to the school ``school_code`` (added when the database does not
    have it yet). Skipped items are counted and kept with their reasons; they never stop the page.
    """
    try:
        known = known_for_page(tx, school_code, items)
        applied = Applied()
        for item in items:
            applied.items += 1
            _count(applied, _apply_one(tx, known, item))
        tx.execute(
            "INSERT INTO sync_cursors (name, cursor, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor,"
            " updated_at = excluded.updated_at",
            (ROSTER, next_cursor, tx.now()),
        )
    except sqlite3.Error as err:
        raise StoreError("the roster page could not be written: {reason}", reason=str(err)) from err
    return applied


def _apply_one(tx: Transaction, known: Known, item: RosterItem) -> Outcome | SkippedItem:
    """One item in its own savepoint: one the database refuses is skipped, not the page."""
    tx.execute("SAVEPOINT roster_item")
    try:
        outcome = apply_item(tx, known, item)
    except sqlite3.IntegrityError:
        tx.execute("ROLLBACK TO roster_item")
        outcome = SkippedItem(item.kind, item.key, REFUSED)
    tx.execute("RELEASE roster_item")
    return outcome


def _count(applied: Applied, outcome: Outcome | SkippedItem) -> None:
    if isinstance(outcome, SkippedItem):
        applied.skip(outcome)
    elif outcome is Outcome.CREATED:
        applied.created += 1
    elif outcome is Outcome.UPDATED:
        applied.updated += 1
    elif outcome is Outcome.UNCHANGED:
        applied.unchanged += 1
    elif outcome is Outcome.DELETED:
        applied.deleted += 1
    else:
        applied.kept += 1
