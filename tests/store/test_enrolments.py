"""Enrolment in club groups, funding marks with the one-basket rule, deregistration, the
registry's answer on a mark, and the reads of the enrolment pages (SPEC §4.5, issue 6 points 3–5).

Every refusal is checked to leave the whole database as it was (a full dump before and after).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from club_rows import add_group, add_programme
from club_rows import enrol as enrol_row
from emp_edge.domain import personal_code
from emp_edge.domain.clubs import Contract
from emp_edge.domain.school import SchoolClass
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store import enrolments as writes
from emp_edge.store.enrolment_pages import (
    enrolment_detail,
    find_pupils,
    group_pupils,
    pupil_enrolments,
)
from emp_edge.store.enrolments import (
    FundingChange,
    deregister,
    enrol,
    registry_answer,
    set_funding,
    unmark,
)
from emp_edge.store.schools import ensure_class, ensure_school

SEPT_1 = date(2026, 9, 1)
CONTRACT = Contract("bilateral", date(2026, 8, 28), "S-2026/17")
CODE = personal_code.build(date(2015, 7, 2), "M", 202)


def add_pupil(
    store: Store,
    first: str = "Jonas",
    last: str = "Žukauskas",
    *,
    code: str | None = None,
    registry_id: str | None = None,
    active: bool = True,
) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(5, "a"))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, personal_code, first_name, last_name,"
            " birth_date, class_id, active, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, '2015-07-02', ?, ?, ?, ?)",
            (school, registry_id, code, first, last, class_id, int(active), now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def dump(store: Store) -> list[str]:
    return list(store.conn.iterdump())


def events(store: Store, kind: str) -> list[tuple[str, dict[str, Any]]]:
    rows = store.conn.execute(
        "SELECT event_id, payload FROM outbox WHERE type = ? ORDER BY seq", (kind,)
    )
    return [(event_id, json.loads(payload)) for event_id, payload in rows]


def refused(store: Store, change: Any, *args: Any, match: str) -> InputError:
    """The change is refused with ``match`` in its message, and not one row is written."""
    before = dump(store)
    with pytest.raises(InputError) as caught, store.transaction() as tx:
        change(tx, *args)
    assert match in caught.value.template, caught.value.template
    assert dump(store) == before
    return caught.value


def enrol_now(
    store: Store, pupil: int, group: int, first_day: date = SEPT_1, contract: Contract = CONTRACT
) -> int:
    with store.transaction() as tx:
        return enrol(tx, pupil, group, first_day, contract)


def funding(store: Store, enrolment: int, *kinds: str) -> FundingChange:
    with store.transaction() as tx:
        return set_funding(tx, enrolment, kinds)


def leave(
    store: Store, enrolment: int, left_on: date, order: str = "", reason: str = "moved"
) -> None:
    with store.transaction() as tx:
        deregister(tx, enrolment, left_on, order, reason)


def answer(store: Store, event_id: str, accepted: bool, reason: str = "") -> bool:
    with store.transaction(require_event=False) as tx:
        return registry_answer(tx, event_id, accepted, reason)


def marks(store: Store, enrolment: int) -> dict[str, tuple[str, str, str | None]]:
    rows = store.conn.execute(
        "SELECT kind, state, event_id, ended_on FROM funding_marks WHERE enrolment_id = ?",
        (enrolment,),
    )
    return {kind: (state, event_id, ended) for kind, state, event_id, ended in rows}


@pytest.fixture
def programme(store: Store) -> int:
    return add_programme(store, "120000001", "Jaunųjų muzikantų studija")


@pytest.fixture
def guitar(store: Store, programme: int) -> int:
    return add_group(store, programme, "Gitara 1")


@pytest.fixture
def violin(store: Store) -> int:
    other = add_programme(store, "120000002", "Styginių ansamblis")
    return add_group(store, other, "Smuikas 2", sub_directions=("muzika.smuikas",))


@pytest.fixture
def jonas(store: Store) -> int:
    return add_pupil(store, code=CODE, registry_id="MR-1001")


# ---------------------------------------------------------------- enrolment


def test_an_enrolment_is_written_with_its_event(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    row = store.conn.execute(
        "SELECT pupil_id, group_id, first_day, contract_type, contract_date, contract_number,"
        " left_on FROM enrolments WHERE id = ?",
        (enrolment,),
    ).fetchone()
    assert row == (jonas, guitar, "2026-09-01", "bilateral", "2026-08-28", "S-2026/17", None)
    assert [payload for _, payload in events(store, "nvs.enrolment.registered")] == [
        {
            "enrolment_id": enrolment,
            "pupil_id": jonas,
            "registry_id": "MR-1001",
            "group_id": guitar,
            "ktprr_code": "120000001",
            "school_year": 2026,
            "first_day": "2026-09-01",
            "contract": {"type": "bilateral", "date": "2026-08-28", "number": "S-2026/17"},
        }
    ]
    assert CODE not in store.conn.execute("SELECT group_concat(payload) FROM outbox").fetchone()[0]


def test_a_pupil_can_be_in_several_groups(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin, date(2026, 10, 5))
    assert [e.id for e in pupil_enrolments(store.conn, jonas)] == [second, first]


@pytest.mark.parametrize(
    ("day", "match"),
    [
        (date(2026, 8, 31), "before the school year begins"),
        (date(2027, 9, 1), "after the school year ends"),
    ],
)
def test_a_first_day_outside_the_groups_school_year_is_refused(
    store: Store, jonas: int, guitar: int, day: date, match: str
) -> None:
    err = refused(store, enrol, jonas, guitar, day, Contract("bilateral", day, "1"), match=match)
    assert err.where == "first_day"


def test_the_first_and_last_days_of_the_school_year_are_taken(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    enrol_now(store, jonas, guitar, date(2026, 9, 1))
    enrol_now(store, jonas, violin, date(2027, 8, 31))


@pytest.mark.parametrize(
    ("contract", "match"),
    [
        (Contract(), "contract type is required"),
        (Contract("bilateral", None, "1"), "contract date is required"),
        (Contract("bilateral", SEPT_1, " "), "contract number is required"),
        (Contract("verbal", SEPT_1, "1"), "not a contract type"),
        (Contract("bilateral", SEPT_1, "9" * 41), "longer than"),
    ],
)
def test_a_contract_is_required_for_arrivals_from_2012_09_01(
    store: Store, jonas: int, guitar: int, contract: Contract, match: str
) -> None:
    refused(store, enrol, jonas, guitar, SEPT_1, contract, match=match)


def test_an_arrival_before_2012_09_01_records_no_contract(
    store: Store, jonas: int, programme: int
) -> None:
    old = add_group(store, programme, "Gitara 2011", school_year=2011)
    day = date(2012, 8, 31)
    refused(
        store,
        enrol,
        jonas,
        old,
        day,
        Contract("bilateral", day, "1"),
        match="only for arrivals from 2012-09-01",
    )
    enrolment = enrol_now(store, jonas, old, day, Contract())
    row = store.conn.execute(
        "SELECT contract_type, contract_date, contract_number FROM enrolments WHERE id = ?",
        (enrolment,),
    ).fetchone()
    assert row == (None, None, None)
    assert events(store, "nvs.enrolment.registered")[0][1]["contract"] is None


def test_a_pupil_who_left_the_school_cannot_be_enrolled(store: Store, guitar: int) -> None:
    gone = add_pupil(store, "Ūla", "Šimkutė", active=False)
    refused(store, enrol, gone, guitar, SEPT_1, CONTRACT, match="left the school")


def test_an_unknown_group_or_pupil_is_refused(store: Store, jonas: int, guitar: int) -> None:
    assert refused(store, enrol, jonas, 999, SEPT_1, CONTRACT, match="group").where == "group"
    refused(store, enrol, 999, guitar, SEPT_1, CONTRACT, match="no pupil")


def test_a_second_enrolment_in_the_same_group_is_refused(
    store: Store, jonas: int, guitar: int
) -> None:
    enrol_now(store, jonas, guitar)
    err = refused(
        store, enrol, jonas, guitar, date(2026, 10, 1), CONTRACT, match="already in this group"
    )
    assert err.params == {"first": "2026-09-01"}


def test_a_pupil_may_come_back_after_the_departure_but_not_before_it(
    store: Store, jonas: int, guitar: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    leave(store, first, date(2026, 11, 1))
    refused(
        store,
        enrol,
        jonas,
        guitar,
        date(2026, 10, 31),
        CONTRACT,
        match="a new first day must be {left} or later",
    )
    again = enrol_now(store, jonas, guitar, date(2026, 11, 1))
    history = group_pupils(store.conn, guitar, date(2026, 11, 1))
    assert [m.enrolment_id for m in history.current] == [again]
    assert [m.enrolment_id for m in history.past] == [first]


# ---------------------------------------------------------------- deregistration


def test_a_deregistration_ends_the_enrolment_and_its_marks(
    store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "basket", "municipal")
    leave(store, enrolment, date(2026, 12, 1), " V-45 ", "own_wish")
    row = store.conn.execute(
        "SELECT left_on, departure_order, departure_reason FROM enrolments WHERE id = ?",
        (enrolment,),
    ).fetchone()
    assert row == ("2026-12-01", "V-45", "own_wish")
    assert {kind: ended for kind, (_, _, ended) in marks(store, enrolment).items()} == {
        "basket": "2026-12-01",
        "municipal": "2026-12-01",
    }
    assert [payload for _, payload in events(store, "nvs.enrolment.deregistered")] == [
        {
            "enrolment_id": enrolment,
            "pupil_id": jonas,
            "registry_id": "MR-1001",
            "group_id": guitar,
            "ktprr_code": "120000001",
            "school_year": 2026,
            "left_on": "2026-12-01",
            "order_number": "V-45",
            "reason": "own_wish",
        }
    ]
    lists = group_pupils(store.conn, guitar, date(2026, 11, 30))
    assert [m.enrolment_id for m in lists.current] == [enrolment]
    lists = group_pupils(store.conn, guitar, date(2026, 12, 1))
    assert lists.current == []
    assert [m.enrolment_id for m in lists.past] == [enrolment]


def test_the_order_number_is_optional(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    leave(store, enrolment, SEPT_1, "", "contract_ended")  # on the first day itself
    assert events(store, "nvs.enrolment.deregistered")[0][1]["order_number"] is None
    assert enrolment_detail(store.conn, enrolment) is not None


def test_a_second_deregistration_is_refused(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    leave(store, enrolment, date(2026, 12, 1))
    err = refused(store, deregister, enrolment, date(2027, 1, 1), "", "moved", match="already left")
    assert err.params == {"left": "2026-12-01"}


@pytest.mark.parametrize(
    ("left_on", "reason", "order", "match"),
    [
        (date(2026, 9, 30), "moved", "", "before the first day"),
        (date(2026, 12, 1), "bored", "", "from the list"),
        (date(2026, 12, 1), "moved", "V" * 41, "order number is longer"),
        (date(2027, 9, 2), "moved", "", "after the school year ends"),
    ],
)
def test_a_bad_departure_is_refused(
    store: Store, jonas: int, guitar: int, left_on: date, reason: str, order: str, match: str
) -> None:
    enrolment = enrol_now(store, jonas, guitar, date(2026, 10, 1))
    refused(store, deregister, enrolment, left_on, order, reason, match=match)


def test_a_departure_the_day_after_the_school_year_is_taken(
    store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    leave(store, enrolment, date(2027, 9, 1), reason="finished")
    assert group_pupils(store.conn, guitar, date(2027, 8, 31)).current != []


def test_an_unknown_enrolment_is_refused(store: Store) -> None:
    refused(store, deregister, 404, SEPT_1, "", "moved", match="no enrolment")
    refused(store, set_funding, 404, ["state"], match="no enrolment")


# ---------------------------------------------------------------- funding marks


def test_marks_are_added_and_removed_each_with_its_event(
    store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    assert funding(store, enrolment, "state", "basket", "municipal") == FundingChange(
        ("basket", "municipal", "state"), ()
    )
    marked = events(store, "nvs.funding.marked")
    assert [payload["kind"] for _, payload in marked] == ["basket", "municipal", "state"]
    assert marked[0][1] == {
        "enrolment_id": enrolment,
        "pupil_id": jonas,
        "registry_id": "MR-1001",
        "group_id": guitar,
        "ktprr_code": "120000001",
        "school_year": 2026,
        "kind": "basket",
    }
    rows = marks(store, enrolment)
    assert {kind: event_id for kind, (_, event_id, _) in rows.items()} == {
        payload["kind"]: event_id for event_id, payload in marked
    }
    assert {state for state, _, _ in rows.values()} == {"local"}

    assert funding(store, enrolment, "basket", "other") == FundingChange(
        ("other",), ("municipal", "state")
    )
    unmarked = events(store, "nvs.funding.unmarked")
    assert [(p["kind"], p["marked_event_id"]) for _, p in unmarked] == [
        ("municipal", rows["municipal"][1]),
        ("state", rows["state"][1]),
    ]
    assert set(marks(store, enrolment)) == {"basket", "other"}
    before = dump(store)
    assert funding(store, enrolment, "other", "basket").nothing
    assert dump(store) == before


def test_unmark_removes_one_mark(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "basket", "state")
    with store.transaction() as tx:
        assert unmark(tx, enrolment, "basket") == FundingChange((), ("basket",))
    assert set(marks(store, enrolment)) == {"state"}


def test_an_unknown_kind_is_refused(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    refused(store, set_funding, enrolment, ["state", "lottery"], match="not a kind")


def test_the_basket_is_refused_on_a_second_enrolment_naming_the_first(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin)
    funding(store, first, "basket")
    err = refused(store, set_funding, second, ["basket", "state"], match="only one provider")
    assert err.params == {
        "year": "2026–2027",
        "group": "Gitara 1",
        "programme": "Jaunųjų muzikantų studija",
    }
    assert err.where == "kinds"
    funding(store, second, "state", "municipal")  # the other kinds are free


def test_the_unique_index_is_the_second_guard_of_the_basket(
    store: Store, jonas: int, guitar: int, violin: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin)
    funding(store, first, "basket")
    monkeypatch.setattr(writes, "_check_basket", lambda conn, found: None)
    err = refused(store, set_funding, second, ["state", "basket"], match="only one provider")
    assert err.params["group"] == "Gitara 1"


def test_a_rejected_basket_no_longer_blocks_another_enrolment(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin)
    funding(store, first, "basket")
    basket_event = marks(store, first)["basket"][1]
    assert answer(store, basket_event, False, "Krepšelis jau pažymėtas kito teikėjo")
    detail = enrolment_detail(store.conn, first)
    assert detail is not None
    mark = detail.marked("basket")
    assert mark is not None
    assert (mark.state, mark.registry_reason) == (
        "rejected",
        "Krepšelis jau pažymėtas kito teikėjo",
    )
    funding(store, second, "basket")
    assert marks(store, second)["basket"][0] == "local"


def test_an_ended_basket_no_longer_blocks_another_enrolment(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin)
    funding(store, first, "basket")
    leave(store, first, date(2026, 11, 1))
    funding(store, second, "basket")
    assert set(marks(store, second)) == {"basket"}


def test_the_basket_of_another_school_year_or_pupil_does_not_block(
    store: Store, jonas: int, guitar: int, programme: int
) -> None:
    last_year = add_group(store, programme, "Gitara 2025", school_year=2025)
    old = enrol_row(store, jonas, last_year, date(2025, 9, 1), funding=("basket",))
    ula = add_pupil(store, "Ūla", "Šimkutė")
    enrol_row(store, ula, guitar, funding=("basket",))
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "basket")
    assert set(marks(store, old)) == {"basket"}


def test_a_deregistered_enrolment_takes_no_new_marks(store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "municipal")
    leave(store, enrolment, date(2026, 11, 1))
    err = refused(
        store, set_funding, enrolment, ["municipal", "state"], match="takes no new funding marks"
    )
    assert err.params == {"left": "2026-11-01"}
    refused(store, set_funding, enrolment, [], match="kept as they were")
    funding(store, enrolment, "municipal")  # nothing to change is no change


# ---------------------------------------------------------------- the registry's answer


def test_the_registry_accepts_or_rejects_a_mark_by_its_event(
    store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "basket", "state")
    rows = marks(store, enrolment)
    assert answer(store, rows["state"][1], True)
    assert answer(store, rows["basket"][1], False, "  Neatitinka programa  ")
    detail = enrolment_detail(store.conn, enrolment)
    assert detail is not None
    found = {m.kind: (m.state, m.registry_reason) for m in detail.marks}
    assert found == {"basket": ("rejected", "Neatitinka programa"), "state": ("accepted", "")}


def test_an_answer_for_an_unknown_event_changes_nothing(store: Store) -> None:
    before = dump(store)
    assert not answer(store, "no-such-event", True)
    assert dump(store) == before


def test_accepting_a_basket_that_another_enrolment_now_holds_is_refused(
    store: Store, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_now(store, jonas, guitar)
    second = enrol_now(store, jonas, violin)
    funding(store, first, "basket")
    rejected = marks(store, first)["basket"][1]
    answer(store, rejected, False, "kitas teikėjas")
    funding(store, second, "basket")
    before = dump(store)
    with pytest.raises(InputError, match="marked on"), store.transaction(require_event=False) as tx:
        registry_answer(tx, rejected, True, "")
    assert dump(store) == before


# ---------------------------------------------------------------- step 1 and the reads


def test_a_pupil_is_found_by_the_exact_personal_code_and_shown_masked(
    store: Store, jonas: int
) -> None:
    found = find_pupils(store.conn, f" {CODE} ")
    assert found.by_code
    assert [(p.id, p.code_masked) for p in found.pupils] == [(jonas, CODE[:7] + "****")]
    other = personal_code.build(date(2015, 7, 2), "M", 203)
    assert find_pupils(store.conn, other).pupils == []


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("3150702202", "must have 11 digits"),
        ("31507022020", "check digit is wrong"),
        ("3150x022021", "only digits"),
        ("71507022021", "cannot start with"),
    ],
)
def test_a_malformed_personal_code_says_what_is_wrong(
    store: Store, jonas: int, text: str, match: str
) -> None:
    with pytest.raises(InputError) as caught:
        find_pupils(store.conn, text)
    assert match in caught.value.template


def test_a_pupil_is_found_by_name_without_accents_and_only_while_active(
    store: Store, jonas: int
) -> None:
    add_pupil(store, "Jonas", "Žemaitis", active=False)
    ona = add_pupil(store, "Ona", "Žukauskienė")
    assert [p.id for p in find_pupils(store.conn, "zukausk").pupils] == [jonas, ona]
    assert [p.id for p in find_pupils(store.conn, "ŽUKAUSKAS jon").pupils] == [jonas]
    assert [p.id for p in find_pupils(store.conn, "jonas").pupils] == [jonas]
    assert find_pupils(store.conn, "  ").pupils == []
    assert not find_pupils(store.conn, "zukausk").by_code


def test_a_long_name_search_says_there_are_more(store: Store) -> None:
    for number in range(4):
        add_pupil(store, "Jonas", f"Petraitis{'a' * number}")
    found = find_pupils(store.conn, "petrait", limit=3)
    assert len(found.pupils) == 3
    assert found.more


def test_the_enrolment_detail_has_group_programme_contract_and_departure(
    store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_now(store, jonas, guitar)
    funding(store, enrolment, "other", "basket")
    leave(store, enrolment, date(2027, 2, 1), "V-3", "health")
    detail = enrolment_detail(store.conn, enrolment)
    assert detail is not None
    assert (detail.first_name, detail.last_name, detail.class_label) == ("Jonas", "Žukauskas", "5a")
    assert (detail.group.name, detail.group.ktprr_code, detail.group.school_year) == (
        "Gitara 1",
        "120000001",
        2026,
    )
    assert detail.contract == CONTRACT
    assert (detail.left_on, detail.departure_order, detail.departure_reason) == (
        "2027-02-01",
        "V-3",
        "health",
    )
    assert [m.kind for m in detail.marks] == ["basket", "other"]
    assert detail.deregistered
    assert enrolment_detail(store.conn, 404) is None


def test_a_groups_pupils_on_a_day_coming_and_past(store: Store, guitar: int) -> None:
    ona = add_pupil(store, "Ona", "Adomaitė")
    rimas = add_pupil(store, "Rimas", "Butkus")
    vytas = add_pupil(store, "Vytas", "Čepas")
    now = enrol_row(store, ona, guitar, date(2026, 9, 1))
    later = enrol_row(store, rimas, guitar, date(2026, 11, 2))
    gone = enrol_row(store, vytas, guitar, date(2026, 9, 1), left_on=date(2026, 10, 5))
    lists = group_pupils(store.conn, guitar, date(2026, 10, 5))
    assert [m.enrolment_id for m in lists.current] == [now]
    assert [m.enrolment_id for m in lists.coming] == [later]
    assert [m.enrolment_id for m in lists.past] == [gone]
    assert lists.past[0].departure_reason == "own_wish"
    day_before = group_pupils(store.conn, guitar, date(2026, 10, 4))
    assert [m.enrolment_id for m in day_before.current] == [now, gone]
