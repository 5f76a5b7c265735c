"""The clubs' six lists as pages (in Lithuanian) and as CSV read back with the csv module; filters,
the audit trail of every list that names pupils, and who may open them."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from canteen_pages import audit_rows, seen
from flask import Flask
from visitor import make_user, signed_in

from club_school import Year, school_year
from emp_edge.domain.access import Area, Level
from emp_edge.store import Store

NAMES = ("groups", "learners", "arrivals", "departures", "basket", "attended")
PUPIL_LISTS = NAMES[1:]


@pytest.fixture
def year(store: Store) -> Year:
    made = school_year(store)
    make_user(store, "lists", levels={Area.LISTS: Level.VIEWER})
    return made


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def rows_of(page: str) -> list[list[str]]:
    """The list's table as text cells, heads first."""
    table = re.search(r'data-test="list">.*?<table>(.*?)</table>', page, re.S)
    assert table, "no table on the page"
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table[1], re.S)
    body = [
        re.findall(r"<td>(.*?)</td>", r, re.S)
        for r in re.findall(r"<tr data-row[^>]*>(.*?)</tr>", table[1], re.S)
    ]
    return [heads, *body]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_index_links_the_six_lists_in_lithuanian(app: Flask, year: Year) -> None:
    page = text(signed_in(app, "lists").get("/clubs/lists"))
    assert f"<h1>{seen(app, 'NVŠ lists')}</h1>" in page
    for name in NAMES:
        assert f'href="/clubs/lists/{name}"' in page
    assert "NVŠ lankančių pamokas (būrelius) sąrašas" in page  # the registry's own names
    assert "Gaunančių NVŠ MK sąrašas" in page


@pytest.mark.parametrize("name", NAMES)
def test_each_list_opens_and_its_csv_has_the_same_rows(
    app: Flask, store: Store, year: Year, name: str
) -> None:
    browser = signed_in(app, "lists")
    page = browser.get(f"/clubs/lists/{name}?year=2026&day=2026-09-30")
    assert page.status_code == 200
    shown = rows_of(text(page))
    assert len(shown) > 1
    download = browser.get(f"/clubs/lists/{name}?year=2026&day=2026-09-30&format=csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert f'filename="nvs-{name}-2026.csv"' in download.headers["Content-Disposition"]
    assert csv_rows(download.data) == shown
    listed = audit_rows(store, "clubs.listed")
    downloaded = audit_rows(store, "clubs.list_downloaded")
    if name in PUPIL_LISTS:
        assert [(subject, detail.split()[0]) for _, subject, detail in listed] == [
            (f"list:{name}", "year=2026")
        ]
        assert downloaded[0][0] == "lists"
        assert downloaded[0][2].endswith(f"rows={len(shown) - 1}")
    else:  # the groups list names no pupil
        assert listed == downloaded == []


def test_learners_on_a_day_in_lithuanian(app: Flask, year: Year) -> None:
    browser = signed_in(app, "lists")
    page = text(browser.get("/clubs/lists/learners"))  # today: 2026-10-05
    heads, *body = rows_of(page)
    assert heads[:3] == [seen(app, "Pupil"), seen(app, "Birth date"), seen(app, "Class")]
    assert [r[0] for r in body] == ["Aistė Jonaitytė", "Aistė Jonaitytė", "Šarūnas Šimkus",
                                    "Ūla Žemaitytė", "Ūla Žemaitytė"]  # fmt: skip
    assert body[0][1:4] == ["2015-03-04", "5b", "Šaltinio progimnazija"]
    assert 'value="2026-10-05"' in page
    earlier = rows_of(text(browser.get("/clubs/lists/learners?day=2026-09-30")))
    assert "Jonas Petraitis" in [r[0] for r in earlier[1:]]  # the day before he left


def test_arrivals_and_departures_in_a_period(app: Flask, year: Year) -> None:
    browser = signed_in(app, "lists")
    arrivals = rows_of(text(browser.get("/clubs/lists/arrivals?from=2026-10-01&to=2026-10-31")))
    assert arrivals[0][-3:] == [seen(app, "Contract type"), seen(app, "Contract date"),
                                seen(app, "Contract number")]  # fmt: skip
    (arrival,) = arrivals[1:]
    assert arrival[0] == "Šarūnas Šimkus"
    assert arrival[-3:] == [seen(app, "bilateral learning contract"), "2026-10-02", "S-2026/7"]
    departures = rows_of(text(browser.get("/clubs/lists/departures")))
    (left,) = departures[1:]
    assert left[0] == "Jonas Petraitis"
    assert left[-3:] == ["2026-10-01", "V-15", seen(app, "at the pupil's or the parents' wish")]


def test_basket_recipients_with_municipality(app: Flask, year: Year) -> None:
    browser = signed_in(app, "lists")
    heads, *body = rows_of(text(browser.get("/clubs/lists/basket")))
    where = heads.index(seen(app, "Municipality of general education"))
    assert [(r[0], r[where]) for r in body] == [
        ("Aistė Jonaitytė", "Vilniaus miesto savivaldybė"),
        ("Jonas Petraitis", "Kauno miesto savivaldybė"),
    ]
    kaunas = browser.get("/clubs/lists/basket?municipality=Kauno+miesto+savivaldyb%C4%97")
    assert [r[0] for r in rows_of(text(kaunas))[1:]] == ["Jonas Petraitis"]


def test_clubs_attended_by_directions_chosen_from_the_classifiers(app: Flask, year: Year) -> None:
    browser = signed_in(app, "lists")
    page = text(browser.get("/clubs/lists/attended"))
    assert '<option value="muzika.gitara">Gitara</option>' in page  # from the classifiers
    assert '<option value="sportas">Sportas</option>' in page
    narrowed = browser.get("/clubs/lists/attended?direction=muzika&sub_direction=muzika.gitara")
    found = text(narrowed)
    (guitar,) = rows_of(found)[1:]
    assert guitar[0] == "Aistė Jonaitytė"
    assert "Gitara 1" in guitar
    assert '<option value="muzika.gitara" selected>' in found
    assert "direction=muzika&amp;sub_direction=muzika.gitara" in narrowed.get_data(as_text=True)
    csv_link = csv_rows(browser.get("/clubs/lists/attended?direction=muzika&sub_direction="
                                    "muzika.gitara&format=csv").data)  # fmt: skip
    assert len(csv_link) == 2
    school = browser.get(f"/clubs/lists/attended?school={year.vilnius_school}")
    assert {r[0] for r in rows_of(text(school))[1:]} == {"Aistė Jonaitytė", "Šarūnas Šimkus"}


def test_a_bad_filter_is_said_and_the_list_shown_as_by_default(app: Flask, year: Year) -> None:
    browser = signed_in(app, "lists")
    page = browser.get("/clubs/lists/learners?day=2026-13-01")
    assert page.status_code == 200
    assert "'2026-13-01'" in text(page)  # the flash names what was wrong
    assert 'class="flash error"' in page.get_data(as_text=True)
    assert len(rows_of(text(page))) == 6  # today's learners
    outside = text(browser.get("/clubs/lists/learners?year=2025&day=2026-10-05"))
    assert "2025–2026" in outside
    assert 'class="flash error"' in outside
    unknown = text(browser.get("/clubs/lists/attended?direction=kosmonautika"))
    assert "kosmonautika" in unknown
    bad_csv = browser.get("/clubs/lists/learners?day=vakar&format=csv")
    assert bad_csv.status_code == 302
    assert bad_csv.headers["Location"].endswith("/clubs/lists/learners")


def test_an_unknown_list_is_not_found(app: Flask, year: Year) -> None:
    assert signed_in(app, "lists").get("/clubs/lists/everything").status_code == 404


def test_only_viewers_of_lists_may_open_them(app: Flask, store: Store, year: Year) -> None:
    make_user(
        store, "learning", levels={Area.LEARNING_DATA: Level.MANAGER, Area.BASKET: Level.MANAGER}
    )
    browser = signed_in(app, "learning")
    assert browser.get("/clubs/lists").status_code == 403
    assert browser.get("/clubs/lists/learners?format=csv").status_code == 403
    assert audit_rows(store, "clubs.list_downloaded") == []
    assert app.test_client().get("/clubs/lists/learners").status_code == 302  # the login page
    menu = text(signed_in(app, "lists").get("/clubs/lists"))
    assert 'href="/clubs/lists"' in menu  # in the menu for those with the right
    assert 'href="/clubs/"' not in menu
