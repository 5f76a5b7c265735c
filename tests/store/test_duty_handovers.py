"""Handovers of the card duty (§51) on a real SQLite file."""

from __future__ import annotations

import json
from datetime import date

import pytest

from card_rows import add_issued_card, add_school_pupil
from emp_edge.domain.card_station import blank_range
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.accounts import Details, NewUser, add_user, set_disabled
from emp_edge.store.blank_stock import receive_batch
from emp_edge.store.duty_handovers import duty_counts, handovers, record_handover


def employee(
    store: Store,
    username: str,
    first: str,
    last: str,
    *,
    valid_from: date = date(2025, 9, 1),
    valid_to: date | None = None,
) -> int:
    details = Details(first_name=first, last_name=last, valid_from=valid_from, valid_to=valid_to)
    with store.transaction() as tx:
        return add_user(tx, NewUser(username=username, password="Slaptažodis-123", details=details))


@pytest.fixture
def people(store: Store) -> tuple[int, int]:
    return (
        employee(store, "ona", "Ona", "Žukauskienė"),
        employee(store, "jurgis", "Jurgis", "Čepulis"),
    )


def hand_over(
    store: Store,
    from_user: int,
    to_user: int,
    on: date = date(2026, 10, 1),
    order: str = "V-45",
    note: str = "",
) -> int:
    with store.transaction() as tx:
        return record_handover(tx, from_user, to_user, on, order, note, user_id=from_user)


def dump(store: Store) -> list[str]:
    return list(store.conn.iterdump())


def test_a_handover_counts_the_unissued_cards_and_blanks_in_stock(
    store: Store, people: tuple[int, int]
) -> None:
    ona, jurgis = people
    for n in range(2):
        pupil = add_school_pupil(store, "Mokinys", f"Nr{n}")
        add_issued_card(store, pupil, issued_on=None, state="personalised")
    add_issued_card(store, add_school_pupil(store, "Išduota", "Kortelė"))  # issued: not counted
    with store.transaction() as tx:
        receive_batch(tx, blank_range("EMP000001", "EMP000010"), date(2026, 9, 1), "", user_id=None)
        tx.execute("UPDATE blanks SET state = 'used' WHERE blank_number = 'EMP000001'")
    assert duty_counts(store.conn).unissued_cards == 2

    handover_id = hand_over(store, ona, jurgis, note="Žurnalai: 2 vnt., raktas nuo seifo")

    [h] = handovers(store.conn)
    assert (h.id, h.handed_on, h.from_name, h.to_name) == (
        handover_id,
        date(2026, 10, 1),
        "Ona Žukauskienė",
        "Jurgis Čepulis",
    )
    assert (h.director_order, h.unissued_cards, h.blanks_in_stock) == ("V-45", 2, 9)
    assert h.note == "Žurnalai: 2 vnt., raktas nuo seifo"
    [payload] = [
        json.loads(p)
        for (p,) in store.conn.execute(
            "SELECT payload FROM outbox WHERE type = 'card_duty.handed_over'"
        )
    ]
    assert payload == {
        "handover_id": handover_id,
        "handed_on": "2026-10-01",
        "from_user": ona,
        "to_user": jurgis,
        "unissued_cards": 2,
        "blanks_in_stock": 9,
    }


def test_handovers_are_listed_latest_first(store: Store, people: tuple[int, int]) -> None:
    ona, jurgis = people
    first = hand_over(store, ona, jurgis, on=date(2026, 9, 1))
    back = hand_over(store, jurgis, ona, on=date(2026, 10, 2))
    assert [h.id for h in handovers(store.conn)] == [back, first]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"to_user": "same"}, "to_user"),
        ({"to_user": 999}, "to_user"),
        ({"from_user": 999}, "from_user"),
        ({"on": date(2026, 10, 6)}, "handed_on"),  # the clock: 2026-10-05
        ({"order": "  "}, "director_order"),
        ({"order": "V" * 41}, "director_order"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_handovers_are_refused_naming_the_field(
    store: Store, people: tuple[int, int], change: dict[str, object], where: str
) -> None:
    ona, jurgis = people
    args: dict[str, object] = {"from_user": ona, "to_user": jurgis, **change}
    if args["to_user"] == "same":
        args["to_user"] = ona
    before = dump(store)
    with pytest.raises(InputError) as refused:
        hand_over(store, **args)  # type: ignore[arg-type]
    assert refused.value.where == where
    assert dump(store) == before


def test_both_employees_must_be_valid_on_the_day(store: Store, people: tuple[int, int]) -> None:
    ona, _ = people
    newcomer = employee(store, "rasa", "Rasa", "Ūselė", valid_from=date(2026, 10, 1))
    gone = employee(store, "petras", "Petras", "Išėjęs", valid_to=date(2026, 9, 15))

    with pytest.raises(InputError) as early:
        hand_over(store, ona, newcomer, on=date(2026, 9, 30))
    assert early.value.where == "to_user"
    assert early.value.params == {"name": "Rasa Ūselė", "day": "2026-09-30"}
    with pytest.raises(InputError) as late:
        hand_over(store, gone, ona, on=date(2026, 9, 16))
    assert late.value.where == "from_user"

    hand_over(store, ona, newcomer, on=date(2026, 10, 1))
    hand_over(store, gone, ona, on=date(2026, 9, 15))  # the last valid day
    assert len(handovers(store.conn)) == 2


def test_the_one_taking_over_must_not_be_disabled(store: Store, people: tuple[int, int]) -> None:
    ona, jurgis = people
    with store.transaction() as tx:
        set_disabled(tx, jurgis, True)
    with pytest.raises(InputError) as refused:
        hand_over(store, ona, jurgis)
    assert refused.value.where == "to_user"
    hand_over(store, jurgis, ona)  # one who has left may still have handed over
