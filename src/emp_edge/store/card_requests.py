"""Requests for a card (§20): a first card, or a replacement (§37–40) with its fee and payment.

A request is a card row in ``requested``: it starts the 21-day clock (§42), carries who asked
(annex 1: the pupil; annex 2: a parent, guardian or carer) and how to reach them, and its printed
data (``card_faces``) is filled from the pupil's record for the staff to check. A pupil has at
most one open request — checked here with a clear message, and by a unique index.

A replacement blocks the old card in the same transaction that records the request, so every
terminal refuses it from that moment; the pupil's balance, meal entitlements and club enrolments
belong to the pupil, not to the card, and carry on with the new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.card_station import CONTACT_MAX, Requester, person_name
from emp_edge.domain.cards import CardState, ReplacementReason, replacement_fee
from emp_edge.errors import InputError, TransitionError
from emp_edge.store.card_moves import card_payload, move_card, station_card
from emp_edge.store.outbox import Transaction


@dataclass(frozen=True)
class RequestInput:
    """What the request form says (annex 1 or 2)."""

    pupil_id: int
    requested_on: date
    requester: Requester
    requester_name: str
    requester_contact: str = ""


def _pupil_for_request(conn: sqlite3.Connection, pupil_id: int) -> None:
    row = conn.execute(
        "SELECT p.active, p.class_id FROM pupils p WHERE p.id = ?", (pupil_id,)
    ).fetchone()
    if row is None:
        raise InputError("there is no pupil number {number}", number=pupil_id, where="pupil")
    if not row[0]:
        raise InputError("the pupil has left the school: no card can be asked for", where="pupil")
    if row[1] is None:
        raise InputError(
            "the pupil is in no class: the card's validity comes from the grade (§30)",
            where="pupil",
        )


def _open_request(conn: sqlite3.Connection, pupil_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM cards WHERE pupil_id = ? AND state IN ('requested', 'personalised')",
        (pupil_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def _insert(
    tx: Transaction,
    request: RequestInput,
    *,
    replaces: int | None = None,
    reason: ReplacementReason | None = None,
    fee_cents: int = 0,
    user_id: int | None,
) -> int:
    conn = tx.conn
    _pupil_for_request(conn, request.pupil_id)
    name = person_name(request.requester_name, where="requester_name")
    contact = " ".join(request.requester_contact.split())
    if len(contact) > CONTACT_MAX:
        raise InputError(
            "the contact is longer than {limit} characters",
            where="requester_contact",
            limit=CONTACT_MAX,
        )
    if request.requested_on > tx.clock.today():
        raise InputError("a request cannot be dated in the future", where="requested_on")
    open_card = _open_request(conn, request.pupil_id)
    if open_card is not None:
        raise InputError(
            "the pupil already has an open request (card {number}): finish or cancel it first",
            where="pupil",
            number=open_card,
        )
    now = tx.now()
    relation = "self" if request.requester is Requester.PUPIL else request.requester.value
    card_id = int(
        tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, requester_name,"
            " requester_relation, requester_contact, replaces_card_id, replacement_reason,"
            " fee_cents, created_at, updated_at) VALUES (?, 'requested', ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)",
            (
                request.pupil_id,
                request.requested_on.isoformat(),
                request.requester.form,
                name,
                relation,
                contact,
                replaces,
                None if reason is None else reason.value,
                fee_cents,
                now,
                now,
            ),
        ).lastrowid
        or 0
    )
    tx.execute(
        "INSERT INTO card_events (card_id, from_state, to_state, at, user_id, reason)"
        " VALUES (?, NULL, 'requested', ?, ?, ?)",
        (card_id, now, user_id, "" if reason is None else reason.value),
    )
    tx.execute(
        "INSERT INTO card_faces (card_id, first_name, last_name, birth_date, school_name,"
        " school_code, changed_at) SELECT ?, p.first_name, p.last_name, p.birth_date, s.name,"
        " s.code, ? FROM pupils p JOIN schools s ON s.id = p.school_id WHERE p.id = ?",
        (card_id, now, request.pupil_id),
    )
    return card_id


def record_request(tx: Transaction, request: RequestInput, *, user_id: int | None) -> int:
    """Record a request for the pupil's card; returns the new card's number."""
    card_id = _insert(tx, request, user_id=user_id)
    card = station_card(tx.conn, card_id)
    tx.emit(
        "card.requested",
        card_payload(card, requested_on=request.requested_on, form=request.requester.form),
    )
    return card_id


def cancel_request(tx: Transaction, card_id: int, reason: str, *, user_id: int | None) -> None:
    """Withdraw a request that has not been printed yet; its printed data goes with it."""
    card = station_card(tx.conn, card_id)
    if not reason.strip():
        raise InputError("say why the request is withdrawn", where="reason")
    if card.replaces_card_id is not None:
        raise TransitionError("a replacement cannot be withdrawn: the old card is already blocked")
    move_card(tx, card, CardState.CANCELLED, user_id=user_id, reason=reason.strip())
    tx.execute("DELETE FROM card_other_entries WHERE card_id = ?", (card.id,))
    tx.execute("DELETE FROM card_faces WHERE card_id = ?", (card.id,))
    tx.emit("card.cancelled", card_payload(card))


def request_replacement(
    tx: Transaction,
    old_card_id: int,
    reason: ReplacementReason,
    request: RequestInput,
    *,
    fee_cents: int,
    user_id: int | None,
) -> int:
    """Block the old card at once and record the request for its replacement (§37–40).

    The fee is the set fee for a paid reason before the old card's last day (§38), else 0
    (§39). Returns the new card's number.
    """
    old = station_card(tx.conn, old_card_id)
    if old.pupil_id != request.pupil_id:
        raise InputError("the card belongs to another pupil", where="card")
    if old.state is not CardState.ISSUED:
        raise TransitionError(
            "only an issued card is replaced; card {number} is {state}",
            number=old.id,
            state=old.state.value,
        )
    assert old.valid_until is not None
    fee = replacement_fee(
        reason, old_valid_until=old.valid_until, on=request.requested_on, fee_cents=fee_cents
    )
    move_card(tx, old, CardState.REPLACED, user_id=user_id, reason=reason.value)
    new_id = _insert(tx, request, replaces=old.id, reason=reason, fee_cents=fee, user_id=user_id)
    tx.emit(
        "card.replaced",
        card_payload(
            old,
            card_number=old.barcode,
            new_card_id=new_id,
            reason=reason.value,
            fee_cents=fee,
            requested_on=request.requested_on,
        ),
    )
    return new_id


def record_payment(
    tx: Transaction, card_id: int, paid_on: date, reference: str, *, user_id: int | None
) -> None:
    """Record that the replacement fee was paid (§40.3); the card can then be printed."""
    card = station_card(tx.conn, card_id)
    if card.fee_cents == 0:
        raise InputError("card {number} has no fee to pay", number=card.id)
    if card.paid_on is not None:
        raise InputError(
            "the fee for card {number} was already paid on {day}",
            number=card.id,
            day=card.paid_on.isoformat(),
        )
    if paid_on > tx.clock.today():
        raise InputError("a payment cannot be dated in the future", where="paid_on")
    text = " ".join(reference.split())
    if len(text) > CONTACT_MAX:
        raise InputError("the payment reference is too long", where="reference")
    tx.execute(
        "UPDATE cards SET paid_on = ?, payment_reference = ?, updated_at = ? WHERE id = ?",
        (paid_on.isoformat(), text, tx.now(), card.id),
    )
    tx.emit("card.paid", card_payload(card, fee_cents=card.fee_cents, paid_on=paid_on))
