"""The clubs' (NVŠ) pure rules: SPEC §4.5 and the registry's NVŠ screens (seeds 000, 001).

Every function of ``domain/clubs.py``, with the days where a rule turns: 2012-08-31 against
2012-09-01 for contracts, 1 September and 31 August for a first day, a departure on the first day,
sessions that touch, and the municipality's rule for a fundable month.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.clubs import (
    BASKET,
    CONTRACT_TYPES,
    CONTRACTS_FROM,
    DEPARTURE_REASONS,
    FUNDING_KINDS,
    Contract,
    FundingRule,
    Mark,
    Slot,
    check_contract,
    check_departure,
    check_first_day,
    check_session_fits,
    check_slot,
    check_slot_fits,
    enrolled_on,
    mark_for,
    periods_overlap,
    times_overlap,
)
from emp_edge.errors import InputError

SIGNED = Contract("bilateral", date(2026, 9, 1), "S-17")
VILNIUS = ZoneInfo("Europe/Vilnius")


def refused(call: object, *args: object, match: str) -> InputError:
    assert callable(call)
    with pytest.raises(InputError) as caught:
        call(*args)
    assert match in caught.value.template, caught.value.template
    return caught.value


# ---------------------------------------------------------------- the lists


def test_the_lists_are_the_registrys() -> None:
    assert date(2012, 9, 1) == CONTRACTS_FROM
    assert FUNDING_KINDS == ("basket", "municipal", "state", "other")
    assert BASKET in FUNDING_KINDS
    assert "bilateral" in CONTRACT_TYPES
    assert len(set(DEPARTURE_REASONS)) == len(DEPARTURE_REASONS) >= 2


# ---------------------------------------------------------------- the first day


@pytest.mark.parametrize("day", [date(2026, 9, 1), date(2027, 1, 15), date(2027, 8, 31)])
def test_a_first_day_inside_the_school_year_is_taken(day: date) -> None:
    check_first_day(day, 2026)


def test_a_first_day_on_31_august_belongs_to_the_year_before() -> None:
    err = refused(check_first_day, date(2026, 8, 31), 2026, match="before the school year begins")
    assert err.params == {"day": "2026-08-31", "begins": "2026-09-01"}


def test_a_first_day_on_1_september_of_the_next_year_is_too_late() -> None:
    err = refused(check_first_day, date(2027, 9, 1), 2026, match="after the school year ends")
    assert err.params == {"day": "2027-09-01", "ends": "2027-08-31"}


def test_a_first_day_after_the_departure_is_refused_but_on_it_is_not() -> None:
    check_first_day(date(2026, 10, 1), 2026, left_on=date(2026, 10, 1))
    err = refused(
        check_first_day,
        date(2026, 10, 2),
        2026,
        date(2026, 10, 1),
        match="after the pupil's departure",
    )
    assert err.params["left"] == "2026-10-01"


# ---------------------------------------------------------------- the contract


def test_an_arrival_on_2012_08_31_needs_no_contract() -> None:
    check_contract(date(2012, 8, 31), Contract())


def test_an_arrival_on_2012_09_01_needs_the_whole_contract() -> None:
    day = date(2012, 9, 1)
    check_contract(day, Contract("bilateral", day, "1"))
    refused(check_contract, day, Contract(), match="contract type is required")
    refused(check_contract, day, Contract("bilateral", None, "1"), match="contract date")
    refused(check_contract, day, Contract("bilateral", day, "  "), match="contract number")


def test_a_contract_type_must_be_one_of_the_list_even_before_2012() -> None:
    err = refused(
        check_contract, date(2011, 9, 1), Contract("oral", None, ""), match="not a contract type"
    )
    assert err.params == {"type": "oral"}


def test_a_contract_number_is_at_most_40_characters() -> None:
    day = date(2026, 9, 1)
    check_contract(day, Contract("trilateral", day, "N" * 40))
    refused(check_contract, day, Contract("trilateral", day, "N" * 41), match="longer than")


def test_an_empty_contract_is_empty() -> None:
    assert Contract().empty
    assert Contract(number="  ").empty
    assert not SIGNED.empty
    assert not Contract(signed_on=date(2026, 9, 1)).empty


# ---------------------------------------------------------------- the departure


def test_a_departure_on_the_first_day_is_taken() -> None:
    check_departure(date(2026, 9, 1), date(2026, 9, 1), "own_wish")


def test_a_departure_the_day_before_the_first_day_is_refused() -> None:
    err = refused(
        check_departure, date(2026, 9, 1), date(2026, 8, 31), "own_wish", match="before the first"
    )
    assert err.params == {"left": "2026-08-31", "day": "2026-09-01"}


@pytest.mark.parametrize("reason", DEPARTURE_REASONS)
def test_every_listed_reason_is_taken(reason: str) -> None:
    check_departure(date(2026, 9, 1), date(2026, 12, 1), reason, "V-12")


@pytest.mark.parametrize("reason", ["", "bored", "Own_wish"])
def test_a_reason_not_in_the_list_is_refused(reason: str) -> None:
    refused(check_departure, date(2026, 9, 1), date(2026, 12, 1), reason, match="from the list")


def test_the_order_number_is_optional_and_at_most_40_characters() -> None:
    check_departure(date(2026, 9, 1), date(2026, 12, 1), "moved", "")
    check_departure(date(2026, 9, 1), date(2026, 12, 1), "moved", "V" * 40)
    refused(
        check_departure,
        date(2026, 9, 1),
        date(2026, 12, 1),
        "moved",
        "V" * 41,
        match="order number is longer",
    )


# ---------------------------------------------------------------- in the lists on a day


def test_a_pupil_is_in_the_lists_from_the_first_day_until_the_day_before_departure() -> None:
    first, left = date(2026, 9, 1), date(2026, 11, 1)
    assert not enrolled_on(first, left, date(2026, 8, 31))
    assert enrolled_on(first, left, first)
    assert enrolled_on(first, left, date(2026, 10, 31))
    assert not enrolled_on(first, left, left)
    assert enrolled_on(first, None, date(2030, 1, 1))


def test_a_departure_on_the_first_day_means_never_in_the_lists() -> None:
    day = date(2026, 9, 1)
    assert not enrolled_on(day, day, day)


def test_periods_that_touch_do_not_overlap() -> None:
    assert not periods_overlap(date(2026, 11, 1), None, date(2026, 9, 1), date(2026, 11, 1))
    assert not periods_overlap(date(2026, 9, 1), date(2026, 11, 1), date(2026, 11, 1), None)


def test_periods_that_share_a_day_overlap() -> None:
    assert periods_overlap(date(2026, 10, 31), None, date(2026, 9, 1), date(2026, 11, 1))
    assert periods_overlap(date(2026, 9, 1), None, date(2027, 3, 1), None)
    assert periods_overlap(date(2026, 9, 1), date(2027, 1, 1), date(2026, 10, 1), date(2026, 11, 1))


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
lengths = st.one_of(st.none(), st.integers(min_value=0, max_value=400))


@given(days, lengths, days, lengths, days)
def test_periods_overlap_exactly_when_some_day_is_in_both(
    first: date, length: int | None, other_first: date, other_length: int | None, probe: date
) -> None:
    left = None if length is None else first + timedelta(days=length)
    other_left = None if other_length is None else other_first + timedelta(days=other_length)
    both = enrolled_on(first, left, probe) and enrolled_on(other_first, other_left, probe)
    if both:
        assert periods_overlap(first, left, other_first, other_left)
    assert periods_overlap(first, left, other_first, other_left) == periods_overlap(
        other_first, other_left, first, left
    )


# ---------------------------------------------------------------- weekly sessions


def slot(weekday: int, starts: str, ends: str, hours: int = 2) -> Slot:
    return Slot(weekday, time.fromisoformat(starts), time.fromisoformat(ends), hours)


def test_a_good_slot_is_taken() -> None:
    check_slot(slot(1, "15:00", "16:30"))
    check_slot(slot(7, "09:00", "09:45", 1))
    check_slot(slot(3, "09:00", "15:00", 8))


@pytest.mark.parametrize("weekday", [0, 8])
def test_a_slot_needs_a_day_of_the_week(weekday: int) -> None:
    refused(check_slot, slot(weekday, "15:00", "16:00"), match="day of the week")


@pytest.mark.parametrize(("starts", "ends"), [("16:00", "16:00"), ("16:00", "15:00")])
def test_a_slot_ends_after_it_starts(starts: str, ends: str) -> None:
    err = refused(check_slot, slot(2, starts, ends), match="ends after it starts")
    assert err.params == {"starts": starts, "ends": ends}


@pytest.mark.parametrize("hours", [0, 9])
def test_a_slot_lasts_1_to_8_academic_hours(hours: int) -> None:
    refused(check_slot, slot(2, "15:00", "16:00", hours), match="1 to {max} academic hours")


def test_touching_times_do_not_overlap() -> None:
    four, five, six = time(16), time(17), time(18)
    assert not times_overlap(four, five, five, six)
    assert not times_overlap(five, six, four, five)
    assert times_overlap(four, time(17, 1), five, six)
    assert times_overlap(four, six, five, time(17, 30))


def test_a_slot_touching_another_on_the_same_day_fits() -> None:
    others = [slot(1, "15:00", "16:00"), slot(2, "16:00", "17:00")]
    check_slot_fits(slot(1, "16:00", "17:00"), others)
    check_slot_fits(slot(1, "14:00", "15:00"), others)


def test_a_slot_overlapping_another_on_the_same_day_is_refused() -> None:
    others = [slot(1, "15:00", "16:00")]
    err = refused(check_slot_fits, slot(1, "15:45", "16:30"), others, match="already meets")
    assert err.params == {"starts": "15:00", "ends": "16:00"}
    check_slot_fits(slot(2, "15:45", "16:30"), others)  # another day is free


def test_a_bad_slot_is_refused_before_its_overlaps() -> None:
    refused(check_slot_fits, slot(1, "16:00", "15:00"), [], match="ends after it starts")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, 5, hour, minute, tzinfo=VILNIUS)


def test_sessions_that_touch_fit() -> None:
    check_session_fits(at(16), at(17), [(at(15), at(16)), (at(17), at(18))])


def test_a_session_overlapping_another_is_refused() -> None:
    err = refused(
        check_session_fits, at(15, 30), at(16, 30), [(at(15), at(16))], match="already has"
    )
    assert err.params == {"starts": "2026-10-05 15:00", "ends": "16:00"}


def test_a_session_ends_after_it_starts() -> None:
    refused(check_session_fits, at(16), at(16), [], match="ends after it starts")


# ---------------------------------------------------------------- a tap's mark


def test_a_mark_says_what_a_tap_does() -> None:
    assert mark_for(enrolled=True, already_marked=False) is Mark.PRESENT
    assert mark_for(enrolled=True, already_marked=True) is Mark.ALREADY
    assert mark_for(enrolled=False, already_marked=False) is Mark.NOT_IN_GROUP
    assert mark_for(enrolled=False, already_marked=True) is Mark.NOT_IN_GROUP


# ---------------------------------------------------------------- the basket's month


def test_vilnius_pays_a_month_of_at_least_4_academic_hours() -> None:
    rule = FundingRule(min_hours=4)
    assert not rule.fundable(3, 2)
    assert rule.fundable(4, 2)
    assert rule.fundable(4, 0)  # sessions are no rule when min_sessions is 0


def test_a_sessions_threshold_is_a_second_condition() -> None:
    rule = FundingRule(min_hours=4, min_sessions=3)
    assert not rule.fundable(6, 2)
    assert rule.fundable(6, 3)


def test_a_month_without_attendance_is_never_fundable() -> None:
    assert not FundingRule(min_hours=0, min_sessions=0).fundable(0, 0)
    assert FundingRule(min_hours=0, min_sessions=0).fundable(1, 1)
    assert FundingRule() == FundingRule(4, 0)


@given(st.integers(0, 60), st.integers(0, 30), st.integers(0, 10), st.integers(0, 5))
def test_more_attendance_never_loses_a_fundable_month(
    hours: int, sessions: int, low: int, few: int
) -> None:
    rule = FundingRule(low, few)
    if rule.fundable(hours, sessions):
        assert rule.fundable(hours + 1, sessions)
        assert rule.fundable(hours, sessions + 1)
    if hours < low or sessions < few:
        assert not rule.fundable(hours, sessions)
