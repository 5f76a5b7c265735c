"""Enrolment pages (SPEC §4.5, the registry's registration steps 1/3–3/3): find the pupil, enrol
with the first day, group and contract, mark funding with the one-basket rule, deregister, and the
group's pupils. Pages are read in Lithuanian (the default); every refusal shows its reason and
leaves the database exactly as it was.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from club_rows import add_group, add_programme
from club_rows import enrol as enrol_row
from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Level
from emp_edge.domain.school import SchoolClass
from emp_edge.store import Store
from emp_edge.store.enrolments import registry_answer
from emp_edge.store.schools import ensure_class, ensure_school

LEARNING = Area.LEARNING_DATA
BASKET = Area.BASKET
CODE = personal_code.build(date(2015, 7, 2), "M", 202)
MASKED = CODE[:7] + "****"


def add_pupil(
    store: Store, first: str, last: str, code: str | None = None, active: bool = True
) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(5, "a"))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, personal_code, first_name, last_name,"
            " birth_date, class_id, active, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, '2015-07-02', ?, ?, ?, ?)",
            (school, f"MR-{last}", code, first, last, class_id, int(active), now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


@pytest.fixture
def jonas(store: Store) -> int:
    return add_pupil(store, "Jonas", "Žukauskas", CODE)


@pytest.fixture
def guitar(store: Store) -> int:
    programme = add_programme(store, "120000001", "Jaunųjų muzikantų studija")
    return add_group(store, programme, "Gitara 1")


@pytest.fixture
def violin(store: Store) -> int:
    programme = add_programme(store, "120000002", "Styginių ansamblis")
    return add_group(store, programme, "Smuikas 2")


@pytest.fixture
def secretary(app: Flask, store: Store) -> Visitor:
    """Manages learning data and the basket: enrols, marks funding, deregisters."""
    levels = {LEARNING: Level.MANAGER, BASKET: Level.MANAGER}
    make_user(store, "rasa", levels=levels, first_name="Rasa")
    return signed_in(app, "rasa")


def browser_with(app: Flask, store: Store, name: str, levels: dict[Area, Level]) -> Visitor:
    make_user(store, name, levels=levels)
    return signed_in(app, name)


def form(**fields: str) -> dict[str, str]:
    base = {
        "first_day": "2026-10-05",
        "group": "",
        "contract_type": "bilateral",
        "contract_date": "2026-10-01",
        "contract_number": "S-17",
    }
    return {**base, **fields}


def refused(store: Store, browser: Visitor, path: str, data: dict[str, Any], message: str) -> str:
    """Send a bad form: 400, the message on the page, and not one byte written."""
    token = browser.token()
    before = dump(store)
    response = browser.post(path, {**data, "csrf_token": token})
    page = text_of(response)
    assert response.status_code == 400, page
    assert message in page, f"{message!r} not on the page"
    assert dump(store) == before
    return page


def enrolment_of(store: Store, pupil: int, group: int) -> int:
    row = store.conn.execute(
        "SELECT id FROM enrolments WHERE pupil_id = ? AND group_id = ?", (pupil, group)
    ).fetchone()
    assert row is not None
    return int(row[0])


# ---------------------------------------------------------------- the three steps


def test_the_three_steps_in_lithuanian(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    step1 = text_of(secretary.get("/clubs/enrol"))
    assert '<html lang="lt">' in step1
    assert seen(app, "Registration step 1 of 3: find the pupil") in step1

    found = secretary.post("/clubs/enrol", {"q": CODE})
    page = text_of(found)
    assert found.status_code == 200
    assert MASKED in page
    assert CODE not in page  # not even in the search box
    assert f"/clubs/enrol/{jonas}" in page
    assert audit_rows(store, "club.enrol.searched") == [("rasa", "", "by personal code; 1 found")]

    step2 = text_of(secretary.get(f"/clubs/enrol/{jonas}"))
    assert seen(app, "Registration step 2 of 3: arrival and group") in step2
    assert seen(app, "Registration step 3 of 3: the contract") in step2
    assert (
        seen(
            app,
            "Attention! Fill in the contract only for pupils who arrived on 2012-09-01 or later.",
        )
        in step2
    )
    assert "Gitara 1 — Jaunųjų muzikantų studija (120000001), 2026–2027" in step2
    assert MASKED in step2
    assert CODE not in step2

    done = secretary.post(f"/clubs/enrol/{jonas}", form(group=str(guitar)))
    enrolment = enrolment_of(store, jonas, guitar)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/clubs/enrolments/{enrolment}")
    assert [e["first_day"] for e in events(store, "nvs.enrolment.registered")] == ["2026-10-05"]
    assert audit_rows(store, "club.enrolment.registered") == [
        ("rasa", f"enrolment:{enrolment}", f"pupil:{jonas}; group:{guitar}; first_day=2026-10-05")
    ]
    shown = text_of(secretary.get(done.headers["Location"]))
    assert (
        seen(app, "%(pupil)s is enrolled in the group %(group)s from %(day)s.")
        .replace("%(pupil)s", "Jonas Žukauskas")
        .replace("%(group)s", "Gitara 1")
        .replace("%(day)s", "2026-10-05")
        in shown
    )
    assert "S-17" in shown
    assert seen(app, "bilateral learning contract") in shown


def test_a_pupil_is_found_by_name_without_lithuanian_letters(
    app: Flask, store: Store, secretary: Visitor, jonas: int
) -> None:
    add_pupil(store, "Jonas", "Žukaitis", active=False)
    page = text_of(secretary.post("/clubs/enrol", {"q": "zukausk"}))
    assert "Žukauskas Jonas" in page
    assert "Žukaitis" not in page  # left the school
    assert audit_rows(store, "club.enrol.searched") == [("rasa", "", "names: zukausk; 1 found")]
    nobody = text_of(secretary.post("/clubs/enrol", {"q": "petraitis"}))
    assert seen(app, "No pupil at school matches this name.") in nobody


def test_a_malformed_personal_code_says_what_is_wrong(
    app: Flask, store: Store, secretary: Visitor, jonas: int
) -> None:
    wrong = CODE[:10] + str((int(CODE[10]) + 1) % 10)
    before = dump(store)
    response = secretary.post("/clubs/enrol", {"q": wrong})
    assert response.status_code == 400
    message = seen(
        app,
        "personal code check digit is wrong: expected {expected}, found {found}",
        expected=int(CODE[10]),
        found=int(wrong[10]),
    )
    assert message in text_of(response)
    assert dump(store) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contract_number": ""}, "the contract number is required for arrivals from 2012-09-01"),
        ({"contract_type": ""}, "the contract type is required for arrivals from 2012-09-01"),
        ({"contract_date": ""}, "the contract date is required for arrivals from 2012-09-01"),
        ({"first_day": ""}, "Enter the first day of learning."),
        ({"first_day": "2026-13-01"}, "Enter the date as yyyy-mm-dd, e.g. 2026-09-01."),
    ],
)
def test_bad_steps_2_and_3_are_refused_with_the_reason(
    app: Flask,
    store: Store,
    secretary: Visitor,
    jonas: int,
    guitar: int,
    fields: dict[str, str],
    message: str,
) -> None:
    refused(
        store,
        secretary,
        f"/clubs/enrol/{jonas}",
        form(group=str(guitar), **fields),
        seen(app, message),
    )


def test_a_first_day_before_the_school_year_is_refused(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    message = seen(
        app,
        "the first day {day} is before the school year begins ({begins})",
        day="2026-08-31",
        begins="2026-09-01",
    )
    page = refused(
        store,
        secretary,
        f"/clubs/enrol/{jonas}",
        form(group=str(guitar), first_day="2026-08-31"),
        message,
    )
    assert 'data-error-for="first_day"' in page


def test_a_group_must_be_chosen_and_exist(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    path = f"/clubs/enrol/{jonas}"
    refused(store, secretary, path, form(group=""), seen(app, "Choose the group."))
    refused(store, secretary, path, form(group="999"), seen(app, "choose the group from the list"))


def test_a_second_enrolment_in_the_same_group_is_refused(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    enrol_row(store, jonas, guitar, date(2026, 9, 1))
    refused(
        store,
        secretary,
        f"/clubs/enrol/{jonas}",
        form(group=str(guitar)),
        seen(app, "the pupil is already in this group from {first}", first="2026-09-01"),
    )


# ---------------------------------------------------------------- funding marks


def test_funding_marks_and_the_one_basket_rule(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_row(store, jonas, guitar)
    second = enrol_row(store, jonas, violin)
    response = secretary.post(
        f"/clubs/enrolments/{first}/funding", {"kinds": ["basket", "municipal"]}
    )
    assert response.status_code == 302
    assert [e["kind"] for e in events(store, "nvs.funding.marked")] == ["basket", "municipal"]
    assert audit_rows(store, "club.funding.changed") == [
        ("rasa", f"enrolment:{first}", "added: basket,municipal; removed: -")
    ]
    page = text_of(secretary.get(f"/clubs/enrolments/{first}"))
    assert seen(app, "not yet confirmed by the registry") in page
    assert re.search(r'id="kind-basket" name="kinds" value="basket" checked', page)

    message = seen(
        app,
        "the pupil's NVŠ basket for the school year {year} is already marked in the group"
        " {group} ({programme}): only one provider may mark it",
        year="2026–2027",
        group="Gitara 1",
        programme="Jaunųjų muzikantų studija",
    )
    page = refused(
        store,
        secretary,
        f"/clubs/enrolments/{second}/funding",
        {"kinds": ["basket", "state"]},
        message,
    )
    assert seen(app, "Nothing was saved:") in page


def test_a_rejected_basket_is_shown_with_the_registrys_reason_and_frees_the_basket(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int, violin: int
) -> None:
    first = enrol_row(store, jonas, guitar)
    second = enrol_row(store, jonas, violin)
    secretary.post(f"/clubs/enrolments/{first}/funding", {"kinds": ["basket"]})
    event_id = store.conn.execute(
        "SELECT event_id FROM funding_marks WHERE enrolment_id = ?", (first,)
    ).fetchone()[0]
    with store.transaction(require_event=False) as tx:
        assert registry_answer(tx, event_id, False, "Krepšelį jau pažymėjo kitas teikėjas")
    page = text_of(secretary.get(f"/clubs/enrolments/{first}"))
    assert seen(app, "rejected by the registry") in page
    assert "Krepšelį jau pažymėjo kitas teikėjas" in page
    assert 'data-test="unmark-form"' in page

    moved = secretary.post(f"/clubs/enrolments/{second}/funding", {"kinds": ["basket"]})
    assert moved.status_code == 302
    removed = secretary.post(f"/clubs/enrolments/{first}/unmark", {"kind": "basket"})
    assert removed.status_code == 302
    assert [e["kind"] for e in events(store, "nvs.funding.unmarked")] == ["basket"]
    assert store.conn.execute(
        "SELECT enrolment_id FROM funding_marks WHERE kind = 'basket'"
    ).fetchall() == [(second,)]


def test_the_basket_is_hidden_from_those_without_the_basket_right(
    app: Flask, store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_row(store, jonas, guitar, funding=("basket", "municipal"))
    basket = seen(app, "NVŠ targeted funding (the basket)")
    municipal = seen(app, "municipal funds")

    teacher = browser_with(app, store, "vida", {LEARNING: Level.MANAGER})
    page = text_of(teacher.get(f"/clubs/enrolments/{enrolment}"))
    assert municipal in page
    assert basket not in page
    assert 'data-test="funding-form"' not in page
    assert 'data-mark="basket"' not in page

    counter = browser_with(app, store, "ona", {LEARNING: Level.VIEWER, BASKET: Level.VIEWER})
    page = text_of(counter.get(f"/clubs/enrolments/{enrolment}"))
    assert basket in page
    assert 'data-mark="basket"' in page
    assert 'data-test="funding-form"' not in page
    assert 'data-test="deregister-form"' not in page


# ---------------------------------------------------------------- deregistration


def test_deregistration_moves_the_pupil_to_the_groups_history(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    enrolment = enrol_row(store, jonas, guitar, date(2026, 9, 1), funding=("municipal",))
    response = secretary.post(
        f"/clubs/enrolments/{enrolment}/deregister",
        {"left_on": "2026-10-05", "order_number": "V-45", "reason": "moved"},
    )
    assert response.status_code == 302
    assert events(store, "nvs.enrolment.deregistered")[0]["reason"] == "moved"
    assert audit_rows(store, "club.enrolment.deregistered") == [
        ("rasa", f"enrolment:{enrolment}", f"pupil:{jonas}; left_on=2026-10-05; reason=moved")
    ]
    page = text_of(secretary.get(f"/clubs/enrolments/{enrolment}"))
    assert seen(app, "moved away") in page
    assert "V-45" in page
    assert 'data-test="deregister-form"' not in page
    assert 'data-test="funding-form"' not in page

    lists = text_of(secretary.get(f"/clubs/groups/{guitar}/pupils"))
    current = lists.split('data-test="current-section"')[1].split('data-test="past-section"')[0]
    past = lists.split('data-test="past-section"')[1]
    assert "Žukauskas" not in current
    assert "Žukauskas Jonas" in past
    before = text_of(secretary.get(f"/clubs/groups/{guitar}/pupils?day=2026-10-04"))
    assert "Žukauskas Jonas" in before.split('data-test="past-section"')[0]

    refused(
        store,
        secretary,
        f"/clubs/enrolments/{enrolment}/funding",
        {"kinds": ["municipal", "state"]},
        seen(
            app,
            "the pupil left this group on {left}: a deregistered pupil takes no new funding marks",
            left="2026-10-05",
        ),
    )


@pytest.mark.parametrize(
    ("fields", "message", "params"),
    [
        (
            {"left_on": "2026-08-31", "reason": "moved"},
            "the departure date {left} is before the first day {day}",
            {"left": "2026-08-31", "day": "2026-09-01"},
        ),
        (
            {"left_on": "2026-10-05", "reason": ""},
            "choose the reason for leaving from the list",
            {},
        ),
        ({"left_on": "", "reason": "moved"}, "Enter the departure date.", {}),
        (
            {"left_on": "2027-09-02", "reason": "moved"},
            "the departure date {left} is after the school year ends ({ends})",
            {"left": "2027-09-02", "ends": "2027-08-31"},
        ),
    ],
)
def test_a_bad_deregistration_is_refused_with_the_reason(
    app: Flask,
    store: Store,
    secretary: Visitor,
    jonas: int,
    guitar: int,
    fields: dict[str, str],
    message: str,
    params: dict[str, str],
) -> None:
    enrolment = enrol_row(store, jonas, guitar, date(2026, 9, 1))
    refused(
        store,
        secretary,
        f"/clubs/enrolments/{enrolment}/deregister",
        {"order_number": "", **fields},
        seen(app, message, **params),
    )


# ---------------------------------------------------------------- who may


def test_viewers_see_but_do_not_change(app: Flask, store: Store, jonas: int, guitar: int) -> None:
    enrolment = enrol_row(store, jonas, guitar)
    viewer = browser_with(app, store, "vida", {LEARNING: Level.VIEWER})
    assert viewer.get(f"/clubs/enrolments/{enrolment}").status_code == 200
    assert viewer.get(f"/clubs/groups/{guitar}/pupils").status_code == 200
    before = dump(store)
    assert viewer.get("/clubs/enrol").status_code == 403
    assert viewer.get(f"/clubs/enrol/{jonas}").status_code == 403
    assert viewer.post(f"/clubs/enrol/{jonas}", form(group=str(guitar))).status_code == 403
    deregister = {"left_on": "2026-10-05", "reason": "moved"}
    assert viewer.post(f"/clubs/enrolments/{enrolment}/deregister", deregister).status_code == 403
    funding = {"kinds": ["state"]}
    assert viewer.post(f"/clubs/enrolments/{enrolment}/funding", funding).status_code == 403
    assert dump(store) == before


def test_funding_marks_need_the_basket_manager(
    app: Flask, store: Store, jonas: int, guitar: int
) -> None:
    enrolment = enrol_row(store, jonas, guitar)
    teacher = browser_with(app, store, "vida", {LEARNING: Level.MANAGER, BASKET: Level.VIEWER})
    before = dump(store)
    funding = {"kinds": ["state"]}
    assert teacher.post(f"/clubs/enrolments/{enrolment}/funding", funding).status_code == 403
    assert teacher.post(f"/clubs/enrolments/{enrolment}/unmark", {"kind": "x"}).status_code == 403
    assert dump(store) == before


def test_pages_that_show_pupils_are_audited(
    app: Flask, store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    enrolment = enrol_row(store, jonas, guitar)
    secretary.get(f"/clubs/enrolments/{enrolment}")
    secretary.get(f"/clubs/groups/{guitar}/pupils?day=2026-10-01")
    secretary.get(f"/clubs/enrol/{jonas}")
    assert audit_rows(store, "club.enrolment.viewed") == [
        ("rasa", f"enrolment:{enrolment}", f"pupil:{jonas}")
    ]
    assert audit_rows(store, "club.group.pupils_viewed") == [
        ("rasa", f"group:{guitar}", "on 2026-10-01")
    ]
    assert audit_rows(store, "club.enrol.opened") == [("rasa", f"pupil:{jonas}", "")]
    all_details = store.conn.execute("SELECT group_concat(detail) FROM audit_log").fetchone()[0]
    assert CODE not in (all_details or "")


def test_unknown_things_are_not_found(store: Store, secretary: Visitor) -> None:
    assert secretary.get("/clubs/enrolments/404").status_code == 404
    assert secretary.get("/clubs/groups/404/pupils").status_code == 404
    assert secretary.get("/clubs/enrol/404").status_code == 404


def test_messages_follow_the_users_language(
    store: Store, secretary: Visitor, jonas: int, guitar: int
) -> None:
    secretary.post("/language", {"language": "en", "back": "/"})
    response = secretary.post(f"/clubs/enrol/{jonas}", form(group=str(guitar), contract_number=""))
    assert response.status_code == 400
    assert "the contract number is required for arrivals from 2012-09-01" in text_of(response)
    assert '<html lang="en">' in text_of(response)


def test_the_pupils_page_lists_every_group_for_learning_data_viewers(
    app: Flask, store: Store, jonas: int, guitar: int, violin: int
) -> None:
    gone = enrol_row(store, jonas, guitar, date(2026, 9, 1), left_on=date(2026, 10, 1))
    now = enrol_row(store, jonas, violin, date(2026, 9, 15))
    both = browser_with(
        app, store, "vida", {Area.PERSONAL_DATA: Level.VIEWER, LEARNING: Level.MANAGER}
    )
    page = text_of(both.get(f"/pupils/{jonas}"))
    assert f'href="/clubs/enrolments/{gone}"' in page
    assert f'href="/clubs/enrolments/{now}"' in page
    assert "2026-10-01" in page
    assert f'href="/clubs/enrol/{jonas}"' in page
    personal_only = browser_with(app, store, "ona", {Area.PERSONAL_DATA: Level.VIEWER})
    page = text_of(personal_only.get(f"/pupils/{jonas}"))
    assert "Smuikas 2" in page
    assert "Gitara 1" not in page  # the personal-data page alone shows groups not yet ended
    assert "/clubs/enrolments/" not in page
