"""The canteen's end of day: what each till did on a school day, and closing the day.

A till's day is read from what the till wrote (``till_sales`` and ``free_meals`` by the school's
date) and from the ledger rows made that day (top-ups, refunds, corrections, by their UTC moment
within the school day; ``till`` is "" for those entered on the admin pages). Per till, top-ups +
refunds + corrections − sales is the change of the ledger that day.

Closing a day sends the municipality what it pays for: one ``canteen.free_meals.daily`` event
with the day's free meals per meal type and per pupil (local id and registry id, never a name
or personal code; see docs/sync-contract.md). ``canteen_days`` remembers the closing, so a day
is closed once only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

from emp_edge.domain.clock import Clock
from emp_edge.errors import InputError
from emp_edge.store.audit import Entry, record
from emp_edge.store.canteen_lists import day_bounds
from emp_edge.store.database import Store
from emp_edge.store.outbox import Transaction

FREE_MEALS_DAILY: Final = "canteen.free_meals.daily"
"""The outbox event type of a closed day (docs/sync-contract.md)."""
SCHOOL_TIME_ZONE: Final = ZoneInfo("Europe/Vilnius")
"""The settings' default time zone; callers that have the settings pass ``settings.tz``."""
ALL_TILLS: Final = "*"
"""The ``till`` of the totals row."""


@dataclass(frozen=True)
class TillDay:
    """One till's school day; sums in cents, sales positive, corrections signed."""

    till: str  # "" for entries made on the admin pages
    day: date
    free_meals: dict[str, int]  # meal type code -> free servings
    sales: int  # paid sales
    sales_cents: int
    top_ups: int
    top_ups_cents: int
    refunds: int
    refunds_cents: int
    corrections: int
    corrections_cents: int

    @property
    def net_cents(self) -> int:
        """How much this till's day changed the prepaid balances."""
        return self.top_ups_cents + self.refunds_cents + self.corrections_cents - self.sales_cents

    @property
    def free_total(self) -> int:
        return sum(self.free_meals.values())


@dataclass(frozen=True)
class PupilDay:
    """One pupil's share of one till's day: the rows a till's day is summed from."""

    pupil_id: int
    part: TillDay


def _empty(till: str, day: date) -> TillDay:
    return TillDay(till, day, {}, 0, 0, 0, 0, 0, 0, 0, 0)


def _add(a: TillDay, b: TillDay) -> TillDay:
    meals = dict(a.free_meals)
    for code, count in b.free_meals.items():
        meals[code] = meals.get(code, 0) + count
    return replace(
        a,
        free_meals=meals,
        sales=a.sales + b.sales,
        sales_cents=a.sales_cents + b.sales_cents,
        top_ups=a.top_ups + b.top_ups,
        top_ups_cents=a.top_ups_cents + b.top_ups_cents,
        refunds=a.refunds + b.refunds,
        refunds_cents=a.refunds_cents + b.refunds_cents,
        corrections=a.corrections + b.corrections,
        corrections_cents=a.corrections_cents + b.corrections_cents,
    )


def _moved(part: TillDay, kind: str, count: int, cents: int) -> TillDay:
    if kind == "topup":
        return replace(part, top_ups=count, top_ups_cents=cents)
    if kind == "refund":
        return replace(part, refunds=count, refunds_cents=cents)
    return replace(part, corrections=count, corrections_cents=cents)


def pupil_days(
    conn: sqlite3.Connection, day: date, tz: tzinfo = SCHOOL_TIME_ZONE
) -> list[PupilDay]:
    """Each pupil's activity at each till on ``day``, by till and pupil."""
    on = day.isoformat()
    parts: dict[tuple[str, int], TillDay] = {}

    def put(till: str, pupil: int, part: TillDay) -> None:
        key = (till, pupil)
        parts[key] = _add(parts.get(key, _empty(till, day)), part)

    for till, pupil, meal, count in conn.execute(
        "SELECT s.till, f.pupil_id, f.meal_type, count(*) FROM free_meals f"
        " JOIN till_sales s ON s.id = f.sale_id WHERE f.day = ? GROUP BY 1, 2, 3",
        (on,),
    ):
        put(till, int(pupil), replace(_empty(till, day), free_meals={meal: int(count)}))
    for till, pupil, count, cents in conn.execute(
        "SELECT till, pupil_id, count(*), sum(paid_cents) FROM till_sales"
        " WHERE day = ? AND paid_cents > 0 GROUP BY 1, 2",
        (on,),
    ):
        put(till, int(pupil), replace(_empty(till, day), sales=int(count), sales_cents=int(cents)))
    since, before = day_bounds(day, tz)
    for till, pupil, kind, count, cents in conn.execute(
        "SELECT till, pupil_id, kind, count(*), sum(amount_cents) FROM ledger"
        " WHERE at >= ? AND at < ? AND kind IN ('topup', 'refund', 'correction')"
        " GROUP BY 1, 2, 3",
        (since, before),
    ):
        put(till, int(pupil), _moved(_empty(till, day), kind, int(count), int(cents)))
    return [PupilDay(pupil, parts[till, pupil]) for till, pupil in sorted(parts)]


def day_report(conn: sqlite3.Connection, day: date, tz: tzinfo = SCHOOL_TIME_ZONE) -> list[TillDay]:
    """One row per till with any activity on ``day``, ordered by till ("" first)."""
    tills: dict[str, TillDay] = {}
    for pupil_day in pupil_days(conn, day, tz):
        till = pupil_day.part.till
        tills[till] = _add(tills.get(till, _empty(till, day)), pupil_day.part)
    return [tills[till] for till in sorted(tills)]


def totals(report: Iterable[TillDay], day: date) -> TillDay:
    """All tills of a day added up; its ``till`` is ``ALL_TILLS``."""
    total = _empty(ALL_TILLS, day)
    for till_day in report:
        total = _add(total, replace(till_day, till=ALL_TILLS))
    return total


# ---------------------------------------------------------------- closing the day


@dataclass(frozen=True)
class ClosedDay:
    """A closed day and how its event fares with the registry."""

    day: date
    closed_at: str  # UTC ISO
    event_id: str
    sent_at: str | None = None  # when the registry acknowledged it
    rejected_reason: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class ServedFree:
    """One pupil's free meals of a day, as the event names them."""

    pupil_id: int
    registry_id: str | None
    meal_types: list[str] = field(default_factory=list)


def closed_day(conn: sqlite3.Connection, day: date) -> ClosedDay | None:
    row = conn.execute(
        "SELECT d.closed_at, d.event_id, o.acked_at, o.rejected_reason, o.last_error"
        " FROM canteen_days d LEFT JOIN outbox o ON o.event_id = d.event_id WHERE d.day = ?",
        (day.isoformat(),),
    ).fetchone()
    return None if row is None else ClosedDay(day, *row)


def free_meal_totals(conn: sqlite3.Connection, day: date) -> dict[str, int]:
    """Meal type → free servings on ``day``, in the order of the day."""
    rows = conn.execute(
        "SELECT f.meal_type, count(*) FROM free_meals f"
        " LEFT JOIN meal_types m ON m.code = f.meal_type WHERE f.day = ?"
        " GROUP BY f.meal_type ORDER BY min(m.serves_from), f.meal_type",
        (day.isoformat(),),
    )
    return {meal: int(count) for meal, count in rows}


def served_free(conn: sqlite3.Connection, day: date) -> list[ServedFree]:
    """Who had which free meals on ``day``, by pupil id."""
    pupils: dict[int, ServedFree] = {}
    for pupil_id, registry_id, meal in conn.execute(
        "SELECT f.pupil_id, p.registry_id, f.meal_type FROM free_meals f"
        " JOIN pupils p ON p.id = f.pupil_id LEFT JOIN meal_types m ON m.code = f.meal_type"
        " WHERE f.day = ? ORDER BY f.pupil_id, m.serves_from, f.meal_type",
        (day.isoformat(),),
    ):
        pupils.setdefault(pupil_id, ServedFree(int(pupil_id), registry_id)).meal_types.append(meal)
    return list(pupils.values())


def serving_ends(conn: sqlite3.Connection) -> time | None:
    """When the last meal of the day stops being served (None: no meal types)."""
    row = conn.execute("SELECT max(serves_until) FROM meal_types").fetchone()
    return time.fromisoformat(row[0]) if row and row[0] else None


def day_is_over(conn: sqlite3.Connection, day: date, now: datetime) -> bool:
    """True for a day before ``now``'s date, and for today once the last meal is served."""
    today = now.date()
    if day != today:
        return day < today
    ends = serving_ends(conn)
    return ends is None or now.time().replace(tzinfo=None) >= ends


def daily_payload(conn: sqlite3.Connection, day: date, school_code: str) -> dict[str, Any]:
    """The ``canteen.free_meals.daily`` event of ``day`` (fields in docs/sync-contract.md)."""
    return {
        "day": day.isoformat(),
        "school_code": school_code,
        "totals": free_meal_totals(conn, day),
        "pupils": [
            {"pupil_id": p.pupil_id, "registry_id": p.registry_id, "meal_types": p.meal_types}
            for p in served_free(conn, day)
        ],
    }


def close_day(
    tx: Transaction, day: date, school_code: str, *, tz: tzinfo = SCHOOL_TIME_ZONE
) -> ClosedDay | None:
    """Close ``day``: its free-meal event goes to the outbox. None when it was closed already
    (nothing is written); refused while the day is not over."""
    if closed_day(tx.conn, day) is not None:
        return None
    now = tx.clock.now().astimezone(tz)
    if not day_is_over(tx.conn, day, now):
        if day > now.date():
            raise InputError("{day} is still to come: a day is closed once it is over",
                             day=day.isoformat())  # fmt: skip
        ends = serving_ends(tx.conn)
        raise InputError(
            "{day} is not over yet: it can be closed after the last meal, at {time}",
            day=day.isoformat(),
            time=ends.strftime("%H:%M") if ends else "",
        )
    event_id = tx.emit(FREE_MEALS_DAILY, daily_payload(tx.conn, day, school_code))
    closed_at = tx.now()
    tx.execute(
        "INSERT INTO canteen_days (day, closed_at, event_id) VALUES (?, ?, ?)",
        (day.isoformat(), closed_at, event_id),
    )
    return ClosedDay(day, closed_at, event_id)


def open_days(conn: sqlite3.Connection, until: date) -> list[date]:
    """Days up to ``until`` with free meals that are not closed yet, oldest first."""
    rows = conn.execute(
        "SELECT DISTINCT day FROM free_meals WHERE day <= ?"
        " AND day NOT IN (SELECT day FROM canteen_days) ORDER BY day",
        (until.isoformat(),),
    )
    return [date.fromisoformat(day) for (day,) in rows]


def close_open_days(
    store: Store, clock: Clock, tz: tzinfo, school_code: str, *, actor: str = "schedule"
) -> list[date]:
    """Close every day that is over, has free meals and is not closed yet, one transaction each;
    returns the days closed now."""
    now = clock.now().astimezone(tz)
    closed: list[date] = []
    for day in open_days(store.conn, now.date()):
        if not day_is_over(store.conn, day, now):
            continue
        with store.transaction() as tx:
            if close_day(tx, day, school_code, tz=tz) is not None:
                record(
                    tx, Entry(actor, "canteen.day_closed", f"day:{day.isoformat()}", source=actor)
                )
                closed.append(day)
    return closed
