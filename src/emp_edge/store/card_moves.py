"""One card as the station's writes need it, and the one way a card changes state.

Every move goes through ``move_card``: the domain's state machine says whether it may, the card's
row gets its new state, and ``card_events`` records who moved it, when and why. A write the
lock triggers of migration 0006 refuse (§29) comes out as a ``TransitionError``, never as a
database error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.cards import CardState, move
from emp_edge.errors import InputError, TransitionError
from emp_edge.store.outbox import Transaction

LOCKED = "card_locked"
"""The start of the message the lock triggers abort with."""


@dataclass(frozen=True)
class StationCard:
    """A card's row: what the station's writes check before they change it."""

    id: int
    pupil_id: int
    registry_id: str | None
    state: CardState
    requested_on: date
    requested_by: str
    blank_id: int | None
    barcode: str | None
    registration_number: str | None
    valid_until: date | None
    replaces_card_id: int | None
    replacement_reason: str | None
    fee_cents: int
    paid_on: date | None
    issue_counter: int | None


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def station_card(conn: sqlite3.Connection, card_id: int) -> StationCard:
    """The card with this number, or an InputError saying there is none."""
    row = conn.execute(
        "SELECT c.id, c.pupil_id, p.registry_id, c.state, c.requested_on, c.requested_by,"
        " c.blank_id, c.barcode, c.registration_number, c.valid_until, c.replaces_card_id,"
        " c.replacement_reason, c.fee_cents, c.paid_on, c.issue_counter"
        " FROM cards c JOIN pupils p ON p.id = c.pupil_id WHERE c.id = ?",
        (card_id,),
    ).fetchone()
    if row is None:
        raise InputError("there is no card number {number}", number=card_id)
    return StationCard(
        id=int(row[0]),
        pupil_id=int(row[1]),
        registry_id=row[2],
        state=CardState(row[3]),
        requested_on=date.fromisoformat(row[4]),
        requested_by=str(row[5]),
        blank_id=row[6],
        barcode=row[7],
        registration_number=row[8],
        valid_until=_day(row[9]),
        replaces_card_id=row[10],
        replacement_reason=row[11],
        fee_cents=int(row[12]),
        paid_on=_day(row[13]),
        issue_counter=row[14],
    )


def still_requested(card: StationCard) -> None:
    """Refuse any change to what is printed on a card that has left "requested" (§29)."""
    if card.state is not CardState.REQUESTED:
        raise TransitionError(
            "card {number} is {state}: its data can no longer be changed; a mistake means a"
            " new card (§29)",
            number=card.id,
            state=card.state.value,
        )


@contextmanager
def lock_guard() -> Iterator[None]:
    """Turn a lock trigger's refusal into the same TransitionError the store gives first."""
    try:
        yield
    except sqlite3.IntegrityError as err:
        if LOCKED not in str(err):
            raise
        raise TransitionError(
            "a personalised card's data can no longer be changed; a mistake means a new card (§29)"
        ) from None


def move_card(
    tx: Transaction,
    card: StationCard,
    target: CardState,
    *,
    user_id: int | None,
    reason: str = "",
) -> None:
    """Move the card to ``target`` if its state machine allows it, recording the move."""
    move(card.state, target)  # raises TransitionError with the allowed moves
    now = tx.now()
    with lock_guard():
        tx.execute(
            "UPDATE cards SET state = ?, updated_at = ? WHERE id = ?",
            (target.value, now, card.id),
        )
    tx.execute(
        "INSERT INTO card_events (card_id, from_state, to_state, at, user_id, reason)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (card.id, card.state.value, target.value, now, user_id, reason),
    )


def card_payload(card: StationCard, **extra: object) -> dict[str, object]:
    """An outbox payload naming the card by ids and numbers, never by a person's name."""
    return {
        "card_id": card.id,
        "pupil_id": card.pupil_id,
        "registry_id": card.registry_id,
        **extra,
    }
