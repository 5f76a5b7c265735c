"""The terminals' side of the database: find the card a tap names, and write the tap's event.

A tap's row and its outbox event are written in the transaction of the decision, before the
result is shown. The row keeps only the last four hex digits of the chip UID.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.cards import CardState
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.store.outbox import Transaction

_CARD = (
    "SELECT c.id, c.pupil_id, c.state, c.valid_until, coalesce(c.chip_uid, ''), c.issue_counter,"
    " p.first_name, p.last_name, coalesce(k.label, ''), p.active, s.code"
    " FROM cards c JOIN pupils p ON p.id = c.pupil_id JOIN schools s ON s.id = p.school_id"
    " LEFT JOIN classes k ON k.id = p.class_id"
)


@dataclass(frozen=True)
class CardAtTerminal:
    """What a terminal needs to know about a card and its pupil."""

    card_id: int
    pupil_id: int
    state: CardState
    valid_until: date | None
    chip_uid: str
    issue_counter: int | None
    first_name: str
    last_name: str
    class_label: str
    pupil_active: bool
    school_code: str

    @property
    def pupil_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _card(row: tuple[object, ...] | None) -> CardAtTerminal | None:
    if row is None:
        return None
    until = row[3]
    counter = row[5]
    return CardAtTerminal(
        card_id=int(str(row[0])),
        pupil_id=int(str(row[1])),
        state=CardState(str(row[2])),
        valid_until=date.fromisoformat(until) if isinstance(until, str) else None,
        chip_uid=str(row[4]),
        issue_counter=counter if isinstance(counter, int) else None,
        first_name=str(row[6]),
        last_name=str(row[7]),
        class_label=str(row[8]),
        pupil_active=bool(row[9]),
        school_code=str(row[10]),
    )


def uid_text(uid: bytes) -> str:
    """A chip UID as the cards table keeps it: upper-case hex, no separators."""
    return uid.hex().upper()


def card_by_uid(conn: sqlite3.Connection, uid: bytes) -> CardAtTerminal | None:
    """The card bound to this chip UID (the index on chip_uid makes this one lookup)."""
    return _card(conn.execute(_CARD + " WHERE c.chip_uid = ?", (uid_text(uid),)).fetchone())


def card_by_id(conn: sqlite3.Connection, card_id: int) -> CardAtTerminal | None:
    return _card(conn.execute(_CARD + " WHERE c.id = ?", (card_id,)).fetchone())


@dataclass(frozen=True)
class TapRow:
    terminal: str
    role: str
    uid: bytes
    result: TapResult
    reason: TapReason
    card_id: int | None = None
    pupil_id: int | None = None
    detail: str = ""


def record_tap(tx: Transaction, tap: TapRow, event_id: str | None = None) -> str:
    """Write the tap and its outbox event in the open transaction; returns the tap's id.

    ``event_id`` is the id the role's handler already wrote its rows under, if it did.
    """
    event_id = tx.emit(
        "tap.decided",
        {
            "terminal": tap.terminal,
            "role": tap.role,
            "result": str(tap.result),
            "reason": str(tap.reason),
            "card_id": tap.card_id,
        },
        event_id=event_id,
    )
    tx.execute(
        "INSERT INTO taps (event_id, at, terminal, role, uid_tail, card_id, pupil_id, result,"
        " reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event_id,
            tx.now(),
            tap.terminal,
            tap.role,
            uid_text(tap.uid)[-4:],
            tap.card_id,
            tap.pupil_id,
            str(tap.result),
            str(tap.reason),
            tap.detail,
        ),
    )
    return event_id
