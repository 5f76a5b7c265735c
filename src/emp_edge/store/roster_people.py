"""Roster rules for classes and pupils (``store.roster_rules`` dispatches the items).

- class: matched by its registry key, else the local class of the same school year, grade and
  letter is adopted; the label is the registry's. Removed: deleted while no pupil is in it.
- pupil: matched by registry id, else a pupil imported from a class list with the same personal
  code and no registry id is adopted, else created in the box's school. The registry wins for
  personal data (names, birth date, sex, personal code when it gives one, class); the diet note
  stays local; a pupil who is the same is not touched. Removed: the pupil keeps all local history
  (ledger, meals, attendance, enrolments, cards) and becomes inactive, having left today (school
  time); the registry id stays, so a pupil added again is matched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from emp_edge.store.outbox import Transaction
from emp_edge.store.roster_items import RosterClass, RosterPupil, SkippedItem
from emp_edge.store.roster_known import NO_SCHOOL, Known, Outcome, PupilRow, SchoolClassRow

UNKNOWN_CLASS: Final = "the class is not known here"
CODE_TAKEN: Final = "the personal code belongs to another pupil here"
PLACE_TAKEN: Final = "another class here has the same school year, grade and letter"


def apply_class(tx: Transaction, known: Known, item: RosterClass) -> Outcome | SkippedItem:
    if known.school_id is None:
        return SkippedItem(item.kind, item.key, NO_SCHOOL)
    place = (item.school_year, item.grade, item.letter)
    row = known.classes.get(item.key)
    holder = known.places.get(place)
    if row is None and holder is not None and holder.key is None:
        row = holder  # a class made here from a class list: the registry's from now on
    if holder is not None and (row is None or holder.id != row.id):
        return SkippedItem(item.kind, item.key, PLACE_TAKEN)
    if row is None:
        cursor = tx.execute(
            "INSERT INTO classes (school_id, school_year, grade, letter, label, registry_key)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (known.school_id, *place, item.label, item.key),
        )
        new = SchoolClassRow(
            int(cursor.lastrowid or 0), known.school_id, *place, item.label, item.key
        )
        known.remember_class(new)
        return Outcome.CREATED
    after = replace(
        row, school_year=item.school_year, grade=item.grade, letter=item.letter,
        label=item.label, key=item.key,
    )  # fmt: skip
    if after == row:
        return Outcome.UNCHANGED
    tx.execute(
        "UPDATE classes SET school_year = ?, grade = ?, letter = ?, label = ?, registry_key = ?"
        " WHERE id = ?",
        (*place, item.label, item.key, row.id),
    )
    known.forget_class(row)
    known.remember_class(after)
    return Outcome.UPDATED


def remove_class(tx: Transaction, known: Known, key: str) -> Outcome:
    row = known.classes.get(key)
    if row is None:
        return Outcome.UNCHANGED
    used = tx.execute("SELECT EXISTS (SELECT 1 FROM pupils WHERE class_id = ?)", (row.id,))
    if used.fetchone()[0]:
        return Outcome.KEPT
    tx.execute("DELETE FROM classes WHERE id = ?", (row.id,))
    known.forget_class(row)
    return Outcome.DELETED


# ---------------------------------------------------------------- pupils


def apply_pupil(tx: Transaction, known: Known, item: RosterPupil) -> Outcome | SkippedItem:
    class_id = None
    if item.class_key is not None:
        cls = known.classes.get(item.class_key)
        if cls is None:
            return SkippedItem(item.kind, item.key, UNKNOWN_CLASS, "class_key")
        class_id = cls.id
    row = known.pupils.get(item.key)
    if row is None and item.personal_code is not None:
        local = known.codes.get(item.personal_code)
        if local is not None and local.key is None:
            row = local  # imported from a class list: the registry's pupil from now on
    code = item.personal_code
    if code is None and row is not None:
        code = row.personal_code  # not given: the code known here stays
    holder = known.codes.get(code) if code else None
    if holder is not None and (row is None or holder.id != row.id):
        return SkippedItem(item.kind, item.key, CODE_TAKEN, "personal_code")
    wanted = (
        item.key, code, item.first_name, item.last_name, item.birth_date.isoformat(), item.sex,
        class_id, 1, None,
    )  # fmt: skip
    now = tx.now()
    if row is None:
        if known.school_id is None:
            return SkippedItem(item.kind, item.key, NO_SCHOOL)
        cursor = tx.execute(
            "INSERT INTO pupils (registry_id, personal_code, first_name, last_name, birth_date,"
            " sex, class_id, active, left_on, school_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*wanted, known.school_id, now, now),
        )
        known.remember_pupil(PupilRow(int(cursor.lastrowid or 0), *wanted))
        return Outcome.CREATED
    if (row.key, row.personal_code, row.first_name, row.last_name, row.birth_date, row.sex,
            row.class_id, row.active, row.left_on) == wanted:  # fmt: skip
        return Outcome.UNCHANGED
    tx.execute(
        "UPDATE pupils SET registry_id = ?, personal_code = ?, first_name = ?, last_name = ?,"
        " birth_date = ?, sex = ?, class_id = ?, active = ?, left_on = ?, updated_at = ?"
        " WHERE id = ?",
        (*wanted, now, row.id),
    )
    known.remember_pupil(PupilRow(row.id, *wanted), before=row)
    return Outcome.UPDATED


def remove_pupil(tx: Transaction, known: Known, key: str) -> Outcome:
    """The pupil left the school upstream: inactive from today, with all history kept here."""
    row = known.pupils.get(key)
    if row is None or not row.active:
        return Outcome.UNCHANGED
    left_on = known.today.isoformat()
    tx.execute(
        "UPDATE pupils SET active = 0, left_on = ?, updated_at = ? WHERE id = ?",
        (left_on, tx.now(), row.id),
    )
    known.remember_pupil(replace(row, active=0, left_on=left_on), before=row)
    return Outcome.DELETED
