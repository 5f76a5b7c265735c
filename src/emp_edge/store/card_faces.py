"""What is printed on a card (§16–18): names, birth date, school, the "Kiti įrašai" entries, and
the pupil's photo, while the card is still only asked for.

The data start as the pupil's record (``card_requests``); the staff check them and may correct
them until the card is printed (§21, §27). An entry under "Kiti įrašai" needs the director's
order naming the pupil, its number and date (§18). Once the card leaves ``requested`` every
write here is refused (§29), by the store and again by the database's triggers.

The photo is kept per pupil (the till shows it too), already checked and cropped to the card's
photo box by the printer part, until the retention purge deletes it (§24).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.card_station import person_name
from emp_edge.domain.cards import OtherEntry
from emp_edge.errors import InputError
from emp_edge.store.card_moves import lock_guard, station_card, still_requested
from emp_edge.store.outbox import Transaction

SCHOOL_TEXT_MAX = 160
ORDER_MAX = 40
PHOTO_MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Face:
    """The words and dates printed on the front of the card."""

    first_name: str
    last_name: str
    birth_date: date
    school_name: str
    school_code: str
    checked: bool = False


@dataclass(frozen=True)
class OtherEntryRow:
    id: int
    kind: str
    text: str
    director_order: str
    director_order_date: date | None


def face(conn: sqlite3.Connection, card_id: int) -> Face | None:
    """The card's printed data, or None when there is none (never filled, or deleted)."""
    row = conn.execute(
        "SELECT first_name, last_name, birth_date, school_name, school_code, checked_at"
        " FROM card_faces WHERE card_id = ?",
        (card_id,),
    ).fetchone()
    if row is None:
        return None
    return Face(
        first_name=row[0],
        last_name=row[1],
        birth_date=date.fromisoformat(row[2]),
        school_name=row[3],
        school_code=row[4],
        checked=row[5] is not None,
    )


def other_entries(conn: sqlite3.Connection, card_id: int) -> list[OtherEntryRow]:
    rows = conn.execute(
        "SELECT id, kind, text, director_order, director_order_date FROM card_other_entries"
        " WHERE card_id = ? ORDER BY id",
        (card_id,),
    )
    return [
        OtherEntryRow(int(i), k, t, o, None if d is None else date.fromisoformat(d))
        for i, k, t, o, d in rows
    ]


def save_face(tx: Transaction, card_id: int, data: Face, *, user_id: int | None) -> None:
    """Correct and confirm the card's printed data (the staff's check before printing, §21)."""
    card = station_card(tx.conn, card_id)
    still_requested(card)
    first = person_name(data.first_name, where="first_name")
    last = person_name(data.last_name, where="last_name")
    school_name = " ".join(data.school_name.split())
    if not school_name or len(school_name) > SCHOOL_TEXT_MAX:
        raise InputError("the school's name is empty or too long", where="school_name")
    code = data.school_code.strip()
    if not code.isdigit() or not 5 <= len(code) <= 12:
        raise InputError(
            "the school's identification code is 5 to 12 digits, not {code!r}",
            where="school_code",
            code=code,
        )
    if not date(1990, 1, 1) <= data.birth_date <= tx.clock.today():
        raise InputError("the birth date is not possible", where="birth_date")
    with lock_guard():
        tx.execute(
            "INSERT INTO card_faces (card_id, first_name, last_name, birth_date, school_name,"
            " school_code, checked_at, checked_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (card_id) DO UPDATE SET first_name = excluded.first_name,"
            " last_name = excluded.last_name, birth_date = excluded.birth_date,"
            " school_name = excluded.school_name, school_code = excluded.school_code,"
            " checked_at = excluded.checked_at, checked_by = excluded.checked_by,"
            " changed_at = excluded.changed_at",
            (
                card.id,
                first,
                last,
                data.birth_date.isoformat(),
                school_name,
                code,
                tx.now(),
                user_id,
                tx.now(),
            ),
        )


def add_other_entry(
    tx: Transaction,
    card_id: int,
    entry: OtherEntry,
    order_date: date | None,
    *,
    user_id: int | None,
) -> int:
    """Add a "Kiti įrašai" entry; only with the director's order naming the pupil (§18)."""
    card = station_card(tx.conn, card_id)
    still_requested(card)
    if order_date is None:
        raise InputError(
            "the date of the director's order naming the pupil is missing (§18)",
            where="director_order_date",
        )
    if order_date > tx.clock.today():
        raise InputError(
            "the director's order cannot be dated in the future", where="director_order_date"
        )
    if len(entry.director_order) > ORDER_MAX:
        raise InputError("the order number is too long", where="director_order")
    if len(entry.text) > SCHOOL_TEXT_MAX:
        raise InputError(
            "the entry is longer than {limit} characters", where="text", limit=SCHOOL_TEXT_MAX
        )
    with lock_guard():
        cursor = tx.execute(
            "INSERT INTO card_other_entries (card_id, kind, text, director_order,"
            " director_order_date) VALUES (?, ?, ?, ?, ?)",
            (card.id, entry.kind.value, entry.text, entry.director_order, order_date.isoformat()),
        )
    return int(cursor.lastrowid or 0)


def remove_other_entry(tx: Transaction, card_id: int, entry_id: int) -> None:
    """Take an entry off a card that is not printed yet."""
    card = station_card(tx.conn, card_id)
    still_requested(card)
    gone = tx.execute(
        "DELETE FROM card_other_entries WHERE id = ? AND card_id = ?", (entry_id, card.id)
    ).rowcount
    if not gone:
        raise InputError("card {number} has no entry {entry}", number=card.id, entry=entry_id)


def delete_printed_data(tx: Transaction, card_id: int, reason: str, on: date) -> tuple[int, int]:
    """Delete what was printed on the card and its "Kiti įrašai" (§24, §44), and mark the card
    with the day and the reason (a reason recorded earlier is kept). Returns how many face and
    entry rows were deleted."""
    faces = tx.execute("DELETE FROM card_faces WHERE card_id = ?", (card_id,)).rowcount
    entries = tx.execute("DELETE FROM card_other_entries WHERE card_id = ?", (card_id,)).rowcount
    tx.execute(
        "UPDATE cards SET data_deleted_on = ?, data_deleted_reason = ?, updated_at = ?"
        " WHERE id = ? AND data_deleted_on IS NULL",
        (on.isoformat(), reason, tx.now(), card_id),
    )
    return faces, entries


def save_photo(tx: Transaction, pupil_id: int, jpeg: bytes) -> None:
    """Keep the pupil's checked photo (already cropped to the card's box) for the next card."""
    if not jpeg.startswith(b"\xff\xd8") or len(jpeg) > PHOTO_MAX_BYTES:
        raise InputError("the photo must be a checked JPEG of at most 2 MB", where="photo")
    open_card = tx.execute(
        "SELECT state FROM cards WHERE pupil_id = ? AND state IN ('requested', 'personalised')",
        (pupil_id,),
    ).fetchone()
    if open_card is None:
        raise InputError("a photo is taken for an open card request only", where="photo")
    if open_card[0] != "requested":
        raise InputError(
            "the pupil's card is already printed: its photo can no longer change (§29)",
            where="photo",
        )
    tx.execute(
        "INSERT INTO pupil_photos (pupil_id, jpeg, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT (pupil_id) DO UPDATE SET jpeg = excluded.jpeg, added_at = excluded.added_at",
        (pupil_id, jpeg, tx.now()),
    )


def photo(conn: sqlite3.Connection, pupil_id: int) -> bytes | None:
    row = conn.execute("SELECT jpeg FROM pupil_photos WHERE pupil_id = ?", (pupil_id,)).fetchone()
    return None if row is None else bytes(row[0])
