"""Next school year's demand for blanks, recomputed by hand for a small progimnazija."""

from __future__ import annotations

import math
from datetime import date

import pytest

from card_rows import add_class, add_issued_card, add_school_pupil
from emp_edge.domain.card_station import BlankDemand, blank_range, demand_due
from emp_edge.store import Store
from emp_edge.store.blank_demand import estimate
from emp_edge.store.blank_stock import receive_batch

ENDS = date(2027, 8, 31)  # the last day before school year 2027–2028 (the clock: 2026-10-05)
LATER = date(2028, 8, 31)


@pytest.fixture
def school(store: Store) -> dict[str, int]:
    """Classes 1a, 1b, 4a, 5a, 8a this year (a progimnazija: 8 is its last grade), an old 9a
    of last year, pupils and cards; the names say what each pupil is for."""
    add_class(store, "9a", year=2025)  # not a current class: it does not lift the last grade
    pupils = {}
    for n in range(3):
        pupils[f"first-a-{n}"] = add_school_pupil(store, "Pirmokas", f"Ąžuolaitis{n}", "1a")
    for n in range(2):
        pupils[f"first-b-{n}"] = add_school_pupil(store, "Pirmokė", f"Čiurlytė{n}", "1b")
    ends = pupils["ends"] = add_school_pupil(store, "Ėglė", "Šimkutė", "4a")
    add_issued_card(store, ends, issued_on=date(2023, 9, 10), valid_until=ENDS)
    later = pupils["ends-later"] = add_school_pupil(store, "Įeva", "Ūsaitė", "4a")
    add_issued_card(store, later, issued_on=date(2024, 9, 10), valid_until=LATER)
    renewed = pupils["renewed"] = add_school_pupil(store, "Žygis", "Jonaitis", "4a")
    add_issued_card(store, renewed, issued_on=date(2024, 9, 2), valid_until=ENDS, state="replaced")
    add_issued_card(store, renewed, issued_on=date(2026, 9, 15), valid_until=date(2027 + 2, 8, 31))
    left = pupils["left"] = add_school_pupil(store, "Ona", "Išvykusi", "4a", active=False)
    add_issued_card(store, left, issued_on=date(2023, 9, 10), valid_until=ENDS)
    leaves = pupils["last-grade"] = add_school_pupil(store, "Petras", "Baigiantis", "8a")
    add_issued_card(store, leaves, issued_on=date(2026, 9, 10), valid_until=ENDS)
    fifth = pupils["fifth"] = add_school_pupil(store, "Rūta", "Penktokė", "5a")
    add_issued_card(store, fifth, issued_on=date(2025, 9, 10), valid_until=ENDS, state="expired")
    pupils["no-card"] = add_school_pupil(store, "Saulius", "Bekortelis", "5a")
    with store.transaction() as tx:
        receive_batch(tx, blank_range("EMP000001", "EMP000005"), date(2026, 9, 1), "", user_id=None)
        tx.execute("UPDATE blanks SET state = 'used' WHERE blank_number = 'EMP000001'")
        tx.execute("UPDATE blanks SET state = 'spoiled' WHERE blank_number = 'EMP000002'")
    return pupils


def test_the_demand_recomputed_by_hand(store: Store, school: dict[str, int]) -> None:
    found = estimate(store.conn, store.clock.today(), 10)

    expiring = 2  # "ends" (4a → 5) and "fifth" (5a → 6): their latest card ends 2027-08-31;
    # not "ends-later" (2028), "renewed" (a newer card), "left" (inactive), "last-grade" (8 → 9)
    newcomers = 5  # 1a and 1b this year
    active = 11  # every pupil but "left"
    reserve = math.ceil(active * 10 / 100)  # 2
    in_stock = 3  # 5 received, one used, one spoiled
    assert found == BlankDemand(2027, expiring, newcomers, reserve, in_stock)
    assert found.needed == 9
    assert found.to_order == 6
    assert demand_due(store.clock.today()) == date(2026, 12, 1)


def test_a_school_teaching_the_next_grade_counts_its_last_grade_too(
    store: Store, school: dict[str, int]
) -> None:
    add_class(store, "IVa")  # a gimnazija's grade 12 this year: grade 9 is taught
    assert estimate(store.conn, store.clock.today(), 10).expiring == 3


def test_the_entry_grade_is_the_lowest_taught(store: Store) -> None:
    for n in range(4):
        add_school_pupil(store, "Penktokas", f"Naujokas{n}", "5a")
    add_school_pupil(store, "Šeštokas", "Senbuvis", "6a")
    found = estimate(store.conn, store.clock.today(), 0)
    assert (found.newcomers, found.reserve) == (4, 0)


def test_in_august_the_demand_is_for_the_year_after_next_september(
    store: Store, school: dict[str, int]
) -> None:
    # 2027-08-20 is still in school year 2026: next is 2027, and the cards that end are those
    # ending on 2027-08-31, but the classes on record are 2026's
    found = estimate(store.conn, date(2027, 8, 20), 10)
    assert (found.school_year, found.expiring) == (2027, 2)
    assert estimate(store.conn, date(2027, 9, 1), 10).school_year == 2028


def test_plenty_in_stock_orders_nothing(store: Store, school: dict[str, int]) -> None:
    with store.transaction() as tx:
        receive_batch(tx, blank_range("EMP000101", "EMP000130"), date(2026, 9, 1), "", user_id=None)
    found = estimate(store.conn, store.clock.today(), 10)
    assert found.in_stock == 33
    assert found.to_order == 0


def test_an_empty_school_needs_nothing(store: Store) -> None:
    assert estimate(store.conn, store.clock.today(), 5) == BlankDemand(2027, 0, 0, 0, 0)
