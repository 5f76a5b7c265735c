"""Returns, spoiled cards and destruction (§44–47).

A pupil who leaves before the card's last day returns it; the card's personalisation data (what
was printed on it, its "Kiti įrašai", the photo) are deleted with the reason. A personalised card
found faulty before it was given out is spoiled (a new one is free, §39). Returned, spoiled and
never-issued cards, and blanks spoiled in printing, are destroyed by the director's commission
with an act (annex 6); their blanks and cards move to ``destroyed``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.card_station import person_name
from emp_edge.domain.cards import CardState, allowed_moves
from emp_edge.errors import InputError, TransitionError
from emp_edge.store.card_faces import delete_printed_data
from emp_edge.store.card_issue import ActItem
from emp_edge.store.card_moves import StationCard, card_payload, move_card, station_card
from emp_edge.store.outbox import Transaction

REASON_MAX = 200
COMMISSION_MIN = 2
"""A commission is its chair and at least one member (§44)."""
DESTROYABLE = tuple(s.value for s in CardState if CardState.DESTROYED in allowed_moves(s))


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise InputError("say why", where="reason")
    if len(reason) > REASON_MAX:
        raise InputError(
            "the reason is longer than {limit} characters", where="reason", limit=REASON_MAX
        )
    return reason


def delete_card_data(tx: Transaction, card: StationCard, reason: str, on: date) -> bool:
    """Delete what was printed on the card and, when no other card of the pupil is open, the
    pupil's photo (§24, §44). Returns whether anything was left to delete."""
    faces, entries = delete_printed_data(tx, card.id, reason, on)
    gone = faces + entries
    open_card = tx.execute(
        "SELECT 1 FROM cards WHERE pupil_id = ? AND state IN ('requested', 'personalised')",
        (card.pupil_id,),
    ).fetchone()
    if open_card is None:
        gone += tx.execute("DELETE FROM pupil_photos WHERE pupil_id = ?", (card.pupil_id,)).rowcount
    return gone > 0


def return_card(
    tx: Transaction, card_id: int, on: date, reason: str, *, user_id: int | None
) -> None:
    """Take back the card of a pupil who leaves before it expires, and delete its data (§44)."""
    card = station_card(tx.conn, card_id)
    why = _reason(reason)
    if card.state is not CardState.ISSUED:
        raise TransitionError(
            "only an issued card is returned; card {number} is {state}",
            number=card.id,
            state=card.state.value,
        )
    if on > tx.clock.today():
        raise InputError("a return cannot be dated in the future", where="returned_on")
    move_card(tx, card, CardState.RETURNED, user_id=user_id, reason=why)
    delete_card_data(tx, card, why, on)
    tx.emit("card.returned", card_payload(card, card_number=card.barcode, returned_on=on))
    tx.emit("card.data_deleted", card_payload(card, deleted_on=on, reason="returned"))


def spoil_card(tx: Transaction, card_id: int, reason: str, *, user_id: int | None) -> None:
    """A personalised card found faulty before it was given out: spoiled, to be destroyed."""
    card = station_card(tx.conn, card_id)
    why = _reason(reason)
    if card.state is not CardState.PERSONALISED:
        raise TransitionError(
            "only a personalised card not yet issued is spoiled; card {number} is {state}",
            number=card.id,
            state=card.state.value,
        )
    move_card(tx, card, CardState.SPOILED, user_id=user_id, reason=why)
    tx.emit("card.spoiled", card_payload(card, card_number=card.barcode))


@dataclass(frozen=True)
class Destroyable:
    blank_id: int
    item: ActItem


def destroyable(conn: sqlite3.Connection) -> list[Destroyable]:
    """Blanks spoiled in printing, and cards with a blank that may still be destroyed."""
    rows = conn.execute(
        "SELECT b.id, b.blank_number, u.card_id, '', coalesce(p.first_name || ' ' ||"  # noqa: S608
        " p.last_name, ''), coalesce(k.label, ''), 'blank' FROM blanks b"
        " LEFT JOIN blank_uses u ON u.blank_id = b.id LEFT JOIN cards c ON c.id = u.card_id"
        " LEFT JOIN pupils p ON p.id = c.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE b.state = 'spoiled'"
        " UNION ALL SELECT b.id, b.blank_number, c.id, coalesce(c.barcode, ''),"
        " p.first_name || ' ' || p.last_name, coalesce(k.label, ''), c.state FROM cards c"
        " JOIN blanks b ON b.id = c.blank_id JOIN pupils p ON p.id = c.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id"
        f" WHERE b.state = 'used' AND c.state IN ({', '.join('?' for _ in DESTROYABLE)})"
        " ORDER BY 2",
        DESTROYABLE,
    )
    return [
        Destroyable(
            int(r[0]), ActItem(r[1], None if r[2] is None else int(r[2]), r[3], r[4], r[5], r[6])
        )
        for r in rows
    ]


def destroy(
    tx: Transaction,
    blank_ids: Sequence[int],
    made_on: date,
    commission: Sequence[str],
    *,
    user_id: int | None,
) -> int:
    """Record the destruction act for these blanks and cards; returns the act's number."""
    if not blank_ids:
        raise InputError("choose at least one card or blank to destroy", where="blanks")
    members = [person_name(name, where="commission") for name in commission if name.strip()]
    if len(members) < COMMISSION_MIN:
        raise InputError(
            "the commission needs its chair and at least one member", where="commission"
        )
    if made_on > tx.clock.today():
        raise InputError("an act cannot be dated in the future", where="made_on")
    candidates = {d.blank_id: d for d in destroyable(tx.conn)}
    chosen = []
    for blank_id in dict.fromkeys(blank_ids):
        found = candidates.get(blank_id)
        if found is None:
            number = tx.execute(
                "SELECT blank_number FROM blanks WHERE id = ?", (blank_id,)
            ).fetchone()
            raise InputError(
                "blank {number} is not a returned, spoiled or unissued card",
                where="blanks",
                number=number[0] if number else blank_id,
            )
        chosen.append(found)
    cursor = tx.execute(
        "INSERT INTO card_acts (kind, made_on, people, user_id, created_at)"
        " VALUES ('destruction', ?, ?, ?, ?)",
        (
            made_on.isoformat(),
            json.dumps({"commission": members}, ensure_ascii=False),
            user_id,
            tx.now(),
        ),
    )
    act_id = int(cursor.lastrowid or 0)
    cards: list[int] = []
    for found in chosen:
        item = found.item
        if item.state_before != "blank":
            assert item.card_id is not None
            card = station_card(tx.conn, item.card_id)
            move_card(tx, card, CardState.DESTROYED, user_id=user_id, reason=f"act {act_id}")
            delete_card_data(tx, card, "destroyed", made_on)
            cards.append(card.id)
        tx.execute(
            "UPDATE blanks SET state = 'destroyed', changed_at = ? WHERE id = ?",
            (tx.now(), found.blank_id),
        )
        tx.execute(
            "INSERT INTO card_act_items (act_id, blank_id, card_id, state_before)"
            " VALUES (?, ?, ?, ?)",
            (act_id, found.blank_id, item.card_id, item.state_before),
        )
    tx.emit(
        "card.destroyed",
        {
            "act_id": act_id,
            "made_on": made_on,
            "cards": cards,
            "blanks": [f.item.blank_number for f in chosen],
        },
    )
    return act_id
