"""A small school on a real SQLite file for the terminal tests: pupils with issued chip cards.

Imported as ``from school_cards import …`` (pytest puts this folder on the path).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from emp_edge.domain.school import SchoolClass
from emp_edge.domain.taps import CardRecord
from emp_edge.store import Store
from emp_edge.store.schools import ensure_class, ensure_school
from emp_edge.terminal.authenticity import CardKeys
from emp_edge.terminal.desfire.card import EmulatedDesfireCard, school_card

SCHOOL_CODE = "190000000"
KEYS = CardKeys(
    bytes.fromhex("00112233445566778899AABBCCDDEEFF"), bytes.fromhex("F5EE01"), SCHOOL_CODE
)


@dataclass(frozen=True)
class OnFile:
    """A card on file: its chip UID and the record the card station wrote on the chip."""

    card_id: int
    pupil_id: int
    uid: bytes
    record: CardRecord

    def chip(self, keys: CardKeys = KEYS) -> EmulatedDesfireCard:
        return school_card(self.uid, keys, self.record)


def add_pupil(
    store: Store, first: str, last: str, label: str = "5b", *, active: bool = True
) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL_CODE, "Šaltinio progimnazija")
        grade, letter = int(label[:-1]), label[-1]
        class_id = ensure_class(tx, school, 2026, SchoolClass(grade, letter))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id, active,"
            " created_at, updated_at) VALUES (?, ?, ?, '2015-03-04', ?, ?, ?, ?)",
            (school, first, last, class_id, int(active), now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def add_card(
    store: Store,
    pupil_id: int,
    uid_hex: str,
    *,
    state: str = "issued",
    valid_until: date = date(2029, 8, 31),
    counter: int = 1,
) -> OnFile:
    with store.transaction() as tx:
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
            " valid_until, issue_counter, created_at, updated_at)"
            " VALUES (?, ?, '2026-09-01', 'pupil', ?, ?, ?, ?, ?)",
            (pupil_id, state, uid_hex, valid_until.isoformat(), counter, now, now),
        )
        tx.emit("test.card_added", {})
        card_id = int(cursor.lastrowid or 0)
    record = CardRecord(card_id, pupil_id, valid_until, counter)
    return OnFile(card_id, pupil_id, bytes.fromhex(uid_hex), record)
