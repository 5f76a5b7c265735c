"""The canteen's pure rules: serving windows, the sale at a tap, and the ledger's checks."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.canteen import (
    MAX_ITEM_PRICE_CENTS,
    MAX_LINES,
    Item,
    LedgerKind,
    MealWindow,
    PaidBy,
    Purse,
    Sale,
    Served,
    correction,
    daily_limit,
    decide_sale,
    refund,
    top_up,
    window_at,
)
from emp_edge.domain.taps import TapReason
from emp_edge.errors import InputError

BREAKFAST = MealWindow("breakfast", "Pusryčiai", time(7, 30), time(9, 0), default_item_id=1)
LUNCH = MealWindow("lunch", "Pietūs", time(11, 0), time(14, 0), default_item_id=2)
AFTERNOON = MealWindow("afternoon", "Pavakariai", time(15, 0), time(16, 30))
SNACKS = MealWindow("snacks", "Užkandžiai", time(7, 0), time(17, 0))  # all day, around the rest
WINDOWS = (BREAKFAST, LUNCH, AFTERNOON)

PORRIDGE = Item(1, "Košė", 150, "breakfast")
CEPELINAI = Item(2, "Cepelinai", 250, "lunch")
BUN = Item(3, "Bandelė", 80)
KISIELIUS = Item(4, "Kisielius", 60, active=False)
FREE_WATER = Item(5, "Vanduo", 0)

SERVED = Served(datetime(2026, 10, 5, 9, 3, tzinfo=UTC), "valgykla-2")
RICH = Purse(balance_cents=10_000)


def sale(
    picked: list[Item], purse: Purse = RICH, window: MealWindow | None = LUNCH, overdraft: int = 0
) -> Sale:
    return decide_sale(window, picked, purse, overdraft_limit_cents=overdraft)


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("moment", "meal"),
    [
        (time(7, 29), None),
        (time(7, 30), "breakfast"),  # serves_from is included
        (time(8, 59), "breakfast"),
        (time(9, 0), None),  # serves_until is not
        (time(10, 59, 59), None),
        (time(11, 0), "lunch"),
        (time(13, 59, 59), "lunch"),
        (time(14, 0), None),
        (time(16, 29), "afternoon"),
        (time(16, 30), None),
        (time(0, 0), None),
        (time(23, 59), None),
    ],
)
def test_the_window_open_at_a_moment_and_its_edges(moment: time, meal: str | None) -> None:
    found = window_at(WINDOWS, moment)
    assert (found.code if found else None) == meal


@pytest.mark.parametrize(
    ("moment", "meal"),
    [
        (time(7, 0), "snacks"),  # only the all-day window is open yet
        (time(7, 30), "breakfast"),  # breakfast started later than snacks: breakfast wins
        (time(9, 0), "snacks"),  # breakfast is over, snacks are still served
        (time(12, 0), "lunch"),
        (time(16, 45), "snacks"),
        (time(17, 0), None),
    ],
)
def test_overlapping_windows_the_later_starting_one_wins(moment: time, meal: str | None) -> None:
    for order in ((*WINDOWS, SNACKS), (SNACKS, *WINDOWS)):  # whatever the order handed in
        found = window_at(order, moment)
        assert (found.code if found else None) == meal


clock_times = st.times().map(lambda t: t.replace(microsecond=0))


@st.composite
def windows(draw: st.DrawFn) -> MealWindow:
    start = draw(clock_times.filter(lambda t: t < time(23, 59)))
    end = draw(clock_times.filter(lambda t: t > start))
    code = draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))
    return MealWindow(code, code, start, end)


@given(st.lists(windows(), max_size=6), clock_times)
def test_window_at_is_open_and_started_last_among_the_open(
    found_in: list[MealWindow], moment: time
) -> None:
    found = window_at(found_in, moment)
    open_now = [w for w in found_in if w.serves_from <= moment < w.serves_until]
    if not open_now:
        assert found is None
        return
    assert found in open_now
    assert found is not None
    assert all(w.serves_from <= found.serves_from for w in open_now)


# ---------------------------------------------------------------- the sale at a tap


@pytest.mark.parametrize(
    ("window", "picked", "purse", "overdraft", "reason", "paid", "after"),
    [
        pytest.param(None, [CEPELINAI], RICH, 0, TapReason.NO_SERVING_NOW, 0, 0,
                     id="outside every window"),
        pytest.param(AFTERNOON, [], RICH, 0, TapReason.NOTHING_PICKED, 0, 0,
                     id="nothing picked, no default"),
        pytest.param(LUNCH, [BUN, KISIELIUS], RICH, 0, TapReason.ITEM_UNAVAILABLE, 0, 0,
                     id="an item no longer sold"),
        pytest.param(LUNCH, [BUN], Purse(500, no_buy=frozenset({3})), 0,
                     TapReason.ITEM_NOT_ALLOWED, 0, 0, id="a no-buy item"),
        pytest.param(LUNCH, [CEPELINAI], Purse(500, no_buy=frozenset({2}), entitled=True), 0,
                     TapReason.ITEM_NOT_ALLOWED, 0, 0, id="no-buy holds for the free meal too"),
        pytest.param(LUNCH, [CEPELINAI], Purse(0, entitled=True), 0, TapReason.OK, 0, 0,
                     id="entitled: first serving free"),
        pytest.param(LUNCH, [CEPELINAI], Purse(0, entitled=True, served=SERVED), 0,
                     TapReason.ALREADY_SERVED, 0, 0, id="entitled: second serving"),
        pytest.param(LUNCH, [CEPELINAI], Purse(1000), 0, TapReason.OK, 250, 750,
                     id="not entitled: paid"),
        pytest.param(BREAKFAST, [CEPELINAI], Purse(1000, entitled=True), 0, TapReason.OK, 250,
                     750, id="entitled to breakfast, lunch item at breakfast: paid"),
        pytest.param(LUNCH, [CEPELINAI, CEPELINAI, BUN], Purse(1000, entitled=True), 0,
                     TapReason.OK, 330, 670, id="one free serving, the second portion paid"),
        pytest.param(LUNCH, [BUN], Purse(1000, entitled=True, served=SERVED), 0, TapReason.OK,
                     80, 920, id="served already, a bun is still sold"),
        pytest.param(LUNCH, [CEPELINAI, BUN], Purse(1000, spent_today_cents=170,
                     daily_limit_cents=500), 0, TapReason.OK, 330, 670,
                     id="daily limit: exactly at the limit"),
        pytest.param(LUNCH, [CEPELINAI, BUN], Purse(1000, spent_today_cents=171,
                     daily_limit_cents=500), 0, TapReason.DAILY_LIMIT, 0, 0,
                     id="daily limit: one cent over"),
        pytest.param(LUNCH, [BUN], Purse(1000, daily_limit_cents=0), 0, TapReason.DAILY_LIMIT,
                     0, 0, id="daily limit 0: nothing paid"),
        pytest.param(LUNCH, [CEPELINAI], Purse(0, daily_limit_cents=0, entitled=True), 0,
                     TapReason.OK, 0, 0, id="daily limit 0: the free meal still"),
        pytest.param(LUNCH, [FREE_WATER], Purse(-500, daily_limit_cents=0), 0, TapReason.OK, 0,
                     -500, id="a 0-cent item breaks no limit"),
        pytest.param(LUNCH, [CEPELINAI], Purse(250), 0, TapReason.OK, 250, 0,
                     id="overdraft 0: down to exactly 0"),
        pytest.param(LUNCH, [CEPELINAI], Purse(249), 0, TapReason.LOW_BALANCE, 0, 0,
                     id="overdraft 0: one cent short"),
        pytest.param(LUNCH, [CEPELINAI], Purse(-50), 300, TapReason.OK, 250, -300,
                     id="overdraft 300: down to exactly -300"),
        pytest.param(LUNCH, [CEPELINAI], Purse(-51), 300, TapReason.LOW_BALANCE, 0, 0,
                     id="overdraft 300: one cent further"),
        pytest.param(LUNCH, [CEPELINAI], Purse(-400, entitled=True), 300, TapReason.OK, 0,
                     -400, id="below the limit already: the free meal is still served"),
        pytest.param(LUNCH, [BUN], Purse(100, spent_today_cents=9, daily_limit_cents=90), 0,
                     TapReason.OK, 80, 20, id="the daily limit and the balance both just hold"),
    ],
)  # fmt: skip
def test_decide_sale(
    window: MealWindow | None,
    picked: list[Item],
    purse: Purse,
    overdraft: int,
    reason: TapReason,
    paid: int,
    after: int,
) -> None:
    decided = decide_sale(window, picked, purse, overdraft_limit_cents=overdraft)
    assert decided.reason is reason
    assert (decided.paid_cents, decided.balance_after_cents) == (paid, after)
    if reason is TapReason.OK:
        assert [line.item for line in decided.lines] == picked
        assert sum(line.price_cents for line in decided.lines) == paid
    else:
        assert decided.lines == ()
        assert not decided.accepted


def test_the_second_free_serving_says_when_and_where_the_first_was() -> None:
    decided = sale([CEPELINAI], Purse(0, entitled=True, served=SERVED))
    assert decided.reason is TapReason.ALREADY_SERVED
    assert decided.served == SERVED
    assert not decided.free_meal


def test_a_free_serving_is_one_free_line_at_price_0() -> None:
    decided = sale([BUN, CEPELINAI, CEPELINAI], Purse(1000, entitled=True))
    assert [(line.item.id, line.price_cents, line.free) for line in decided.lines] == [
        (3, 80, False),
        (2, 0, True),
        (2, 250, False),
    ]
    assert decided.free_meal


def test_refusals_say_which_item_and_which_limit() -> None:
    assert sale([KISIELIUS]).detail == "Kisielius"
    assert sale([BUN], Purse(500, no_buy=frozenset({3}))).detail == "Bandelė"
    assert sale([], window=AFTERNOON).detail == "afternoon has no default item"
    over = sale([BUN], Purse(500, spent_today_cents=450, daily_limit_cents=500))
    assert over.detail == "spent 450 + 80 > 500"


items = st.builds(
    Item,
    id=st.integers(1, 6),
    name=st.sampled_from(["Košė", "Cepelinai", "Bandelė", "Sultys"]),
    price_cents=st.integers(0, 600),
    meal_type=st.sampled_from([None, "breakfast", "lunch"]),
    active=st.booleans(),
)
purses = st.builds(
    Purse,
    balance_cents=st.integers(-3000, 3000),
    spent_today_cents=st.integers(0, 2000),
    daily_limit_cents=st.none() | st.integers(0, 2000),
    no_buy=st.frozensets(st.integers(1, 6), max_size=2),
    entitled=st.booleans(),
    served=st.none() | st.just(SERVED),
)


@given(
    st.none() | st.sampled_from(WINDOWS),
    st.lists(items, max_size=MAX_LINES),
    purses,
    st.integers(0, 2000),
)
def test_an_accepted_sale_keeps_every_limit(
    window: MealWindow | None, picked: list[Item], purse: Purse, overdraft: int
) -> None:
    decided = decide_sale(window, picked, purse, overdraft_limit_cents=overdraft)
    if not decided.accepted:
        assert decided.lines == ()
        assert decided.paid_cents == 0
        return
    assert window is not None
    assert picked
    assert all(item.active and item.id not in purse.no_buy for item in picked)
    assert decided.paid_cents == sum(line.price_cents for line in decided.lines)
    assert decided.balance_after_cents == purse.balance_cents - decided.paid_cents
    free = [line for line in decided.lines if line.free]
    assert len(free) <= 1
    if free:
        assert purse.entitled
        assert purse.served is None
        assert free[0].item.meal_type == window.code
        assert free[0].price_cents == 0
    if decided.paid_cents:
        # a paid sale never takes the balance below the overdraft limit, nor passes the day's
        limit = purse.daily_limit_cents
        assert decided.balance_after_cents >= -overdraft
        assert limit is None or purse.spent_today_cents + decided.paid_cents <= limit


@given(st.sampled_from(WINDOWS), st.lists(items, min_size=1, max_size=5), purses)
def test_a_higher_overdraft_limit_never_refuses_what_a_lower_one_accepts(
    window: MealWindow, picked: list[Item], purse: Purse
) -> None:
    low = decide_sale(window, picked, purse, overdraft_limit_cents=0)
    high = decide_sale(window, picked, purse, overdraft_limit_cents=500)
    if low.accepted:
        assert high == low


# ---------------------------------------------------------------- the ledger's checks

MAX_TOP_UP = 20_000


@pytest.mark.parametrize(
    ("cents", "method", "reference", "message"),
    [
        (500, "cash", "", "needs a reference"),
        (500, "bank", "   ", "needs a reference"),
        (500, "card", "K-1", "cash or by bank"),
        (500, "", "K-1", "cash or by bank"),
        (0, "cash", "K-1", "more than 0"),
        (-500, "cash", "K-1", "more than 0"),
        (MAX_TOP_UP + 1, "bank", "LT-2026-1", "typing slip"),
        (10**12, "bank", "LT-2026-1", "typing slip"),
        (500, "cash", "x" * 201, "longer than 200"),
    ],
)
def test_a_bad_top_up_is_refused(cents: int, method: str, reference: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        top_up(cents, method, reference, max_cents=MAX_TOP_UP)


def test_a_top_up_keeps_its_method_and_tidied_reference() -> None:
    entry = top_up(MAX_TOP_UP, "bank", "  LT 2026  Nr. 7 ", max_cents=MAX_TOP_UP)
    assert (entry.kind, entry.amount_cents, entry.method, entry.reference) == (
        LedgerKind.TOP_UP,
        MAX_TOP_UP,
        PaidBy.BANK,
        "LT 2026 Nr. 7",
    )
    assert top_up(1, "cash", "Kvitas 12", max_cents=MAX_TOP_UP).amount_cents == 1


@pytest.mark.parametrize(
    ("cents", "left", "reason", "message"),
    [
        (251, 250, "grąžinta", "250 cents left to refund, not 251"),
        (1, 0, "grąžinta", "0 cents left to refund"),
        (0, 250, "grąžinta", "more than 0"),
        (-10, 250, "grąžinta", "more than 0"),
        (100, 250, "  ", "a refund needs its reason"),
    ],
)
def test_a_bad_refund_is_refused(cents: int, left: int, reason: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        refund(cents, "sale-1", left, reason)


def test_a_refund_may_give_back_all_that_is_left() -> None:
    entry = refund(250, "sale-1", 250, "šaltas  maistas")
    assert (entry.kind, entry.amount_cents, entry.refund_of, entry.reason) == (
        LedgerKind.REFUND,
        250,
        "sale-1",
        "šaltas maistas",
    )


@pytest.mark.parametrize(
    ("cents", "reason", "balance", "overdraft", "message"),
    [
        (500, "", 0, 0, "needs its reason"),
        (500, " \t ", 0, 0, "needs its reason"),
        (0, "klaida", 0, 0, "0 changes nothing"),
        (MAX_TOP_UP + 1, "klaida", 0, 0, "typing slip"),
        (-MAX_TOP_UP - 1, "klaida", 10**6, 0, "typing slip"),
        (-101, "klaida", 100, 0, "to -1 cents, below the limit of −0"),
        (-401, "klaida", 100, 300, "to -301 cents, below the limit of −300"),
        (-1, "klaida", -300, 300, "below the limit"),
        (500, "x" * 201, 0, 0, "longer than 200"),
    ],
)
def test_a_bad_correction_is_refused(
    cents: int, reason: str, balance: int, overdraft: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        correction(cents, reason, balance, max_cents=MAX_TOP_UP, overdraft=overdraft)


@pytest.mark.parametrize(
    ("cents", "balance", "overdraft"),
    [
        (-100, 100, 0),  # down to exactly 0
        (-400, 100, 300),  # down to exactly the overdraft limit
        (50, -900, 300),  # below the limit already: a correction upwards is still allowed
        (MAX_TOP_UP, 0, 0),
        (-MAX_TOP_UP, MAX_TOP_UP, 0),
    ],
)
def test_a_correction_at_the_edges_is_taken(cents: int, balance: int, overdraft: int) -> None:
    entry = correction(cents, " kasos  klaida ", balance, max_cents=MAX_TOP_UP, overdraft=overdraft)
    assert (entry.kind, entry.amount_cents, entry.reason) == (
        LedgerKind.CORRECTION,
        cents,
        "kasos klaida",
    )


@pytest.mark.parametrize("cents", [-1, MAX_ITEM_PRICE_CENTS * MAX_LINES + 1])
def test_a_daily_limit_out_of_range_is_refused(cents: int) -> None:
    with pytest.raises(InputError, match="between 0 and"):
        daily_limit(cents)


@pytest.mark.parametrize("cents", [None, 0, 1, MAX_ITEM_PRICE_CENTS * MAX_LINES])
def test_a_daily_limit_in_range_is_taken(cents: int | None) -> None:
    assert daily_limit(cents) == cents
