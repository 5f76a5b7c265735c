"""The station's daily care of the cards on record: cards past their last day expire (§45), and
the data printed on a card and the pupil's photo are deleted a set number of days after the
card was issued (§24: kept no longer than the card's making needs).

Expiry writes one ``card.expired`` event per card, like every other move of a card the registry
hears of (§34), so each is acknowledged on its own. The purge writes one ``cards.purged`` event
with counts and card numbers only. Deleted rows are really gone: the store's connections have
SQLite's ``secure_delete`` on, so the freed space is overwritten with zeros, and
``flush_deleted`` afterwards checkpoints
the write-ahead log and truncates it, so no old copy of a page stays in the ``-wal`` file.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from emp_edge.domain.cards import CardState
from emp_edge.errors import InputError
from emp_edge.store.card_faces import delete_printed_data
from emp_edge.store.card_lists import OPEN_STATES
from emp_edge.store.card_moves import card_payload, move_card, station_card
from emp_edge.store.outbox import Transaction

log = logging.getLogger(__name__)

EXPIRY_REASON: Final = "validity ended"
"""The reason recorded with a card's move to expired (§45)."""
RETENTION_REASON: Final = "retention"
"""``cards.data_deleted_reason`` of a card whose data the purge deleted (§24)."""


@dataclass(frozen=True)
class PurgeCounts:
    """What one purge deleted."""

    card_ids: tuple[int, ...] = ()  # cards whose printed data were deleted
    faces: int = 0  # card_faces rows
    other_entries: int = 0  # card_other_entries rows ("Kiti įrašai")
    photos: int = 0  # pupil_photos rows

    @property
    def cards(self) -> int:
        return len(self.card_ids)

    @property
    def nothing(self) -> bool:
        return not (self.card_ids or self.photos)


def expire_cards(tx: Transaction, today: date) -> int:
    """Move every issued card whose last valid day is before ``today`` to expired; how many."""
    rows = tx.execute(
        "SELECT id FROM cards WHERE state = ? AND valid_until < ? ORDER BY id",
        (CardState.ISSUED.value, today.isoformat()),
    ).fetchall()
    for (card_id,) in rows:
        card = station_card(tx.conn, int(card_id))
        move_card(tx, card, CardState.EXPIRED, user_id=None, reason=EXPIRY_REASON)
        tx.emit(
            "card.expired",
            card_payload(
                card, card_number=card.barcode, valid_until=card.valid_until, expired_on=today
            ),
        )
    if rows:
        log.info("cards expired count=%d", len(rows))
    return len(rows)


def _due_cards(conn: sqlite3.Connection, cutoff: date) -> list[int]:
    """Cards issued on or before ``cutoff`` that still hold printed data or were never marked."""
    rows = conn.execute(
        "SELECT c.id FROM cards c WHERE c.issued_on IS NOT NULL AND c.issued_on <= ?"
        " AND (c.data_deleted_on IS NULL"
        "      OR EXISTS (SELECT 1 FROM card_faces f WHERE f.card_id = c.id)"
        "      OR EXISTS (SELECT 1 FROM card_other_entries e WHERE e.card_id = c.id))"
        " ORDER BY c.id",
        (cutoff.isoformat(),),
    )
    return [int(row[0]) for row in rows]


def _due_photos(conn: sqlite3.Connection, cutoff: date) -> list[int]:
    """Pupils with a photo, whose latest card was issued on or before ``cutoff``, and with no
    card being made (an open request still needs the photo)."""
    rows = conn.execute(
        "SELECT f.pupil_id FROM pupil_photos f"
        " WHERE (SELECT max(c.issued_on) FROM cards c WHERE c.pupil_id = f.pupil_id) <= ?"
        " AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.pupil_id = f.pupil_id"
        "                 AND c.state IN (?, ?))"
        " ORDER BY f.pupil_id",
        (cutoff.isoformat(), *(state.value for state in OPEN_STATES)),
    )
    return [int(row[0]) for row in rows]


def purge_card_data(tx: Transaction, today: date, days: int) -> PurgeCounts:
    """Delete the printed data of cards issued at least ``days`` days ago, and their pupils'
    photos when no new card is being made for them (§24); see the module's docstring."""
    if days < 0:
        raise InputError("the retention period cannot be negative: {days} days", days=days)
    cutoff = today - timedelta(days=days)
    card_ids = _due_cards(tx.conn, cutoff)
    pupil_ids = _due_photos(tx.conn, cutoff)
    if not card_ids and not pupil_ids:
        return PurgeCounts()
    faces = entries = photos = 0
    for card_id in card_ids:
        deleted_faces, deleted_entries = delete_printed_data(tx, card_id, RETENTION_REASON, today)
        faces += deleted_faces
        entries += deleted_entries
    for pupil_id in pupil_ids:
        photos += tx.execute("DELETE FROM pupil_photos WHERE pupil_id = ?", (pupil_id,)).rowcount
    counts = PurgeCounts(tuple(card_ids), faces, entries, photos)
    tx.emit(
        "cards.purged",
        {
            "on": today,
            "retention_days": days,
            "cards": counts.cards,
            "card_ids": list(counts.card_ids),
            "faces": faces,
            "other_entries": entries,
            "photos": photos,
        },
    )
    log.info(
        "card data purged cards=%d faces=%d other_entries=%d photos=%d retention_days=%d",
        counts.cards,
        faces,
        entries,
        photos,
        days,
    )
    return counts


def flush_deleted(conn: sqlite3.Connection) -> bool:
    """Copy the write-ahead log into the database file and empty it, so pages holding deleted
    data leave the ``-wal`` file too. Outside any transaction; True when it went all the way
    (False when a reader kept part of the log, which the next run tries again)."""
    row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return row is None or int(row[0]) == 0
