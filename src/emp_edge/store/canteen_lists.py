"""The canteen page's lists: meals per day over a month, free-meal entitlements, low balances.

Moments in the ledger are UTC ISO text; ``day_bounds`` turns a school day into its UTC bounds in
the school's time zone, so that "per day" means the school's days. The tills write the school's
date with each sale, so meals are counted by that date.
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


def day_bounds(day: date, tz: tzinfo) -> tuple[str, str]:
    """The school day as UTC ISO moments: its first moment and the first moment of the next."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()


def month_days(day: date) -> list[date]:
    """Every day of the month ``day`` is in."""
    last = calendar.monthrange(day.year, day.month)[1]
    return [day.replace(day=n) for n in range(1, last + 1)]


@dataclass(frozen=True)
class DayMeals:
    """Meals served on a day: free servings, and meal items sold."""

    day: date
    free: int
    paid: int

    @property
    def meals(self) -> int:
        return self.free + self.paid


def meals_in_month(conn: sqlite3.Connection, day: date) -> list[DayMeals]:
    """Each day of ``day``'s month: free meals, and paid servings of meal items (items that
    are a meal type; a roll or a drink is not a meal)."""
    days = month_days(day)
    span = (days[0].isoformat(), days[-1].isoformat())
    free = dict(
        conn.execute(
            "SELECT day, count(*) FROM free_meals WHERE day BETWEEN ? AND ? GROUP BY day", span
        ).fetchall()
    )
    paid = dict(
        conn.execute(
            "SELECT s.day, count(*) FROM till_sales s"
            " JOIN till_sale_lines l ON l.sale_id = s.id"
            " JOIN canteen_items i ON i.id = l.item_id"
            " WHERE s.day BETWEEN ? AND ? AND l.free = 0 AND i.meal_type IS NOT NULL"
            " GROUP BY s.day",
            span,
        ).fetchall()
    )
    return [
        DayMeals(d, int(free.get(d.isoformat(), 0)), int(paid.get(d.isoformat(), 0))) for d in days
    ]


@dataclass(frozen=True)
class MealType:
    code: str
    name: str  # as the school calls it


def meal_types(conn: sqlite3.Connection) -> list[MealType]:
    """The school's meal types, in the order of the day."""
    rows = conn.execute("SELECT code, name FROM meal_types ORDER BY serves_from, code")
    return [MealType(code, name) for code, name in rows]


def entitlement_counts(conn: sqlite3.Connection, day: date) -> dict[str, int]:
    """Meal type → how many pupils (still at school) are entitled to it free on ``day``."""
    rows = conn.execute(
        "SELECT m.meal_type, count(DISTINCT m.pupil_id) FROM meal_entitlements m"
        " JOIN pupils p ON p.id = m.pupil_id WHERE m.valid_from <= :day"
        " AND (m.valid_to IS NULL OR m.valid_to >= :day) AND p.active = 1"
        " GROUP BY m.meal_type ORDER BY m.meal_type",
        {"day": day.isoformat()},
    )
    return {meal_type: int(count) for meal_type, count in rows}


@dataclass(frozen=True)
class Balance:
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str
    cents: int


def low_balances(conn: sqlite3.Connection, below_cents: int) -> list[Balance]:
    """Pupils at school with a prepaid account (any ledger row) whose balance is below
    ``below_cents``, lowest first: the list the school tells parents from."""
    rows = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(k.label, ''), b.cents"
        " FROM (SELECT pupil_id, sum(amount_cents) AS cents FROM ledger GROUP BY pupil_id) b"
        " JOIN pupils p ON p.id = b.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE b.cents < ? AND p.active = 1"
        " ORDER BY b.cents, p.last_name, p.first_name, p.id",
        (below_cents,),
    )
    return [
        Balance(int(i), first, last, label, int(cents)) for i, first, last, label, cents in rows
    ]
