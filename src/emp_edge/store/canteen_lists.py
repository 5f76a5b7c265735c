"""Reading the canteen's ledger and free-meal entitlements for the canteen page.

Moments in the ledger are UTC ISO text; a school day is turned into its UTC bounds here, in the
school's time zone, so that "today" and "per day" mean the school's days.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


def day_bounds(day: date, tz: tzinfo) -> tuple[str, str]:
    """The school day as UTC ISO moments: its first moment and the first moment of the next."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class TillTotal:
    till: str  # "" when the sale named no till
    sales: int
    cents: int  # money taken: sales are written negative, this is positive


@dataclass(frozen=True)
class Sales:
    sales: int
    cents: int
    tills: list[TillTotal]


@dataclass(frozen=True)
class DayMeals:
    day: date
    meals: int


@dataclass(frozen=True)
class Entitlement:
    """A free meal a pupil is entitled to on a day."""

    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    meal_type: str
    valid_to: date | None
    source: str  # registry or staff


@dataclass(frozen=True)
class Balance:
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    cents: int


def sales_on(conn: sqlite3.Connection, day: date, tz: tzinfo) -> Sales:
    """The day's sales: how many and how much, in all and per till."""
    since, before = day_bounds(day, tz)
    rows = conn.execute(
        "SELECT till, count(*), coalesce(-sum(amount_cents), 0) FROM ledger"
        " WHERE kind = 'sale' AND at >= ? AND at < ? GROUP BY till ORDER BY till",
        (since, before),
    ).fetchall()
    tills = [TillTotal(till, int(count), int(cents)) for till, count, cents in rows]
    return Sales(sum(t.sales for t in tills), sum(t.cents for t in tills), tills)


def meals_per_day(conn: sqlite3.Connection, days: Sequence[date], tz: tzinfo) -> list[DayMeals]:
    """Meals served (till sales, free meals included) on each of ``days``, in their order."""
    if not days:
        return []
    values = ", ".join("(?, ?, ?)" for _ in days)
    params: list[str] = []
    for day in days:
        params += [day.isoformat(), *day_bounds(day, tz)]
    first, _ = day_bounds(min(days), tz)
    _, last = day_bounds(max(days), tz)
    found = dict(
        conn.execute(
            f"WITH days(day, since, before) AS (VALUES {values})"  # noqa: S608 (placeholders only)
            " SELECT d.day, count(*) FROM ledger l"
            " JOIN days d ON l.at >= d.since AND l.at < d.before"
            " WHERE l.kind = 'sale' AND l.at >= ? AND l.at < ? GROUP BY d.day",
            (*params, first, last),
        ).fetchall()
    )
    return [DayMeals(day, int(found.get(day.isoformat(), 0))) for day in days]


_VALID_ON = "m.valid_from <= :day AND (m.valid_to IS NULL OR m.valid_to >= :day) AND p.active = 1"


def entitlement_counts(conn: sqlite3.Connection, day: date) -> dict[str, int]:
    """Meal type → how many pupils are entitled to it on ``day``."""
    rows = conn.execute(
        "SELECT m.meal_type, count(DISTINCT m.pupil_id) FROM meal_entitlements m"
        " JOIN pupils p ON p.id = m.pupil_id WHERE m.valid_from <= :day"
        " AND (m.valid_to IS NULL OR m.valid_to >= :day) AND p.active = 1"
        " GROUP BY m.meal_type ORDER BY m.meal_type",
        {"day": day.isoformat()},
    )
    return {meal_type: int(count) for meal_type, count in rows}


def entitlements_on(conn: sqlite3.Connection, day: date) -> list[Entitlement]:
    """The pupils entitled to a free meal on ``day``, by class and name."""
    rows = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(k.label, ''), m.meal_type, m.valid_to,"
        " m.source FROM meal_entitlements m JOIN pupils p ON p.id = m.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id WHERE m.valid_from <= :day"
        " AND (m.valid_to IS NULL OR m.valid_to >= :day) AND p.active = 1"
        " ORDER BY k.grade, k.letter, p.last_name, p.first_name, m.meal_type",
        {"day": day.isoformat()},
    )
    return [
        Entitlement(
            int(pupil_id),
            first,
            last,
            label,
            meal_type,
            date.fromisoformat(valid_to) if valid_to else None,
            source,
        )
        for pupil_id, first, last, label, meal_type, valid_to, source in rows
    ]


def negative_balances(conn: sqlite3.Connection) -> list[Balance]:
    """Pupils whose ledger sums below zero (there should be none), lowest first."""
    rows = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(k.label, ''), b.cents"
        " FROM (SELECT pupil_id, sum(amount_cents) AS cents FROM ledger GROUP BY pupil_id"
        "       HAVING sum(amount_cents) < 0) b"
        " JOIN pupils p ON p.id = b.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
        " ORDER BY b.cents, p.last_name, p.first_name"
    )
    return [
        Balance(int(i), first, last, label, int(cents)) for i, first, last, label, cents in rows
    ]
