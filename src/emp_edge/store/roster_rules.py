"""What one roster item does to the store (``store.roster_sync`` applies a page of them).

Classes and pupils: ``store.roster_people``. Here the rest:

- meal_entitlement: a free meal from the registry, matched by its key, for a pupil known by
  registry id and a meal type the canteen has. Removed: it ends today (meals served stay), or is
  deleted when it would start after today.
- programme (key: the KTPRR code): name, purpose and directions, checked against the current NVŠ
  classifiers. Removed: deleted while no club group uses it.
- top_up: money paid centrally, appended to the canteen ledger once (bank, no user, its ledger
  event id made from the key), even above the box's own top-up limit. A top-up is never removed:
  a wrong one is put right by a correction.

Every rule writes first and updates the page's lookups (``Known``) after, so an item rolled back
to its savepoint leaves them true. An item naming a pupil or class not known here is skipped.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Final

from emp_edge.store.outbox import Transaction
from emp_edge.store.roster_items import (
    Removed,
    RosterClass,
    RosterEntitlement,
    RosterItem,
    RosterProgramme,
    RosterPupil,
    RosterTopUp,
    SkippedItem,
    Unreadable,
)
from emp_edge.store.roster_known import EntitlementRow, Known, Outcome, ProgrammeRow
from emp_edge.store.roster_people import apply_class, apply_pupil, remove_class, remove_pupil

UNKNOWN_PUPIL: Final = "the pupil is not known here"
UNKNOWN_MEAL_TYPE: Final = "there is no such meal type here"
UNKNOWN_PURPOSE: Final = "the purpose is not in the NVŠ classifier"
UNKNOWN_DIRECTION: Final = "a direction is not in the NVŠ classifier"
GROUP_DIRECTION: Final = "a club group here has a sub-direction of a direction the programme drops"
TOP_UP_STAYS: Final = "a top-up is never deleted: a correction puts it right"

TOP_UP_REASON: Final = "registry top-up"
TOP_UP_EVENT: Final = "registry-topup:"


def apply_item(tx: Transaction, known: Known, item: RosterItem) -> Outcome | SkippedItem:
    """Apply one item; what it did, or why it was skipped."""
    match item:
        case Unreadable():
            return SkippedItem(item.kind, item.key, item.reason, item.field)
        case Removed():
            return _remove(tx, known, item)
        case RosterClass():
            return apply_class(tx, known, item)
        case RosterPupil():
            return apply_pupil(tx, known, item)
        case RosterEntitlement():
            return _entitlement(tx, known, item)
        case RosterProgramme():
            return _programme(tx, known, item)
        case RosterTopUp():
            return _top_up(tx, known, item)


def _remove(tx: Transaction, known: Known, item: Removed) -> Outcome | SkippedItem:
    if item.kind == "class":
        return remove_class(tx, known, item.key)
    if item.kind == "pupil":
        return remove_pupil(tx, known, item.key)
    if item.kind == "meal_entitlement":
        return _remove_entitlement(tx, known, item.key)
    if item.kind == "programme":
        return _remove_programme(tx, known, item.key)
    return SkippedItem(item.kind, item.key, TOP_UP_STAYS)


# ---------------------------------------------------------------- free meals


def _entitlement(tx: Transaction, known: Known, item: RosterEntitlement) -> Outcome | SkippedItem:
    pupil = known.pupils.get(item.pupil_key)
    if pupil is None:
        return SkippedItem(item.kind, item.key, UNKNOWN_PUPIL, "pupil_key")
    if item.meal_type not in known.meal_types:
        return SkippedItem(item.kind, item.key, UNKNOWN_MEAL_TYPE, "meal_type")
    valid_to = item.valid_to.isoformat() if item.valid_to else None
    wanted = (pupil.id, item.meal_type, item.valid_from.isoformat(), valid_to)
    row = known.entitlements.get(item.key)
    if row is None:
        cursor = tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source,"
            " note, created_at, registry_key) VALUES (?, ?, ?, ?, 'registry', '', ?, ?)",
            (*wanted, tx.now(), item.key),
        )
        known.entitlements[item.key] = EntitlementRow(int(cursor.lastrowid or 0), item.key, *wanted)
        return Outcome.CREATED
    if (row.pupil_id, row.meal_type, row.valid_from, row.valid_to) == wanted:
        return Outcome.UNCHANGED
    tx.execute(
        "UPDATE meal_entitlements SET pupil_id = ?, meal_type = ?, valid_from = ?, valid_to = ?,"
        " source = 'registry' WHERE id = ?",
        (*wanted, row.id),
    )
    known.entitlements[item.key] = EntitlementRow(row.id, item.key, *wanted)
    return Outcome.UPDATED


def _remove_entitlement(tx: Transaction, known: Known, key: str) -> Outcome:
    """Ended today (meals served stay as they were); deleted if it was to start after today."""
    row = known.entitlements.get(key)
    if row is None:
        return Outcome.UNCHANGED
    today = known.today.isoformat()
    if row.valid_from > today:
        tx.execute("DELETE FROM meal_entitlements WHERE id = ?", (row.id,))
        del known.entitlements[key]
        return Outcome.DELETED
    if row.valid_to is not None and row.valid_to <= today:
        return Outcome.UNCHANGED
    tx.execute("UPDATE meal_entitlements SET valid_to = ? WHERE id = ?", (today, row.id))
    known.entitlements[key] = replace(row, valid_to=today)
    return Outcome.DELETED


# ---------------------------------------------------------------- NVŠ programmes


def _programme(tx: Transaction, known: Known, item: RosterProgramme) -> Outcome | SkippedItem:
    if item.purpose not in known.purposes:
        return SkippedItem(item.kind, item.key, UNKNOWN_PURPOSE, "purpose")
    if not set(item.directions) <= known.directions:
        return SkippedItem(item.kind, item.key, UNKNOWN_DIRECTION, "directions")
    directions = json.dumps(list(item.directions))
    row = known.programmes.get(item.key)
    if row is None:
        cursor = tx.execute(
            "INSERT INTO programmes (ktprr_code, name, purpose, directions) VALUES (?, ?, ?, ?)",
            (item.key, item.name, item.purpose, directions),
        )
        known.programmes[item.key] = ProgrammeRow(
            int(cursor.lastrowid or 0), item.key, item.name, item.purpose, directions
        )
        return Outcome.CREATED
    after = ProgrammeRow(row.id, item.key, item.name, item.purpose, directions)
    if after == row:
        return Outcome.UNCHANGED
    if not _groups_keep_directions(tx, row.id, item.directions):
        return SkippedItem(item.kind, item.key, GROUP_DIRECTION, "directions")
    tx.execute(
        "UPDATE programmes SET name = ?, purpose = ?, directions = ? WHERE id = ?",
        (item.name, item.purpose, directions, row.id),
    )
    known.programmes[item.key] = after
    return Outcome.UPDATED


def _groups_keep_directions(
    tx: Transaction, programme_id: int, directions: tuple[str, ...]
) -> bool:
    """Every sub-direction of the programme's groups is still under one of its directions."""
    parents = dict(
        tx.execute("SELECT code, parent FROM nvs_classifiers WHERE kind = 'sub_direction'")
    )
    rows = tx.execute(
        "SELECT sub_directions FROM club_groups WHERE programme_id = ?", (programme_id,)
    )
    return all(
        parents.get(str(code), "") in directions for (text,) in rows for code in json.loads(text)
    )


def _remove_programme(tx: Transaction, known: Known, key: str) -> Outcome:
    row = known.programmes.get(key)
    if row is None:
        return Outcome.UNCHANGED
    used = tx.execute("SELECT EXISTS (SELECT 1 FROM club_groups WHERE programme_id = ?)", (row.id,))
    if used.fetchone()[0]:
        return Outcome.KEPT
    tx.execute("DELETE FROM programmes WHERE id = ?", (row.id,))
    del known.programmes[key]
    return Outcome.DELETED


# ---------------------------------------------------------------- top-ups


def _top_up(tx: Transaction, known: Known, item: RosterTopUp) -> Outcome | SkippedItem:
    """Money already paid: recorded even above the box's own top-up limit, and only once."""
    pupil = known.pupils.get(item.pupil_key)
    if pupil is None:
        return SkippedItem(item.kind, item.key, UNKNOWN_PUPIL, "pupil_key")
    school_tz = tx.clock.now().tzinfo or UTC
    at = datetime.combine(item.paid_on, time(0), tzinfo=school_tz).astimezone(UTC)
    cursor = tx.execute(
        "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, reference, reason, user_id,"
        " event_id, method) VALUES (?, 'topup', ?, ?, '', ?, ?, NULL, ?, 'bank')"
        " ON CONFLICT (event_id) DO NOTHING",
        (
            pupil.id,
            item.amount_cents,
            at.isoformat(),
            item.reference,
            TOP_UP_REASON,
            TOP_UP_EVENT + item.key,
        ),
    )
    return Outcome.CREATED if cursor.rowcount == 1 else Outcome.UNCHANGED
