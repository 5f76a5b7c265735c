"""Rows of the card station written straight into a real SQLite store, to arrange a test's school:
pupils in classes, cards in any state with their printed data, photos.

They go around the store's rules on purpose (a card is written as asked, with no request, print
or issue steps): a test arranges what it needs with these, then drives the part it tests.
Imported as ``from card_rows import …`` from any test folder.
"""

from __future__ import annotations

from datetime import date

from emp_edge.domain.school import parse_class
from emp_edge.store import Store
from emp_edge.store.schools import ensure_class, ensure_school

SCHOOL_CODE = "190000000"
SCHOOL_NAME = "Šaltinio progimnazija"
SCHOOL_YEAR = 2026  # the school year of the tests' clock (2026-10-05)


def add_school_pupil(
    store: Store,
    first: str,
    last: str,
    label: str | None = "5b",
    *,
    year: int = SCHOOL_YEAR,
    active: bool = True,
    registry_id: str | None = None,
    birth_date: date = date(2015, 3, 4),
) -> int:
    """A pupil of the tests' school in class ``label`` of school year ``year`` (None: no
    class); returns the pupil's id."""
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL_CODE, SCHOOL_NAME)
        class_id = None if label is None else ensure_class(tx, school, year, parse_class(label))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, first_name, last_name, birth_date,"
            " class_id, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (school, registry_id, first, last, birth_date.isoformat(), class_id, int(active),
             now, now),
        )  # fmt: skip
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def add_class(store: Store, label: str, *, year: int = SCHOOL_YEAR) -> int:
    """A class with no pupils yet (it still tells which grades the school teaches)."""
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL_CODE, SCHOOL_NAME)
        class_id = ensure_class(tx, school, year, parse_class(label))
        tx.emit("test.class_added", {})
        return class_id


def add_issued_card(
    store: Store,
    pupil_id: int,
    *,
    issued_on: date | None = date(2026, 9, 15),
    valid_until: date | None = date(2029, 8, 31),
    state: str = "issued",
    other_entry: str | None = None,
    chip_uid: str | None = None,
) -> int:
    """A card in ``state`` with its printed data (a ``card_faces`` row copied from the pupil, and
    one "Kiti įrašai" entry when ``other_entry`` is given), a card number and, when
    ``issued_on`` is given, a registration number; returns the card's id.

    ``state="requested"`` with ``issued_on=None`` and ``valid_until=None`` makes an open request.
    """
    with store.transaction() as tx:
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, created_at,"
            " updated_at) VALUES (?, 'requested', '2026-09-01', 'pupil', ?, ?)",
            (pupil_id, now, now),
        )
        card_id = int(cursor.lastrowid or 0)
        tx.execute(
            "INSERT INTO card_faces (card_id, first_name, last_name, birth_date, school_name,"
            " school_code, checked_at, changed_at)"
            " SELECT ?, first_name, last_name, birth_date, ?, ?, ?, ? FROM pupils WHERE id = ?",
            (card_id, SCHOOL_NAME, SCHOOL_CODE, now, now, pupil_id),
        )
        if other_entry is not None:
            tx.execute(
                "INSERT INTO card_other_entries (card_id, kind, text, director_order,"
                " director_order_date) VALUES (?, 'transport_route', ?, 'V-12', '2026-09-01')",
                (card_id, other_entry),
            )
        if state != "requested":
            made = valid_until is not None or issued_on is not None
            tx.execute(
                "UPDATE cards SET state = ?, barcode = ?, valid_until = ?, issued_on = ?,"
                " registration_number = ?, chip_uid = ?, personalised_on = ?, issue_counter = 1,"
                " updated_at = ? WHERE id = ?",
                (
                    state,
                    f"{SCHOOL_CODE}{card_id:07d}" if made else None,
                    valid_until.isoformat() if valid_until else None,
                    issued_on.isoformat() if issued_on else None,
                    f"{issued_on.year}/{card_id:04d}" if issued_on else None,
                    chip_uid,
                    issued_on.isoformat() if issued_on else None,
                    now,
                    card_id,
                ),
            )
        tx.emit("test.card_added", {})
        return card_id


def add_photo(store: Store, pupil_id: int, jpeg: bytes = b"\xff\xd8 test photo \xff\xd9") -> None:
    """The pupil's checked photo (any bytes: nothing here decodes it)."""
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO pupil_photos (pupil_id, jpeg, added_at) VALUES (?, ?, ?)",
            (pupil_id, jpeg, tx.now()),
        )
