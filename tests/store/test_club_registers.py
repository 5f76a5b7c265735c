"""The registry's six lists of the clubs, each against a hand-made school year, with its filters."""

from __future__ import annotations

from datetime import date

import pytest

from club_school import school_year
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.club_registers import (
    arrivals,
    basket_recipients,
    clubs_attended,
    departures,
    groups,
    learners,
    matches,
    municipalities,
    schools,
)

YEAR = 2026
OCT_5 = date(2026, 10, 5)


# ---------------------------------------------------------------- groups


def test_groups_by_purpose_and_programme_with_who_is_enrolled(store: Store) -> None:
    y = school_year(store)
    rows = groups(store.conn, YEAR, OCT_5)
    assert [(r.purpose, r.programme_name, r.group_name) for r in rows] == [
        ("Neformaliojo vaikų švietimo programos", "Dailės studija", "Tapyba"),
        ("Neformaliojo vaikų švietimo programos", "Jaunųjų muzikantų studija", "Fortepijonas"),
        ("Neformaliojo vaikų švietimo programos", "Jaunųjų muzikantų studija", "Gitara 1"),
        ("Neformaliojo vaikų švietimo programos", "Vokalo studija", "Choras"),
        ("Neformaliojo vaikų švietimo programos, papildančios formalųjį švietimą",
         "Krepšinio mokykla", "Krepšinis"),
    ]  # fmt: skip
    guitar = next(r for r in rows if r.group_id == y.guitar)
    assert guitar.programme_code == "120000001"
    assert guitar.sub_directions == ["Gitara"]
    assert guitar.leaders == ["Žilvinas Ąžuolas", "Rūta Mockutė"]  # by last name: Ą before M
    assert guitar.enrolled == 1  # Jonas left on 1 October
    assert {r.group_id: r.enrolled for r in groups(store.conn, YEAR, date(2026, 9, 10))} == {
        y.guitar: 2,
        y.piano: 0,
        y.basketball: 0,  # Aistė from the 15th
        y.painting: 1,
        y.choir: 0,
    }
    assert [r.group_name for r in groups(store.conn, 2025, date(2026, 5, 1))] == ["Gitara 1"]


# ---------------------------------------------------------------- learners, arrivals, departures


def test_learners_on_a_day(store: Store) -> None:
    y = school_year(store)
    rows = learners(store.conn, YEAR, OCT_5)
    assert [(e.name, e.group_name) for e in rows] == [
        ("Aistė Jonaitytė", "Gitara 1"),
        ("Aistė Jonaitytė", "Krepšinis"),
        ("Šarūnas Šimkus", "Fortepijonas"),
        ("Ūla Žemaitytė", "Tapyba"),
        ("Ūla Žemaitytė", "Choras"),
    ]
    aiste = rows[0]
    assert (aiste.pupil_id, aiste.birth_date, aiste.class_label, aiste.school) == (
        y.aiste,
        "2015-03-04",
        "5b",
        "Šaltinio progimnazija",
    )
    assert rows[3].class_label == ""
    on_sept_30 = {e.name for e in learners(store.conn, YEAR, date(2026, 9, 30))}
    assert "Jonas Petraitis" in on_sept_30  # the day before his departure date
    with pytest.raises(InputError, match="is not in the school year 2026–2027"):
        learners(store.conn, YEAR, date(2026, 8, 31))


def test_arrivals_in_a_period_with_their_contracts(store: Store) -> None:
    school_year(store)
    (arrival,) = arrivals(store.conn, YEAR, date(2026, 10, 1), date(2026, 10, 31))
    assert (arrival.name, arrival.group_name, arrival.first_day) == (
        "Šarūnas Šimkus",
        "Fortepijonas",
        "2026-10-02",
    )
    assert (arrival.contract_type, arrival.contract_date, arrival.contract_number) == (
        "bilateral",
        "2026-10-02",
        "S-2026/7",
    )
    whole = arrivals(store.conn, YEAR, date(2026, 9, 1), date(2027, 8, 31))
    assert len(whole) == 6  # every enrolment of 2026–2027, none of the year before
    assert len(arrivals(store.conn, YEAR, date(2026, 10, 2), date(2026, 10, 2))) == 1  # both ends


def test_departures_in_a_period_with_order_and_reason(store: Store) -> None:
    y = school_year(store)
    (left,) = departures(store.conn, YEAR, date(2026, 9, 1), date(2027, 8, 31))
    assert (left.pupil_id, left.left_on, left.departure_order, left.departure_reason) == (
        y.jonas,
        "2026-10-01",
        "V-15",
        "own_wish",
    )
    assert departures(store.conn, YEAR, date(2026, 10, 2), date(2026, 12, 31)) == []
    with pytest.raises(InputError, match="the period ends"):
        departures(store.conn, YEAR, date(2026, 10, 2), date(2026, 10, 1))


# ---------------------------------------------------------------- basket


def test_basket_recipients_with_the_municipality_of_their_school(store: Store) -> None:
    y = school_year(store)
    rows = basket_recipients(store.conn, YEAR)
    # Šarūnas's mark was rejected (another provider marks his basket); Vytas's is last year's
    assert [(r.enrolled.pupil_id, r.enrolled.municipality, r.state) for r in rows] == [
        (y.aiste, "Vilniaus miesto savivaldybė", "local"),
        (y.jonas, "Kauno miesto savivaldybė", "accepted"),
    ]
    assert rows[1].enrolled.left_on == "2026-10-01"  # he had the basket until he left
    assert rows[0].enrolled.programme_name == "Jaunųjų muzikantų studija"
    kaunas = basket_recipients(store.conn, YEAR, "Kauno miesto savivaldybė")
    assert [r.enrolled.pupil_id for r in kaunas] == [y.jonas]
    assert municipalities(store.conn) == ["Kauno miesto savivaldybė", "Vilniaus miesto savivaldybė"]


# ---------------------------------------------------------------- clubs attended


def attended(store: Store, **kwargs: object) -> list[tuple[str, str]]:
    rows = clubs_attended(store.conn, YEAR, OCT_5, **kwargs)  # type: ignore[arg-type]
    return [(r.enrolled.name, r.enrolled.group_name) for r in rows]


def test_clubs_attended_by_the_pupils_of_a_school(store: Store) -> None:
    y = school_year(store)
    assert len(attended(store)) == 5
    assert attended(store, school_id=y.vilnius_school) == [
        ("Aistė Jonaitytė", "Gitara 1"),
        ("Aistė Jonaitytė", "Krepšinis"),
        ("Šarūnas Šimkus", "Fortepijonas"),
    ]
    (row, *_) = clubs_attended(store.conn, YEAR, OCT_5, school_id=y.vilnius_school)
    assert (row.directions, row.sub_directions) == (["Muzika"], ["Gitara"])
    assert [s.name for s in schools(store.conn)] == ["Ąžuolyno gimnazija", "Šaltinio progimnazija"]


def test_directions_and_sub_directions_narrow_the_clubs(store: Store) -> None:
    school_year(store)
    music = [
        ("Aistė Jonaitytė", "Gitara 1"),
        ("Šarūnas Šimkus", "Fortepijonas"),
        ("Ūla Žemaitytė", "Choras"),  # its programme names no direction; its sub-direction does
    ]
    assert attended(store, directions=["muzika"]) == music
    assert attended(store, directions=["muzika"], sub_directions=["muzika.gitara"]) == [
        ("Aistė Jonaitytė", "Gitara 1")
    ]
    assert attended(store, sub_directions=["sportas.krepsinis"]) == [
        ("Aistė Jonaitytė", "Krepšinis")
    ]
    assert attended(store, directions=["daile"], sub_directions=["muzika.fortepijonas"]) == [
        ("Šarūnas Šimkus", "Fortepijonas"),
        ("Ūla Žemaitytė", "Tapyba"),
    ]
    assert attended(store, directions=["teatras"]) == []


def test_the_direction_rule() -> None:
    parents = {"muzika.gitara": "muzika", "muzika.smuikas": "muzika", "sportas.futbolas": "sportas"}
    guitar = (["muzika"], ["muzika.gitara"])
    assert matches(*guitar, [], [], parents)
    assert matches(*guitar, ["muzika"], [], parents)
    assert not matches(*guitar, ["muzika"], ["muzika.smuikas"], parents)  # narrowed to violins
    assert matches(*guitar, ["muzika"], ["sportas.futbolas"], parents)  # football narrows sport
    assert not matches(*guitar, ["sportas"], [], parents)
