"""Card rules: SPEC §4.2 (§17–18, §30–31, §37–47)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from emp_edge.domain.cards import (
    CARD_MOVES,
    DEFAULT_REPLACEMENT_FEE_CENTS,
    FREE_REASONS,
    PAID_REASONS,
    REQUEST_DAYS,
    VALIDITY_YEARS,
    CardState,
    CardVerdict,
    OtherEntry,
    OtherEntryKind,
    ReplacementReason,
    RequestStatus,
    allowed_moves,
    move,
    needs_parent_notice,
    other_entry,
    replacement_fee,
    request_due_date,
    request_status,
    valid_until,
    verdict_at_terminal,
)
from emp_edge.errors import InputError, TransitionError

S = CardState

# ---------------------------------------------------------------- validity

# §30: grade when the card is made → last school year's 31 August, for a card made in 2026–2027.
VALID_UNTIL_2026_27 = {
    1: date(2030, 8, 31),
    2: date(2029, 8, 31),
    3: date(2028, 8, 31),
    4: date(2027, 8, 31),
    5: date(2030, 8, 31),
    6: date(2029, 8, 31),
    7: date(2028, 8, 31),
    8: date(2027, 8, 31),
    9: date(2028, 8, 31),
    10: date(2027, 8, 31),
    11: date(2028, 8, 31),
    12: date(2027, 8, 31),
}


@pytest.mark.parametrize(
    "issued_on", [date(2026, 10, 5), date(2027, 5, 10)], ids=["autumn", "spring"]
)
@pytest.mark.parametrize("grade", range(1, 13))
def test_validity_by_grade(grade: int, issued_on: date) -> None:
    assert valid_until(grade, issued_on) == VALID_UNTIL_2026_27[grade]


def test_validity_years_table() -> None:
    by_years = {4: {1, 5}, 3: {2, 6}, 2: {3, 7, 9, 11}, 1: {4, 8, 10, 12}}
    assert dict(VALIDITY_YEARS) == {g: y for y, grades in by_years.items() for g in grades}


def test_spec_examples() -> None:
    assert valid_until(1, date(2026, 10, 5)) == date(2030, 8, 31)
    assert valid_until(4, date(2027, 5, 10)) == date(2027, 8, 31)


def test_validity_ends_on_31_august_and_counts_school_years() -> None:
    # §31: the school year of 31 August is the one ending; 1 September starts the next.
    assert valid_until(4, date(2027, 8, 31)) == date(2027, 8, 31)
    assert valid_until(4, date(2027, 9, 1)) == date(2028, 8, 31)
    assert valid_until(1, date(2026, 9, 1)) == date(2030, 8, 31)
    assert valid_until(1, date(2026, 8, 31)) == date(2029, 8, 31)


@pytest.mark.parametrize("grade", [0, 13, -1])
def test_validity_of_a_grade_that_does_not_exist(grade: int) -> None:
    with pytest.raises(InputError, match=f"grade {grade} does not exist"):
        valid_until(grade, date(2026, 10, 5))


def test_validity_past_the_calendar() -> None:
    with pytest.raises(InputError, match="past the calendar"):
        valid_until(1, date(9999, 10, 1))


# ---------------------------------------------------------------- states

EXPECTED_MOVES = {
    S.REQUESTED: {S.PERSONALISED, S.CANCELLED},
    S.PERSONALISED: {S.ISSUED, S.SPOILED, S.DESTROYED},
    S.ISSUED: {S.RETURNED, S.REPLACED, S.EXPIRED},
    S.RETURNED: {S.DESTROYED},
    S.SPOILED: {S.DESTROYED},
    S.REPLACED: {S.DESTROYED},
    S.EXPIRED: {S.DESTROYED},
    S.DESTROYED: set(),
    S.CANCELLED: set(),
}


def test_card_moves_is_the_table_of_the_procedure() -> None:
    assert {state: set(targets) for state, targets in CARD_MOVES.items()} == EXPECTED_MOVES
    assert set(CARD_MOVES) == set(CardState)


def test_card_moves_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        CARD_MOVES[S.DESTROYED] = frozenset({S.ISSUED})  # type: ignore[index]


@pytest.mark.parametrize("target", list(CardState))
@pytest.mark.parametrize("current", list(CardState))
def test_every_move(current: CardState, target: CardState) -> None:
    if target in EXPECTED_MOVES[current]:
        assert move(current, target) is target
        return
    with pytest.raises(TransitionError) as caught:
        move(current, target)
    message = caught.value.reason
    assert f"from {current.value} to {target.value}" in message
    if EXPECTED_MOVES[current]:
        for allowed in EXPECTED_MOVES[current]:
            assert allowed.value in message.split("can go only to ")[1]
    else:
        assert f"{current.value} is final" in message


def test_allowed_moves() -> None:
    assert allowed_moves(S.ISSUED) == frozenset({S.RETURNED, S.REPLACED, S.EXPIRED})
    assert allowed_moves(S.DESTROYED) == frozenset()


def test_allowed_states_are_listed_in_lifecycle_order() -> None:
    with pytest.raises(TransitionError) as caught:
        move(S.PERSONALISED, S.REQUESTED)
    assert caught.value.reason.endswith("can go only to issued, spoiled, destroyed")


def test_every_state_is_reached_and_every_path_ends() -> None:
    seen, todo = {S.REQUESTED}, [S.REQUESTED]
    while todo:
        for target in allowed_moves(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(CardState)
    finals = {state for state in CardState if not allowed_moves(state)}
    assert finals == {S.DESTROYED, S.CANCELLED}


# ---------------------------------------------------------------- terminal

LAST_DAY = date(2027, 8, 31)


@pytest.mark.parametrize(
    ("state", "verdict"),
    [
        (S.REQUESTED, CardVerdict.NOT_ISSUED),
        (S.PERSONALISED, CardVerdict.NOT_ISSUED),
        (S.SPOILED, CardVerdict.NOT_ISSUED),
        (S.RETURNED, CardVerdict.RETURNED),
        (S.REPLACED, CardVerdict.REPLACED),
        (S.EXPIRED, CardVerdict.EXPIRED),
        (S.DESTROYED, CardVerdict.DESTROYED),
        (S.CANCELLED, CardVerdict.CANCELLED),
    ],
)
def test_only_issued_cards_pass(state: CardState, verdict: CardVerdict) -> None:
    assert verdict_at_terminal(state, LAST_DAY, date(2026, 10, 5)) is verdict


def test_an_issued_card_passes_to_its_last_day_and_then_is_expired() -> None:
    assert verdict_at_terminal(S.ISSUED, LAST_DAY, date(2026, 9, 1)) is CardVerdict.OK
    assert verdict_at_terminal(S.ISSUED, LAST_DAY, LAST_DAY) is CardVerdict.OK
    assert verdict_at_terminal(S.ISSUED, LAST_DAY, date(2027, 9, 1)) is CardVerdict.EXPIRED


def test_an_issued_card_with_no_validity_is_refused() -> None:
    assert verdict_at_terminal(S.ISSUED, None, date(2026, 9, 1)) is CardVerdict.NO_VALIDITY


# ---------------------------------------------------------------- replacement

R = ReplacementReason
PAID = {R.SCHOOL_CHANGE, R.NAME_CHANGE, R.DAMAGED, R.LOST}
FREE = {R.INACCURATE_ENTRIES, R.CHIP_FAILURE, R.DEFECTIVE, R.SPOILED_IN_PRINTING}
OLD_LAST_DAY = date(2028, 8, 31)


def test_paid_and_free_reasons_split_all_reasons() -> None:
    assert PAID_REASONS == PAID
    assert FREE_REASONS == FREE
    assert set(ReplacementReason) == PAID_REASONS | FREE_REASONS
    assert not PAID_REASONS & FREE_REASONS
    assert DEFAULT_REPLACEMENT_FEE_CENTS == 600


@pytest.mark.parametrize(
    ("on", "still_valid"),
    [(date(2027, 1, 15), True), (OLD_LAST_DAY, True), (date(2028, 9, 1), False)],
    ids=["before-expiry", "last-day", "after-expiry"],
)
@pytest.mark.parametrize("reason", list(ReplacementReason))
def test_replacement_fee(reason: ReplacementReason, on: date, still_valid: bool) -> None:
    expected = 600 if reason in PAID and still_valid else 0
    assert replacement_fee(reason, old_valid_until=OLD_LAST_DAY, on=on) == expected


def test_replacement_fee_can_be_set() -> None:
    before = date(2027, 1, 1)
    assert replacement_fee(R.LOST, old_valid_until=OLD_LAST_DAY, on=before, fee_cents=750) == 750
    assert replacement_fee(R.LOST, old_valid_until=OLD_LAST_DAY, on=before, fee_cents=0) == 0


def test_replacement_fee_cannot_be_negative() -> None:
    with pytest.raises(InputError, match="cannot be negative"):
        replacement_fee(R.DEFECTIVE, old_valid_until=OLD_LAST_DAY, on=OLD_LAST_DAY, fee_cents=-1)


@pytest.mark.parametrize("reason", list(ReplacementReason))
def test_parents_are_told_of_paid_replacements(reason: ReplacementReason) -> None:
    assert needs_parent_notice(reason) is (reason in PAID)


# ---------------------------------------------------------------- request clock


def test_request_due_date_is_21_calendar_days_later() -> None:
    assert REQUEST_DAYS == 21
    assert request_due_date(date(2026, 9, 1)) == date(2026, 9, 22)
    assert request_due_date(date(2026, 12, 20)) == date(2027, 1, 10)
    assert request_due_date(date(2028, 2, 20)) == date(2028, 3, 12)


def test_request_due_date_out_of_range() -> None:
    with pytest.raises(InputError, match="out of range"):
        request_due_date(date(9999, 12, 31))


ASKED = date(2026, 9, 1)


@pytest.mark.parametrize(
    ("days_after", "status"),
    [
        (-3, RequestStatus.ON_TIME),
        (0, RequestStatus.ON_TIME),
        (15, RequestStatus.ON_TIME),  # 6 days left
        (16, RequestStatus.DUE_SOON),  # 5 days left
        (20, RequestStatus.DUE_SOON),
        (21, RequestStatus.DUE_SOON),  # day 21: the last day, not late yet
        (22, RequestStatus.OVERDUE),  # day 22: late
        (100, RequestStatus.OVERDUE),
    ],
)
def test_request_status(days_after: int, status: RequestStatus) -> None:
    assert request_status(ASKED, ASKED + timedelta(days=days_after)) is status


def test_request_status_warn_window_can_be_set() -> None:
    on_day_21 = ASKED + timedelta(days=21)
    assert request_status(ASKED, on_day_21, warn_days=0) is RequestStatus.DUE_SOON
    on_day_20 = on_day_21 - timedelta(days=1)
    assert request_status(ASKED, on_day_20, warn_days=0) is RequestStatus.ON_TIME
    assert request_status(ASKED, ASKED, warn_days=21) is RequestStatus.DUE_SOON
    with pytest.raises(InputError, match="cannot be negative"):
        request_status(ASKED, ASKED, warn_days=-1)


# ---------------------------------------------------------------- "Kiti įrašai"


@pytest.mark.parametrize("kind", list(OtherEntryKind))
def test_other_entry_of_every_kind(kind: OtherEntryKind) -> None:
    entry = other_entry(kind, "  Raseiniai AS – Šaltinio g.  ", " V-123 ")
    assert entry == OtherEntry(kind, "Raseiniai AS – Šaltinio g.", "V-123")


def test_other_entry_kind_may_be_given_by_name() -> None:
    assert other_entry("transport_route", "A – B", "V-1").kind is OtherEntryKind.TRANSPORT_ROUTE


@pytest.mark.parametrize(
    ("kind", "text", "order", "says"),
    [
        (OtherEntryKind.PROGRAMME, "", "V-1", "the programme entry is empty"),
        (OtherEntryKind.SAFETY_NOTE, "   ", "V-1", "the safety_note entry is empty"),
        (OtherEntryKind.RESIDENCE_MARK, "bendrabutis", "", "director's order"),
        (OtherEntryKind.LEARNING_FORM, "nuotolinis", "  ", "director's order"),
        ("hobby", "šachmatai", "V-1", "there is no entry kind 'hobby'"),
    ],
)
def test_other_entry_refused(kind: OtherEntryKind | str, text: str, order: str, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        other_entry(kind, text, order)


def test_other_entry_made_by_hand_is_checked() -> None:
    with pytest.raises(InputError, match="director's order"):
        OtherEntry(OtherEntryKind.PROGRAMME, "pradinio ugdymo", "")
