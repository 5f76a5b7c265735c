"""The end of day against the ledger: a day made through the real tills and ledger writes must
add up, per till, per pupil and in total, and its closing event must say the same."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from emp_edge.domain.clock import FixedClock
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.canteen_day_table import amount, day_table, excel_csv
from emp_edge.store.canteen_days import (
    FREE_MEALS_DAILY,
    TillDay,
    close_day,
    close_open_days,
    closed_day,
    day_report,
    pupil_days,
    totals,
)
from emp_edge.store.canteen_lists import low_balances, meal_types, meals_in_month
from store.canteen_day import (
    DAY,
    TILL_1,
    TILL_2,
    VILNIUS,
    CanteenDay,
    Tills,
    at,
    build_day,
    top_up,
)

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "sync-contract.md"


@pytest.fixture
def made(store: Store, clock: FixedClock) -> CanteenDay:
    return build_day(store, clock)


def outbox(store: Store, kind: str) -> list[dict[str, object]]:
    rows = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(payload) for (payload,) in rows]


def free_rows(store: Store, day: date) -> list[tuple[int, str, str]]:
    """(pupil, meal type, till) of every free meal written on ``day``."""
    return store.conn.execute(
        "SELECT f.pupil_id, f.meal_type, s.till FROM free_meals f"
        " JOIN till_sales s ON s.id = f.sale_id WHERE f.day = ?",
        (day.isoformat(),),
    ).fetchall()


def test_the_day_report_per_till(store: Store, made: CanteenDay) -> None:
    report = day_report(store.conn, DAY, VILNIUS)
    assert [t.till for t in report] == ["", TILL_1.name, TILL_2.name]
    admin, till_1, till_2 = report
    assert admin == TillDay("", DAY, {}, 0, 0, 3, 1300, 1, 80, 1, -50)
    assert till_1 == TillDay(
        TILL_1.name, DAY, {"breakfast": 1, "lunch": 1}, 2, 410, 0, 0, 0, 0, 0, 0
    )
    assert till_2 == TillDay(TILL_2.name, DAY, {"lunch": 1}, 2, 230, 0, 0, 0, 0, 0, 0)
    total = totals(report, DAY)
    assert total.free_meals == {"breakfast": 1, "lunch": 2}
    assert (total.sales, total.sales_cents, total.net_cents) == (4, 640, 690)


def test_the_tills_reconcile_with_the_ledger_per_pupil_and_in_total(
    store: Store, made: CanteenDay
) -> None:
    changed = {p: made.after[p] - made.before[p] for p in made.pupils}
    assert changed == {made.ona.pupil_id: 0, made.jonas.pupil_id: 720, made.ruta.pupil_id: -30}
    per_pupil: Counter[int] = Counter()
    for part in pupil_days(store.conn, DAY, VILNIUS):
        per_pupil[part.pupil_id] += part.part.net_cents
    assert {p: per_pupil[p] for p in made.pupils} == changed
    report = day_report(store.conn, DAY, VILNIUS)
    assert sum(t.net_cents for t in report) == sum(changed.values())
    # and the ledger's own rows of the day say the same
    ledger_sales = store.conn.execute(
        "SELECT count(*), -sum(amount_cents) FROM ledger WHERE kind = 'sale'"
    ).fetchone()
    assert ledger_sales == (totals(report, DAY).sales, totals(report, DAY).sales_cents)


def test_free_meals_equal_the_free_meal_rows(store: Store, made: CanteenDay) -> None:
    rows = free_rows(store, DAY)
    report = day_report(store.conn, DAY, VILNIUS)
    for till_day in report:
        wanted = Counter(meal for _, meal, till in rows if till == till_day.till)
        assert till_day.free_meals == dict(wanted)
    per_pupil: dict[int, Counter[str]] = {}
    for part in pupil_days(store.conn, DAY, VILNIUS):
        per_pupil.setdefault(part.pupil_id, Counter()).update(part.part.free_meals)
    assert {p: dict(c) for p, c in per_pupil.items() if c} == {
        made.ona.pupil_id: {"breakfast": 1, "lunch": 1},
        made.ruta.pupil_id: {"lunch": 1},
    }


def test_the_closed_days_event_counts_the_same_free_meals(
    store: Store, clock: FixedClock, made: CanteenDay
) -> None:
    with store.transaction() as tx:
        closing = close_day(tx, DAY, "190000000", tz=VILNIUS)
    assert closing is not None
    [payload] = outbox(store, FREE_MEALS_DAILY)
    assert payload["day"] == "2026-10-05"
    assert payload["school_code"] == "190000000"
    assert payload["totals"] == {"breakfast": 1, "lunch": 2}
    rows = free_rows(store, DAY)
    assert payload["pupils"] == [
        {"pupil_id": made.ona.pupil_id, "registry_id": "MR-1001",
         "meal_types": ["breakfast", "lunch"]},
        {"pupil_id": made.ruta.pupil_id, "registry_id": None, "meal_types": ["lunch"]},
    ]  # fmt: skip
    pupils = payload["pupils"]
    assert isinstance(pupils, list)
    assert {p["pupil_id"]: len(p["meal_types"]) for p in pupils} == Counter(p for p, _, _ in rows)
    assert closed_day(store.conn, DAY) == closing
    assert closing.sent_at is None
    text = json.dumps(payload, ensure_ascii=False)
    assert "Žukauskaitė" not in text
    assert "Ona" not in text


def test_a_day_is_closed_once_only(store: Store, clock: FixedClock, made: CanteenDay) -> None:
    with store.transaction() as tx:
        first = close_day(tx, DAY, "190000000", tz=VILNIUS)
    before = store.conn.total_changes
    with store.transaction() as tx:
        again = close_day(tx, DAY, "190000000", tz=VILNIUS)
    assert first is not None
    assert again is None
    assert store.conn.total_changes == before  # closing again writes nothing
    assert len(outbox(store, FREE_MEALS_DAILY)) == 1
    assert close_open_days(store, clock, VILNIUS, "190000000") == []


def test_a_day_closes_only_when_it_is_over(store: Store, clock: FixedClock) -> None:
    build_day(store, clock)
    at(clock, 16, 29)  # the afternoon meal is served until 16:30
    with pytest.raises(InputError, match=r"not over yet.*16:30"), store.transaction() as tx:
        close_day(tx, DAY, "190000000", tz=VILNIUS)
    with pytest.raises(InputError, match="still to come"), store.transaction() as tx:
        close_day(tx, DAY + timedelta(days=1), "190000000", tz=VILNIUS)
    assert outbox(store, FREE_MEALS_DAILY) == []
    assert store.conn.execute("SELECT count(*) FROM canteen_days").fetchone() == (0,)
    assert close_open_days(store, clock, VILNIUS, "190000000") == []
    at(clock, 16, 30)
    assert close_open_days(store, clock, VILNIUS, "190000000") == [DAY]
    actions = store.conn.execute("SELECT actor, action, subject FROM audit_log").fetchall()
    assert actions == [("schedule", "canteen.day_closed", "day:2026-10-05")]


def test_close_open_days_catches_up_on_every_day_with_free_meals(
    store: Store, clock: FixedClock
) -> None:
    made = build_day(store, clock)
    second = DAY + timedelta(days=2)
    at(clock, 12, 0, day=second)
    Tills(store, clock).tap(made.ona, TILL_2)
    top_up(store, made.jonas.pupil_id, 100)  # a day of top-ups only is not closed by itself
    at(clock, 9, 0, day=second + timedelta(days=1))
    assert close_open_days(store, clock, VILNIUS, "190000000") == [DAY, second]
    payloads = outbox(store, FREE_MEALS_DAILY)
    assert [p["day"] for p in payloads] == ["2026-10-05", "2026-10-07"]
    assert payloads[1]["totals"] == {"lunch": 1}
    assert close_open_days(store, clock, VILNIUS, "190000000") == []


def test_the_day_as_csv_for_excel(store: Store, made: CanteenDay) -> None:
    rows = day_table(DAY, day_report(store.conn, DAY, VILNIUS), meal_types(store.conn))
    data = excel_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "Day;Till;Free: Pusryčiai;Free: Pietūs;Free: Pavakariai;Sales;Sales, EUR;Top-ups;"
        "Top-ups, EUR;Refunds;Refunds, EUR;Corrections;Corrections, EUR;Balances changed by, EUR"
    )
    assert lines[1] == "2026-10-05;Admin pages;0;0;0;0;0,00;3;13,00;1;0,80;1;-0,50;13,30"
    assert lines[2] == "2026-10-05;valgykla-1;1;1;0;2;4,10;0;0,00;0;0,00;0;0,00;-4,10"
    assert lines[4] == "2026-10-05;All tills;1;2;0;4;6,40;3;13,00;1;0,80;1;-0,50;6,90"
    assert lines[5] == ""


def test_an_empty_day_has_the_heads_and_a_row_of_zeros(store: Store) -> None:
    rows = day_table(DAY, day_report(store.conn, DAY, VILNIUS), meal_types(store.conn))
    assert len(rows) == 2
    assert rows[1][:3] == ["2026-10-05", "All tills", "0"]


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0,00"), (5, "0,05"), (250, "2,50"), (-50, "-0,50"), (123456, "1234,56")],
)
def test_amounts_are_written_as_a_spreadsheet_reads_them(cents: int, text: str) -> None:
    assert amount(cents) == text


# ---------------------------------------------------------------- the sync contract


def documented_fields() -> tuple[set[str], set[str]]:
    """The payload fields of canteen.free_meals.daily and of its pupils' entries, as the
    contract documents them."""
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("### `canteen.free_meals.daily`", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^\| `([a-z_\[\].]+)` \|", section, flags=re.MULTILINE)
    top = {n for n in names if "." not in n}
    nested = {n.split("[].", 1)[1] for n in names if n.startswith("pupils[].")}
    return top, nested


def test_the_event_has_exactly_the_documented_fields(store: Store, made: CanteenDay) -> None:
    top, nested = documented_fields()
    assert top == {"day", "school_code", "totals", "pupils"}
    with store.transaction() as tx:
        close_day(tx, DAY, "190000000", tz=VILNIUS)
    [payload] = outbox(store, FREE_MEALS_DAILY)
    assert set(payload) == top
    pupils = payload["pupils"]
    assert isinstance(pupils, list)
    assert pupils
    for entry in pupils:
        assert set(entry) == nested
    examples = [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)```", CONTRACT.read_text(encoding="utf-8"), re.S)
    ]
    [documented] = [e for e in examples if e.get("type") == FREE_MEALS_DAILY]
    assert set(documented["payload"]) == top
    assert all(set(entry) == nested for entry in documented["payload"]["pupils"])


# ---------------------------------------------------------------- the canteen page's lists


def test_meals_per_day_over_the_month(store: Store, made: CanteenDay) -> None:
    month = meals_in_month(store.conn, DAY)
    assert [m.day for m in month] == [date(2026, 10, n) for n in range(1, 32)]
    by_day = {m.day: (m.free, m.paid) for m in month}
    # free: Ona's breakfast and lunch, Rūta's lunch; paid meals: Jonas's breakfast and lunch
    # (the juices are not meals)
    assert by_day[DAY] == (3, 2)
    assert sum(m.meals for m in month) == 5


def test_the_low_balance_list_is_lowest_first_and_leaves_out_who_never_paid_in(
    store: Store, made: CanteenDay
) -> None:
    assert low_balances(store.conn, 300) == []
    found = low_balances(store.conn, 1300)
    assert [(b.pupil_id, b.last_name, b.class_label, b.cents) for b in found] == [
        (made.ruta.pupil_id, "Ąžuolaitė", "7c", 970),
        (made.jonas.pupil_id, "Šimkus", "6a", 1220),
    ]  # Ona has no prepaid account: never listed
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET active = 0 WHERE id = ?", (made.ruta.pupil_id,))
        tx.emit("test.left", {})
    assert [b.pupil_id for b in low_balances(store.conn, 1300)] == [made.jonas.pupil_id]
