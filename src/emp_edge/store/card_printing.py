"""Personalisation at the station: a blank for each card, the print's outcome, the chip bound.

One card goes through three small transactions, so that no blank is lost from the count:

1. ``claim_blank`` checks the card is ready (data checked, photo taken, fee paid), takes a free
   blank (the one the staff name, or the lowest-numbered one received), gives the card its card
   number for the barcode (§26), its validity from the pupil's grade (§30–31) and its issue
   counter, and marks the blank used. It writes no outbox event: nothing has left the school.
2. ``settle_print`` records what the printer did with that blank: ``printed``; ``spoiled`` (the
   blank is spoiled, the card waits for a new one, free, §39); or ``not_printed`` (the job never
   reached a blank: it goes back to the stock).
3. ``personalise`` binds the chip the encoder wrote and read back, and the card is personalised:
   from then on nothing printed on it or bound to it can change (§29).

A blank claimed and never settled (the station stopped mid-card) is counted as spoiled at the
card's next claim: it may have been printed, and an unbound card is of no use.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Literal

from emp_edge.domain.card_station import blank_number, card_number
from emp_edge.domain.cards import CardState, valid_until
from emp_edge.errors import InputError
from emp_edge.store.card_faces import face, other_entries, photo
from emp_edge.store.card_moves import (
    card_payload,
    lock_guard,
    move_card,
    station_card,
    still_requested,
)
from emp_edge.store.outbox import Transaction

Outcome = Literal["printed", "spoiled", "not_printed"]


@dataclass(frozen=True)
class PrintCard:
    """Everything the printer and the encoder need for one card."""

    card_id: int
    pupil_id: int
    blank_number: str
    card_number: str  # the barcode's text
    first_name: str
    last_name: str
    birth_date: date
    school_name: str
    school_code: str
    valid_until: date
    issue_counter: int
    other_entries: tuple[tuple[str, str], ...]  # (kind, text)
    photo_jpeg: bytes


def ready_to_print(conn: sqlite3.Connection, card_id: int) -> list[str]:
    """Why the card cannot be printed yet, in English templates; empty when it is ready."""
    card = station_card(conn, card_id)
    missing: list[str] = []
    if card.state is not CardState.REQUESTED:
        missing.append("the card is not waiting to be printed")
        return missing
    data = face(conn, card.id)
    if data is None or not data.checked:
        missing.append("the card's data have not been checked")
    if photo(conn, card.pupil_id) is None:
        missing.append("there is no photo")
    if card.fee_cents and card.paid_on is None:
        missing.append("the replacement fee is not paid yet")
    return missing


def free_blanks(conn: sqlite3.Connection, limit: int) -> list[str]:
    """The lowest-numbered blanks received and not used yet."""
    rows = conn.execute(
        "SELECT blank_number FROM blanks WHERE state = 'received'"
        " ORDER BY length(blank_number), blank_number LIMIT ?",
        (limit,),
    )
    return [str(row[0]) for row in rows]


def next_free_blank(conn: sqlite3.Connection, after: str | None) -> str | None:
    """The lowest-numbered free blank after ``after`` (the next in the printer's stack), or the
    lowest of all when ``after`` is None; None when there is none."""
    if after is None:
        found = free_blanks(conn, 1)
        return found[0] if found else None
    row = conn.execute(
        "SELECT blank_number FROM blanks WHERE state = 'received' AND (length(blank_number) > ?"
        " OR (length(blank_number) = ? AND blank_number > ?))"
        " ORDER BY length(blank_number), blank_number LIMIT 1",
        (len(after), len(after), after.upper()),
    ).fetchone()
    return None if row is None else str(row[0])


def _blank(conn: sqlite3.Connection, number: str | None) -> tuple[int, str]:
    if number is None:
        row = conn.execute(
            "SELECT id, blank_number FROM blanks WHERE state = 'received'"
            " ORDER BY length(blank_number), blank_number LIMIT 1"
        ).fetchone()
        if row is None:
            raise InputError("there are no blanks left: record a delivery first", where="blank")
        return int(row[0]), str(row[1])
    wanted = blank_number(number, where="blank")
    row = conn.execute(
        "SELECT id, state FROM blanks WHERE upper(blank_number) = ?", (wanted,)
    ).fetchone()
    if row is None:
        raise InputError("blank {number} was never received", where="blank", number=wanted)
    if row[1] != "received":
        raise InputError(
            "blank {number} is already {state}: load the next free blank",
            where="blank",
            number=wanted,
            state=row[1],
        )
    return int(row[0]), wanted


def check_free_blank(conn: sqlite3.Connection, number: str) -> str:
    """The blank number as stored, when that blank was received and is not used yet; else the
    InputError ``claim_blank`` would raise (``where="blank"``)."""
    return _blank(conn, number)[1]


def _unsettled(conn: sqlite3.Connection, blank_id: int | None) -> bool:
    if blank_id is None:
        return False
    return (
        conn.execute("SELECT 1 FROM blank_uses WHERE blank_id = ?", (blank_id,)).fetchone() is None
    )


def claim_blank(
    tx: Transaction,
    card_id: int,
    *,
    blank: str | None = None,
    today: date,
    user_id: int | None,
) -> PrintCard:
    """Take a blank for the card and give it its numbers; see the module's step 1."""
    conn = tx.conn
    card = station_card(conn, card_id)
    still_requested(card)
    missing = ready_to_print(conn, card.id)
    if missing:
        raise InputError(
            "card {number} cannot be printed yet: {why}", number=card.id, why="; ".join(missing)
        )
    if _unsettled(conn, card.blank_id):
        assert card.blank_id is not None
        _spoil(tx, card.id, card.blank_id, "printing was interrupted", user_id)
    blank_id, number = _blank(conn, blank)
    data = face(conn, card.id)
    assert data is not None
    grade = conn.execute(
        "SELECT k.grade FROM pupils p JOIN classes k ON k.id = p.class_id WHERE p.id = ?",
        (card.pupil_id,),
    ).fetchone()
    if grade is None:
        raise InputError("the pupil is in no class: the validity comes from the grade (§30)")
    last_day = valid_until(int(grade[0]), today)
    counter = card.issue_counter or 1 + int(
        conn.execute(
            "SELECT count(*) FROM cards WHERE pupil_id = ? AND id <> ? AND barcode IS NOT NULL",
            (card.pupil_id, card.id),
        ).fetchone()[0]
    )
    number_on_card = card_number(data.school_code, card.id)
    now = tx.now()
    tx.execute("UPDATE blanks SET state = 'used', changed_at = ? WHERE id = ?", (now, blank_id))
    with lock_guard():
        tx.execute(
            "UPDATE cards SET blank_id = ?, barcode = ?, valid_until = ?, grade_at_issue = ?,"
            " issue_counter = ?, updated_at = ? WHERE id = ?",
            (blank_id, number_on_card, last_day.isoformat(), int(grade[0]), counter, now, card.id),
        )
    jpeg = photo(conn, card.pupil_id)
    assert jpeg is not None
    return PrintCard(
        card_id=card.id,
        pupil_id=card.pupil_id,
        blank_number=number,
        card_number=number_on_card,
        first_name=data.first_name,
        last_name=data.last_name,
        birth_date=data.birth_date,
        school_name=data.school_name,
        school_code=data.school_code,
        valid_until=last_day,
        issue_counter=counter,
        other_entries=tuple((e.kind, e.text) for e in other_entries(conn, card.id)),
        photo_jpeg=jpeg,
    )


def _spoil(tx: Transaction, card_id: int, blank_id: int, reason: str, user_id: int | None) -> None:
    now = tx.now()
    tx.execute(
        "UPDATE blanks SET state = 'spoiled', changed_at = ?, note = ? WHERE id = ?",
        (now, reason[:200], blank_id),
    )
    tx.execute(
        "INSERT INTO blank_uses (blank_id, card_id, outcome, reason, at, user_id)"
        " VALUES (?, ?, 'spoiled', ?, ?, ?) ON CONFLICT (blank_id) DO UPDATE SET"
        " outcome = 'spoiled', reason = excluded.reason, at = excluded.at,"
        " user_id = excluded.user_id",
        (blank_id, card_id, reason[:200], now, user_id),
    )
    with lock_guard():
        tx.execute("UPDATE cards SET blank_id = NULL, updated_at = ? WHERE id = ?", (now, card_id))
    number = tx.execute("SELECT blank_number FROM blanks WHERE id = ?", (blank_id,)).fetchone()[0]
    tx.emit("blank.spoiled", {"blank_number": number, "card_id": card_id, "reason": reason[:200]})


def settle_print(
    tx: Transaction,
    card_id: int,
    outcome: Outcome,
    *,
    reason: str = "",
    user_id: int | None,
) -> None:
    """Record what became of the card's claimed blank; see the module's step 2.

    ``spoiled`` also serves a blank that printed but whose chip could not be written.
    """
    card = station_card(tx.conn, card_id)
    still_requested(card)
    if card.blank_id is None:
        raise InputError("card {number} has no blank in the printer", number=card.id)
    if outcome == "spoiled":
        _spoil(tx, card.id, card.blank_id, reason or "spoiled in printing", user_id)
    elif outcome == "printed":
        if not _unsettled(tx.conn, card.blank_id):
            raise InputError("the print of card {number} is already recorded", number=card.id)
        tx.execute(
            "INSERT INTO blank_uses (blank_id, card_id, outcome, reason, at, user_id)"
            " VALUES (?, ?, 'printed', '', ?, ?)",
            (card.blank_id, card.id, tx.now(), user_id),
        )
    else:
        if not _unsettled(tx.conn, card.blank_id):
            raise InputError("the print of card {number} is already recorded", number=card.id)
        now = tx.now()
        tx.execute(
            "UPDATE blanks SET state = 'received', changed_at = ? WHERE id = ?",
            (now, card.blank_id),
        )
        with lock_guard():
            tx.execute(
                "UPDATE cards SET blank_id = NULL, updated_at = ? WHERE id = ?", (now, card.id)
            )


def personalise(tx: Transaction, card_id: int, chip_uid: str, *, user_id: int | None) -> None:
    """Bind the written and verified chip; the card is personalised and locked (§28–29)."""
    card = station_card(tx.conn, card_id)
    still_requested(card)
    uid = chip_uid.strip().upper()
    if not uid or len(uid) % 2 or any(c not in "0123456789ABCDEF" for c in uid):
        raise InputError("the chip UID must be hex digits", where="chip_uid")
    printed = tx.execute(
        "SELECT 1 FROM blank_uses WHERE blank_id = ? AND card_id = ? AND outcome = 'printed'",
        (card.blank_id, card.id),
    ).fetchone()
    if printed is None:
        raise InputError("card {number} is not printed yet", number=card.id)
    other = tx.execute("SELECT id FROM cards WHERE chip_uid = ?", (uid,)).fetchone()
    if other is not None:
        raise InputError(
            "this chip is already bound to card {number}", where="chip_uid", number=other[0]
        )
    today = tx.clock.today().isoformat()
    tx.execute(
        "UPDATE cards SET chip_uid = ?, personalised_on = ?, updated_at = ? WHERE id = ?",
        (uid, today, tx.now(), card.id),
    )
    move_card(tx, card, CardState.PERSONALISED, user_id=user_id)
    blank = tx.execute("SELECT blank_number FROM blanks WHERE id = ?", (card.blank_id,)).fetchone()
    tx.emit(
        "card.personalised",
        card_payload(
            card,
            card_number=card.barcode,
            blank_number=blank[0],
            valid_until=card.valid_until,
            issue_counter=card.issue_counter,
            personalised_on=today,
        ),
    )
