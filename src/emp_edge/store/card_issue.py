"""Handover and issue (§35, §26, §43, §49): personalised cards are handed to the school with an
act, then each is given to the pupil, a parent or the class teacher, who signs the journal.

A card is issued only after it was handed over with an act. At issue it gets its registration
number — the year and its place among that year's issues — and the journal keeps who received it,
by name and role, and when. Names in the acts and the journal are read from the pupils' records
when they are printed; the outbox events carry numbers only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.card_station import Recipient, person_name, registration_number
from emp_edge.domain.cards import CardState
from emp_edge.errors import InputError, TransitionError
from emp_edge.store.card_moves import card_payload, move_card, station_card
from emp_edge.store.outbox import Transaction


@dataclass(frozen=True)
class ActItem:
    """One card (or spoiled blank) in an act."""

    blank_number: str
    card_id: int | None
    card_number: str  # "" for a spoiled blank
    pupil_name: str
    class_label: str
    state_before: str  # a CardState value, or "blank" for a spoiled blank


@dataclass(frozen=True)
class Act:
    id: int
    kind: str  # handover | destruction
    made_on: date
    people: dict[str, object]
    items: list[ActItem]


@dataclass(frozen=True)
class JournalEntry:
    """A line of the issue journal (annex 4)."""

    card_id: int
    registration_number: str
    issued_on: date
    pupil_name: str
    class_label: str
    card_number: str
    blank_number: str
    valid_until: date
    received_by: str
    received_role: str
    state: CardState


_PUPIL = (
    "p.first_name || ' ' || p.last_name, coalesce(k.label, '')"
    " FROM cards c JOIN pupils p ON p.id = c.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
    " LEFT JOIN blanks b ON b.id = c.blank_id"
)


def awaiting_handover(conn: sqlite3.Connection) -> list[ActItem]:
    """Personalised cards not yet handed to the school with an act."""
    rows = conn.execute(
        "SELECT coalesce(b.blank_number, ''), c.id, coalesce(c.barcode, ''), "  # noqa: S608
        + _PUPIL
        + " WHERE c.state = 'personalised' AND NOT EXISTS (SELECT 1 FROM card_act_items i"
        " JOIN card_acts a ON a.id = i.act_id WHERE i.card_id = c.id AND a.kind = 'handover')"
        " ORDER BY k.grade, k.letter, p.last_name, p.first_name, c.id"
    )
    return [ActItem(r[0], int(r[1]), r[2], r[3], r[4], "personalised") for r in rows]


def _handed_over(conn: sqlite3.Connection, card_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM card_act_items i JOIN card_acts a ON a.id = i.act_id"
            " WHERE i.card_id = ? AND a.kind = 'handover'",
            (card_id,),
        ).fetchone()
        is not None
    )


def hand_over(
    tx: Transaction,
    card_ids: Sequence[int],
    made_on: date,
    handed_by: str,
    received_by: str,
    *,
    user_id: int | None,
) -> int:
    """Record the act handing these personalised cards to the school (§35); returns its number."""
    if not card_ids:
        raise InputError("choose at least one card for the act", where="cards")
    if made_on > tx.clock.today():
        raise InputError("an act cannot be dated in the future", where="made_on")
    people = {
        "handed_by": person_name(handed_by, where="handed_by"),
        "received_by": person_name(received_by, where="received_by"),
    }
    cards = [station_card(tx.conn, card_id) for card_id in dict.fromkeys(card_ids)]
    for card in cards:
        if card.state is not CardState.PERSONALISED:
            raise TransitionError(
                "card {number} is {state}: only personalised cards are handed over",
                number=card.id,
                state=card.state.value,
            )
        if _handed_over(tx.conn, card.id):
            raise InputError("card {number} is already in a handover act", number=card.id)
    act_id = _new_act(tx, "handover", made_on, people, user_id)
    for card in cards:
        tx.execute(
            "INSERT INTO card_act_items (act_id, blank_id, card_id, state_before)"
            " VALUES (?, ?, ?, 'personalised')",
            (act_id, card.blank_id, card.id),
        )
    tx.emit(
        "card.handed_over",
        {"act_id": act_id, "made_on": made_on, "cards": [c.id for c in cards]},
    )
    return act_id


def _new_act(
    tx: Transaction, kind: str, made_on: date, people: Mapping[str, object], user_id: int | None
) -> int:
    cursor = tx.execute(
        "INSERT INTO card_acts (kind, made_on, people, user_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (kind, made_on.isoformat(), json.dumps(people, ensure_ascii=False), user_id, tx.now()),
    )
    return int(cursor.lastrowid or 0)


def issue_card(
    tx: Transaction,
    card_id: int,
    recipient: Recipient,
    recipient_name: str,
    on: date,
    *,
    user_id: int | None,
) -> str:
    """Give the card out against a signature in the journal (§43); returns its registration
    number (§26)."""
    card = station_card(tx.conn, card_id)
    name = person_name(recipient_name, where="recipient_name")
    if card.state is not CardState.PERSONALISED:
        raise TransitionError(
            "card {number} is {state}: only a personalised card is issued",
            number=card.id,
            state=card.state.value,
        )
    if not _handed_over(tx.conn, card.id):
        raise TransitionError(
            "card {number} has not been handed to the school with an act yet (§35)",
            number=card.id,
        )
    if on > tx.clock.today():
        raise InputError("a card cannot be issued in the future", where="issued_on")
    sequence = 1 + int(
        tx.execute(
            "SELECT count(*) FROM cards WHERE registration_number LIKE ?", (f"{on.year}/%",)
        ).fetchone()[0]
    )
    number = registration_number(on.year, sequence)
    tx.execute(
        "UPDATE cards SET registration_number = ?, issued_on = ?, received_by = ?,"
        " received_role = ?, updated_at = ? WHERE id = ?",
        (number, on.isoformat(), name, recipient.value, tx.now(), card.id),
    )
    move_card(tx, card, CardState.ISSUED, user_id=user_id)
    tx.emit(
        "card.issued",
        card_payload(
            card,
            card_number=card.barcode,
            registration_number=number,
            issued_on=on,
            valid_until=card.valid_until,
            issue_counter=card.issue_counter,
            replaces_card_id=card.replaces_card_id,
            received_role=recipient.value,
        ),
    )
    return number


def journal(conn: sqlite3.Connection, year: int | None = None) -> list[JournalEntry]:
    """The issue journal: every card given out (in that year), in registration order."""
    where = "" if year is None else " AND substr(c.issued_on, 1, 4) = ?"
    params: tuple[object, ...] = () if year is None else (str(year),)
    rows = conn.execute(
        "SELECT c.id, c.registration_number, c.issued_on, p.first_name || ' ' || p.last_name,"  # noqa: S608
        " coalesce(k.label, ''), coalesce(c.barcode, ''), coalesce(b.blank_number, ''),"
        " c.valid_until, coalesce(c.received_by, ''), coalesce(c.received_role, ''), c.state"
        " FROM cards c JOIN pupils p ON p.id = c.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
        " LEFT JOIN blanks b ON b.id = c.blank_id WHERE c.registration_number IS NOT NULL"
        + where
        + " ORDER BY c.issued_on, c.registration_number",
        params,
    )
    return [
        JournalEntry(
            card_id=int(r[0]),
            registration_number=r[1],
            issued_on=date.fromisoformat(r[2]),
            pupil_name=r[3],
            class_label=r[4],
            card_number=r[5],
            blank_number=r[6],
            valid_until=date.fromisoformat(r[7]),
            received_by=r[8],
            received_role=r[9],
            state=CardState(r[10]),
        )
        for r in rows
    ]


def act(conn: sqlite3.Connection, act_id: int) -> Act:
    """An act with its cards, for its page and its PDF."""
    row = conn.execute(
        "SELECT id, kind, made_on, people FROM card_acts WHERE id = ?", (act_id,)
    ).fetchone()
    if row is None:
        raise InputError("there is no act number {number}", number=act_id)
    items = conn.execute(
        "SELECT b.blank_number, i.card_id, coalesce(c.barcode, ''),"
        " coalesce(p.first_name || ' ' || p.last_name, ''), coalesce(k.label, ''),"
        " i.state_before FROM card_act_items i JOIN blanks b ON b.id = i.blank_id"
        " LEFT JOIN cards c ON c.id = i.card_id LEFT JOIN pupils p ON p.id = c.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id WHERE i.act_id = ?"
        " ORDER BY length(b.blank_number), b.blank_number",
        (act_id,),
    )
    return Act(
        id=int(row[0]),
        kind=row[1],
        made_on=date.fromisoformat(row[2]),
        people=json.loads(row[3]),
        items=[
            ActItem(
                r[0],
                None if r[1] is None else int(r[1]),
                r[2] if r[5] != "blank" else "",
                r[3],
                r[4],
                r[5],
            )
            for r in items
        ],
    )
