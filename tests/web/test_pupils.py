"""The pupils list and a pupil's page: accent-free search, masked codes, the audit of every view."""

from __future__ import annotations

import csv
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from visitor import Visitor, make_user, signed_in

from emp_edge.demo_school import make_classlist
from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Level
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store

PD = Area.PERSONAL_DATA
SCHOOL = School("190000001", "Šaltinio progimnazija")
HEADER = ["Pavardė", "Vardas", "Asmens kodas", "Gimimo data", "Klasė"]
JONAS = personal_code.build(date(2015, 7, 2), "M", 202)
PUPILS = [
    ["Žukauskas", "Jonas", JONAS, "2015-07-02", "5a"],
    ["Žukauskaitė", "Ąžuolė", personal_code.build(date(2019, 3, 14), "F", 101), "2019-03-14", "1a"],
    ["Šimkus", "Jokūbas", personal_code.build(date(2015, 5, 1), "M", 303), "2015-05-01", "5 B"],
    ["Čepulytė", "Eglė", personal_code.build(date(2011, 11, 30), "F", 404), "2011-11-30", "IIa"],
]


def write_list(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def school(store: Store, tmp_path: Path) -> dict[str, int]:
    """The four pupils above, imported; their ids by last name."""
    report = import_classlist(store, write_list(tmp_path / "list.csv", PUPILS), SCHOOL)
    assert report.ok, report.errors
    return dict(store.conn.execute("SELECT last_name, id FROM pupils").fetchall())


@pytest.fixture
def viewer(app: Flask, store: Store) -> Visitor:
    make_user(store, "ona", levels={PD: Level.VIEWER})
    return signed_in(app, "ona")


@pytest.fixture
def manager(app: Flask, store: Store) -> Visitor:
    make_user(store, "rasa", levels={PD: Level.MANAGER})
    return signed_in(app, "rasa")


def names_listed(page: str) -> list[str]:
    """Last names in the table, in order."""
    return re.findall(r'<a href="/pupils/\d+">(\S+) ', page)


def listed(browser: Visitor, query: str) -> list[str]:
    response = browser.get("/pupils/", query_string={"q": query})
    assert response.status_code == 200
    return names_listed(response.get_data(as_text=True))


def audit_rows(store: Store) -> list[tuple[str, ...]]:
    return store.conn.execute(
        "SELECT actor, action, subject, detail, source FROM audit_log ORDER BY id"
    ).fetchall()


@pytest.mark.usefixtures("school")
def test_search_ignores_accents_and_case(viewer: Visitor) -> None:
    assert listed(viewer, "zukauskas") == ["Žukauskas"]
    assert sorted(listed(viewer, "ŽUK")) == ["Žukauskaitė", "Žukauskas"]
    assert listed(viewer, "zuk jon") == ["Žukauskas"]  # every word must match
    assert listed(viewer, "egle") == ["Čepulytė"]  # first names too
    assert listed(viewer, "nobody") == []


@pytest.mark.usefixtures("school")
def test_a_word_that_is_a_class_picks_the_class(viewer: Visitor) -> None:
    assert listed(viewer, "5a") == ["Žukauskas"]
    assert listed(viewer, "5 A") == ["Žukauskas"]
    assert listed(viewer, "5b") == ["Šimkus"]
    assert sorted(listed(viewer, "5")) == ["Šimkus", "Žukauskas"]
    assert listed(viewer, "IIa") == ["Čepulytė"]
    assert listed(viewer, "10a") == ["Čepulytė"]  # IIa is grade 10
    assert listed(viewer, "zuk 1a") == ["Žukauskaitė"]


@pytest.mark.usefixtures("school")
def test_empty_search_lists_active_pupils_by_class_then_name(
    viewer: Visitor, store: Store, school: dict[str, int]
) -> None:
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET active = 0 WHERE id = ?", (school["Šimkus"],))
        tx.emit("test.pupil_left", {"pupil_id": school["Šimkus"]})
    page = viewer.get("/pupils/").get_data(as_text=True)
    assert names_listed(page) == ["Žukauskaitė", "Žukauskas", "Čepulytė"]  # 1a, 5a, IIa
    assert "2015-07-02" in page
    assert personal_code.mask(JONAS) in page
    assert JONAS not in page


def test_the_list_is_paged_with_its_total(
    viewer: Visitor, store: Store, services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "demo.csv"
    make_classlist(path, pupils=120, school_year=2026)
    assert import_classlist(store, path, SCHOOL).ok
    first = viewer.get("/pupils/").get_data(as_text=True)
    assert "120" in first
    assert len(names_listed(first)) == 50
    last = viewer.get("/pupils/?page=3").get_data(as_text=True)
    assert len(names_listed(last)) == 20
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    assert viewer.get("/pupils/?page=99999999999999999999").status_code == 200


def test_viewer_sees_the_code_masked_and_manager_in_full(
    viewer: Visitor, manager: Visitor, school: dict[str, int], store: Store
) -> None:
    url = f"/pupils/{school['Žukauskas']}"
    seen_by_viewer = viewer.get(url).get_data(as_text=True)
    assert personal_code.mask(JONAS) in seen_by_viewer
    assert JONAS not in seen_by_viewer
    seen_by_manager = manager.get(url).get_data(as_text=True)
    assert JONAS in seen_by_manager
    views = [r for r in audit_rows(store) if r[1] == "pupil.viewed"]
    assert [(r[0], r[2], r[3]) for r in views] == [
        ("ona", f"pupil:{school['Žukauskas']}", ""),
        ("rasa", f"pupil:{school['Žukauskas']}", "code shown"),
    ]


def test_every_view_is_audited_without_personal_codes(
    viewer: Visitor, school: dict[str, int], store: Store
) -> None:
    viewer.get("/pupils/")
    viewer.get("/pupils/", query_string={"q": "žuk"})
    viewer.get("/pupils/", query_string={"q": JONAS})  # someone types a code in the box
    viewer.get("/pupils/", query_string={"q": f"jonas {JONAS[7:]}"})
    viewer.get(f"/pupils/{school['Žukauskas']}")
    rows = audit_rows(store)
    listed_rows = [r for r in rows if r[1] == "pupils.listed"]
    assert len(listed_rows) == 4
    assert all(r[0] == "ona" for r in listed_rows)
    assert "žuk" in listed_rows[1][3]
    assert "jonas" in listed_rows[3][3]
    assert [r[2] for r in rows if r[1] == "pupil.viewed"] == [f"pupil:{school['Žukauskas']}"]
    for row in rows:
        text = " ".join(row)
        assert JONAS not in text
        assert JONAS[7:] not in text, row  # not even the part a masked code hides
    for full_row in store.conn.execute("SELECT * FROM audit_log"):
        assert all(JONAS not in str(value) for value in full_row)


@pytest.mark.usefixtures("school")
def test_unknown_pupil_is_a_404_page(viewer: Visitor) -> None:
    response = viewer.get("/pupils/999999")
    assert response.status_code == 404
    assert 'data-status="404"' in response.get_data(as_text=True)


def test_pupil_page_shows_cards_balance_clubs_and_meals(
    viewer: Visitor, school: dict[str, int], store: Store
) -> None:
    pupil = school["Žukauskas"]
    with store.transaction() as tx:
        now = tx.now()
        tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid, barcode,"
            " registration_number, valid_until, created_at, updated_at)"
            " VALUES (?, 'issued', '2026-09-10', 'parent', '04a1b2c3d4e5f6', 'LT0001234',"
            " 'R-2026-17', '2030-08-31', ?, ?)",
            (pupil, now, now),
        )
        for kind, cents in (("topup", 2000), ("sale", -750)):
            tx.execute(
                "INSERT INTO ledger (pupil_id, kind, amount_cents, at, event_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (pupil, kind, cents, now, str(uuid.uuid4())),
            )
        tx.execute(
            "INSERT INTO programmes (ktprr_code, name, purpose)"
            " VALUES ('120100123', 'Fortepijonas', 'nvs')"
        )
        tx.execute(
            "INSERT INTO club_groups (programme_id, school_year, name)"
            " VALUES (1, 2026, 'Pradinukai')"
        )
        tx.execute(
            "INSERT INTO enrolments (pupil_id, group_id, first_day, created_at)"
            " VALUES (?, 1, '2026-09-15', ?)",
            (pupil, now),
        )
        tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source,"
            " created_at) VALUES (?, 'lunch', '2026-09-01', '2027-06-30', 'registry', ?)",
            (pupil, now),
        )
        tx.emit("test.pupil_data", {"pupil_id": pupil})
    page = viewer.get(f"/pupils/{pupil}").get_data(as_text=True)
    assert "12,50 €" in page
    assert "LT0001234" in page
    assert "R-2026-17" in page
    assert "2030-08-31" in page
    assert "E5F6" in page
    assert "04a1b2c3d4e5f6".upper() not in page
    assert "04a1b2c3d4e5f6" not in page
    assert "Fortepijonas" in page
    assert "Pradinukai" in page
    assert "2027-06-30" in page
    other = viewer.get(f"/pupils/{school['Šimkus']}").get_data(as_text=True)
    assert other.count('class="empty"') == 3  # no cards, no clubs, no free meals
    assert "0,00 €" in other


def test_empty_sections_say_so_in_english(app: Flask, store: Store, school: dict[str, int]) -> None:
    make_user(store, "jonas", levels={PD: Level.VIEWER})
    browser = signed_in(app, "jonas")
    browser.post("/language", {"language": "en", "back": "/"})
    page = browser.get(f"/pupils/{school['Šimkus']}").get_data(as_text=True)
    assert "No cards yet." in page
    assert "Not in any club." in page
    assert "No free-meal entitlement." in page


def test_pupils_need_the_personal_data_right(app: Flask, store: Store) -> None:
    make_user(store, "kitas", levels={Area.CARDS: Level.MANAGER})
    browser = signed_in(app, "kitas")
    assert browser.get("/pupils/").status_code == 403
    assert browser.get("/pupils/1").status_code == 403
