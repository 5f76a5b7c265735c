"""Enrolment in a club group (the registry's three steps), its funding marks and deregistration.

Each write takes an open transaction, checks everything before it writes a row (an
``InputError`` names the form field in ``where`` when there is one), writes, and emits its
outbox event; the caller adds the audit row in the same transaction. Payloads carry ids
(``pupil_id`` and the registry's ``registry_id``), never a name or a personal code.

The basket (NVŠ targeted funding) is marked by one provider only: here, a pupil has at most one
basket mark per school year that is neither rejected by the registry nor ended by a departure.
It is checked before writing, and the unique index ``funding_one_basket`` guards it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from emp_edge.domain.clubs import (
    BASKET,
    CONTRACTS_FROM,
    FUNDING_KINDS,
    Contract,
    check_contract,
    check_departure,
    check_first_day,
    periods_overlap,
)
from emp_edge.domain.school import school_year_bounds
from emp_edge.errors import InputError
from emp_edge.store.outbox import Transaction, new_event_id

#: the longest reason the registry gives for a rejected mark that is kept
REGISTRY_REASON_MAX = 500


@dataclass(frozen=True)
class _Enrolment:
    """An enrolment as the writes need it: ids, period, and what the registry knows it by."""

    id: int
    pupil_id: int
    registry_id: str | None
    group_id: int
    group_name: str
    school_year: int
    ktprr_code: str
    first_day: date
    left_on: date | None

    def payload(self) -> dict[str, Any]:
        return {
            "enrolment_id": self.id,
            "pupil_id": self.pupil_id,
            "registry_id": self.registry_id,
            "group_id": self.group_id,
            "ktprr_code": self.ktprr_code,
            "school_year": self.school_year,
        }


def _enrolment(conn: sqlite3.Connection, enrolment_id: int) -> _Enrolment:
    row = conn.execute(
        "SELECT e.id, e.pupil_id, p.registry_id, g.id, g.name, g.school_year, pr.ktprr_code,"
        " e.first_day, e.left_on FROM enrolments e JOIN pupils p ON p.id = e.pupil_id"
        " JOIN club_groups g ON g.id = e.group_id JOIN programmes pr ON pr.id = g.programme_id"
        " WHERE e.id = ?",
        (enrolment_id,),
    ).fetchone()
    if row is None:
        raise InputError("there is no enrolment number {number}", number=enrolment_id)
    return _Enrolment(
        id=int(row[0]),
        pupil_id=int(row[1]),
        registry_id=row[2],
        group_id=int(row[3]),
        group_name=str(row[4]),
        school_year=int(row[5]),
        ktprr_code=str(row[6]),
        first_day=date.fromisoformat(row[7]),
        left_on=date.fromisoformat(row[8]) if row[8] else None,
    )


# ---------------------------------------------------------------- enrolment (steps 2 and 3)


def enrol(
    tx: Transaction, pupil_id: int, group_id: int, first_day: date, contract: Contract
) -> int:
    """Enrol a pupil in a group from ``first_day`` with the contract; returns the enrolment id.

    Refused: a first day outside the group's school year, a contract missing (arrivals from
    2012-09-01) or given for an earlier arrival, a pupil who has left the school, and a second
    enrolment in the same group whose period overlaps one the pupil has (after a departure the
    pupil may come back).
    """
    group = tx.execute(
        "SELECT g.school_year, p.ktprr_code FROM club_groups g"
        " JOIN programmes p ON p.id = g.programme_id WHERE g.id = ?",
        (group_id,),
    ).fetchone()
    if group is None:
        raise InputError("choose the group from the list", where="group")
    school_year, ktprr_code = int(group[0]), str(group[1])
    try:
        check_first_day(first_day, school_year)
    except InputError as err:
        raise InputError(err.template, where="first_day", **err.params) from None
    check_contract(first_day, contract)
    if first_day < CONTRACTS_FROM and not contract.empty:
        raise InputError(
            "a contract is recorded only for arrivals from 2012-09-01: leave the contract empty"
        )
    pupil = tx.execute(
        "SELECT registry_id, active FROM pupils WHERE id = ?", (pupil_id,)
    ).fetchone()
    if pupil is None:
        raise InputError("there is no pupil number {number}", number=pupil_id)
    if not pupil[1]:
        raise InputError("the pupil has left the school and cannot be enrolled")
    _refuse_overlap(tx.conn, pupil_id, group_id, first_day)
    has_contract = not contract.empty
    cursor = tx.execute(
        "INSERT INTO enrolments (pupil_id, group_id, first_day, contract_type, contract_date,"
        " contract_number, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            pupil_id,
            group_id,
            first_day.isoformat(),
            contract.type if has_contract else None,
            contract.signed_on.isoformat() if contract.signed_on else None,
            contract.number.strip() if has_contract else None,
            tx.now(),
        ),
    )
    enrolment_id = int(cursor.lastrowid or 0)
    tx.emit(
        "nvs.enrolment.registered",
        {
            "enrolment_id": enrolment_id,
            "pupil_id": pupil_id,
            "registry_id": pupil[0],
            "group_id": group_id,
            "ktprr_code": ktprr_code,
            "school_year": school_year,
            "first_day": first_day.isoformat(),
            "contract": {
                "type": contract.type,
                "date": contract.signed_on.isoformat() if contract.signed_on else None,
                "number": contract.number.strip(),
            }
            if has_contract
            else None,
        },
    )
    return enrolment_id


def _refuse_overlap(
    conn: sqlite3.Connection, pupil_id: int, group_id: int, first_day: date
) -> None:
    rows = conn.execute(
        "SELECT first_day, left_on FROM enrolments WHERE pupil_id = ? AND group_id = ?"
        " ORDER BY first_day",
        (pupil_id, group_id),
    )
    for first, left in rows:
        other_first = date.fromisoformat(first)
        other_left = date.fromisoformat(left) if left else None
        if not periods_overlap(first_day, None, other_first, other_left):
            continue
        if other_left is None:
            raise InputError(
                "the pupil is already in this group from {first}",
                where="group",
                first=other_first.isoformat(),
            )
        raise InputError(
            "the pupil was in this group from {first} until {left}: a new first day must be"
            " {left} or later",
            where="first_day",
            first=other_first.isoformat(),
            left=other_left.isoformat(),
        )


# ---------------------------------------------------------------- deregistration


def deregister(
    tx: Transaction, enrolment_id: int, left_on: date, order_number: str, reason: str
) -> None:
    """The pupil leaves the group's lists from ``left_on``; the row and its marks stay, ended.

    Refused: a departure before the first day or later than the day after the school year's
    last day, a reason not in the list, an order number too long, a second deregistration.
    """
    found = _enrolment(tx.conn, enrolment_id)
    if found.left_on is not None:
        raise InputError(
            "the pupil already left this group on {left}", left=found.left_on.isoformat()
        )
    check_departure(found.first_day, left_on, reason, order_number)
    _, year_ends = school_year_bounds(found.school_year)
    if left_on > year_ends + timedelta(days=1):
        raise InputError(
            "the departure date {left} is after the school year ends ({ends})",
            where="left_on",
            left=left_on.isoformat(),
            ends=year_ends.isoformat(),
        )
    order = order_number.strip()
    tx.execute(
        "UPDATE enrolments SET left_on = ?, departure_order = ?, departure_reason = ? WHERE id = ?",
        (left_on.isoformat(), order or None, reason, enrolment_id),
    )
    tx.execute(
        "UPDATE funding_marks SET ended_on = ? WHERE enrolment_id = ?",
        (left_on.isoformat(), enrolment_id),
    )
    tx.emit(
        "nvs.enrolment.deregistered",
        {
            **found.payload(),
            "left_on": left_on.isoformat(),
            "order_number": order or None,
            "reason": reason,
        },
    )


# ---------------------------------------------------------------- funding marks


@dataclass(frozen=True)
class FundingChange:
    """What ``set_funding`` did: the kinds marked and unmarked, in the registry's order."""

    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def nothing(self) -> bool:
        return not self.added and not self.removed


def set_funding(tx: Transaction, enrolment_id: int, kinds: Collection[str]) -> FundingChange:
    """Make the enrolment's funding marks exactly ``kinds``: one event per mark added or removed.

    Refused, before anything is written: an unknown kind; any change to the marks of a
    deregistered enrolment (it takes no new marks, and its old ones are its history); the
    basket when the pupil's basket of that school year is already marked on another enrolment
    (neither rejected by the registry nor ended).
    """
    for kind in kinds:
        if kind not in FUNDING_KINDS:
            raise InputError("{kind!r} is not a kind of NVŠ funding", where="kinds", kind=kind)
    found = _enrolment(tx.conn, enrolment_id)
    current = {
        row[0]: row[1]
        for row in tx.execute(
            "SELECT kind, event_id FROM funding_marks WHERE enrolment_id = ?", (enrolment_id,)
        )
    }
    added = tuple(kind for kind in FUNDING_KINDS if kind in kinds and kind not in current)
    removed = tuple(kind for kind in FUNDING_KINDS if kind in current and kind not in kinds)
    if (added or removed) and found.left_on is not None:
        if added:
            raise InputError(
                "the pupil left this group on {left}: a deregistered pupil takes no new"
                " funding marks",
                where="kinds",
                left=found.left_on.isoformat(),
            )
        raise InputError(
            "the pupil left this group on {left}: its funding marks are kept as they were",
            where="kinds",
            left=found.left_on.isoformat(),
        )
    if BASKET in added:
        _check_basket(tx.conn, found)
    for kind in removed:
        tx.execute(
            "DELETE FROM funding_marks WHERE enrolment_id = ? AND kind = ?", (enrolment_id, kind)
        )
        tx.emit(
            "nvs.funding.unmarked",
            {**found.payload(), "kind": kind, "marked_event_id": current[kind]},
        )
    for kind in added:
        event_id = new_event_id()
        try:
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, pupil_id, school_year, event_id,"
                " marked_at) VALUES (?, ?, ?, ?, ?, ?)",
                (enrolment_id, kind, found.pupil_id, found.school_year, event_id, tx.now()),
            )
        except sqlite3.IntegrityError as err:
            if kind != BASKET or "funding_marks.pupil_id" not in str(err):
                raise
            # the unique index funding_one_basket: the second guard of the same rule
            raise _basket_taken(found, _basket_holder(tx.conn, found)) from None
        tx.emit("nvs.funding.marked", {**found.payload(), "kind": kind}, event_id=event_id)
    return FundingChange(added, removed)


def unmark(tx: Transaction, enrolment_id: int, kind: str) -> FundingChange:
    """Remove one funding mark (a rejected one, say), keeping the others as they are."""
    marked = {
        row[0]
        for row in tx.execute(
            "SELECT kind FROM funding_marks WHERE enrolment_id = ?", (enrolment_id,)
        )
    }
    return set_funding(tx, enrolment_id, marked - {kind})


def _basket_holder(conn: sqlite3.Connection, found: _Enrolment) -> tuple[str, str] | None:
    """The group and programme of the pupil's other basket mark of that school year, if any."""
    other = conn.execute(
        "SELECT g.name, p.name FROM funding_marks f JOIN enrolments e ON e.id = f.enrolment_id"
        " JOIN club_groups g ON g.id = e.group_id JOIN programmes p ON p.id = g.programme_id"
        " WHERE f.pupil_id = ? AND f.school_year = ? AND f.kind = 'basket'"
        " AND f.state <> 'rejected' AND f.ended_on IS NULL AND f.enrolment_id <> ?",
        (found.pupil_id, found.school_year, found.id),
    ).fetchone()
    return None if other is None else (str(other[0]), str(other[1]))


def _check_basket(conn: sqlite3.Connection, found: _Enrolment) -> None:
    """Refuse the basket at once when another enrolment of the pupil holds it."""
    holder = _basket_holder(conn, found)
    if holder is not None:
        raise _basket_taken(found, holder)


def _basket_taken(found: _Enrolment, holder: tuple[str, str] | None) -> InputError:
    group, programme = holder or ("?", "?")
    return InputError(
        "the pupil's NVŠ basket for the school year {year} is already marked in the group"
        " {group} ({programme}): only one provider may mark it",
        where="kinds",
        year=f"{found.school_year}–{found.school_year + 1}",
        group=group,
        programme=programme,
    )


# ---------------------------------------------------------------- the registry's answer


def registry_answer(tx: Transaction, event_id: str, accepted: bool, reason: str) -> bool:
    """Apply the registry's verdict on the mark sent as ``event_id``; False when there is none.

    A rejected mark stays, shown with the registry's reason; a rejected basket mark no longer
    keeps the pupil's basket from being marked on another enrolment.
    """
    row = tx.execute(
        "SELECT enrolment_id FROM funding_marks WHERE event_id = ?", (event_id,)
    ).fetchone()
    if row is None:
        return False
    try:
        tx.execute(
            "UPDATE funding_marks SET state = ?, registry_reason = ? WHERE event_id = ?",
            (
                "accepted" if accepted else "rejected",
                reason.strip()[:REGISTRY_REASON_MAX],
                event_id,
            ),
        )
    except sqlite3.IntegrityError:
        # a basket mark rejected before and accepted now, while another one is marked here
        raise InputError(
            "the registry accepted basket mark {event} but the pupil's basket is marked on"
            " another enrolment here",
            event=event_id,
        ) from None
    return True
