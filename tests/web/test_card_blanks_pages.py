"""The blanks pages through the app: deliveries, the demand, the duty handover, the e-diary CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from flask_babel import force_locale, gettext
from visitor import Visitor, make_user, signed_in

from card_rows import add_class, add_issued_card, add_school_pupil
from emp_edge.domain.access import Area, Level
from emp_edge.store import Store

LETTERS = "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"


@pytest.fixture
def manager(store: Store) -> int:
    return make_user(store, "blankai", levels={Area.BLANKS: Level.MANAGER})


@pytest.fixture
def viewer(store: Store) -> int:
    return make_user(
        store, "ziuri", levels={Area.BLANKS: Level.VIEWER}, first_name="Jūratė", last_name="Čėpė"
    )


def receive(browser: Visitor, first: str, last: str, **more: str) -> tuple[int, str]:
    form = {"first_number": first, "last_number": last, "received_on": "2026-10-01", **more}
    response = browser.post("/cards/blanks/receive", form)
    return response.status_code, text_of(response)


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(rf'data-error-for="{field}">([^<]*)<', html)


# ---------------------------------------------------------------- deliveries


def test_a_delivery_is_recorded_and_shown_in_lithuanian(
    app: Flask, store: Store, manager: int
) -> None:
    browser = signed_in(app, "blankai")
    status, _ = receive(browser, "EMP000101", "EMP000150", document=f"Važtaraštis {LETTERS}")
    assert status == 302

    html = text_of(browser.get("/cards/blanks"))

    assert '<html lang="lt">' in html
    assert seen(app, "Blanks") in html
    assert f"Važtaraštis {LETTERS}" in html
    assert "Ona Žukauskienė" in html  # who recorded it
    assert "EMP000101–EMP000150" in html
    assert re.search(r'data-count="received">50<', html)
    assert store.conn.execute("SELECT count(*) FROM blanks WHERE batch_id = 1").fetchone() == (50,)
    [payload] = events(store, "blanks.received")
    assert payload["count"] == 50
    [(actor, subject, detail)] = audit_rows(store, "blanks.received")
    assert (actor, subject) == ("blankai", "batch:1")
    assert "EMP000101–EMP000150; count=50" in detail


def test_an_overlapping_delivery_is_refused_with_nothing_written(
    app: Flask, store: Store, manager: int
) -> None:
    browser = signed_in(app, "blankai")
    receive(browser, "EMP000101", "EMP000150")
    before = dump(store)

    status, html = receive(browser, "EMP000140", "EMP000200", document="Antras")

    assert status == 400
    wanted = seen(app, "blank {number} is already on record", number="EMP000140")
    assert field_errors(html, "first_number") == [wanted]
    assert 'value="EMP000200"' in html  # what was typed is shown back
    assert dump(store) == before


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        ("EMP000150", "EMP000101", "last_number", "the last number comes before the first"),
        ("", "EMP000101", "first_number", "Enter the first blank number."),
        ("EMP00-01", "EMP000101", "first_number", None),  # not a blank number
    ],
)
def test_bad_ranges_are_refused_at_their_field(
    app: Flask,
    store: Store,
    manager: int,
    first: str,
    last: str,
    field: str,
    message: str | None,
) -> None:
    browser = signed_in(app, "blankai")
    before = dump(store)
    status, html = receive(browser, first, last)
    assert status == 400
    errors = field_errors(html, field)
    assert len(errors) == 1
    if message is not None:
        assert errors == [seen(app, message)]
    assert dump(store) == before


def test_a_delivery_dated_tomorrow_is_refused(app: Flask, store: Store, manager: int) -> None:
    browser = signed_in(app, "blankai")
    before = dump(store)
    status, html = receive(browser, "EMP000101", "EMP000102", received_on="2026-10-06")
    assert status == 400
    assert field_errors(html, "received_on") == [
        seen(app, "the blanks cannot be received in the future")
    ]
    assert dump(store) == before


def test_a_viewer_sees_the_stock_but_cannot_record_a_delivery(
    app: Flask, store: Store, viewer: int
) -> None:
    browser = signed_in(app, "ziuri")
    html = text_of(browser.get("/cards/blanks"))
    assert 'data-test="receive-form"' not in html
    assert 'data-test="demand"' in html
    before = dump(store)
    refused = browser.post(
        "/cards/blanks/receive",
        {"first_number": "EMP000101", "last_number": "EMP000102", "received_on": "2026-10-01"},
    )
    assert refused.status_code == 403
    assert dump(store) == before


# ---------------------------------------------------------------- the demand


@pytest.fixture
def small_school(store: Store) -> None:
    for n in range(3):
        add_school_pupil(store, "Pirmokė", f"Šalčiūtė{n}", "1a")
    ends = add_school_pupil(store, "Ėglė", "Žėkaitė", "4a")
    add_issued_card(store, ends, issued_on=date(2023, 9, 10), valid_until=date(2027, 8, 31))
    add_class(store, "8a")


def test_the_demand_box_and_page(app: Flask, small_school: None, viewer: int) -> None:
    browser = signed_in(app, "ziuri")
    box = text_of(browser.get("/cards/blanks"))
    assert re.search(r'data-part="expiring">1<', box)
    assert re.search(r'data-part="newcomers">3<', box)
    assert re.search(r'data-part="reserve">1<', box)  # 5 % of 4 pupils, rounded up
    assert re.search(r'data-part="to_order"><strong>5<', box)
    assert "2026-12-01" in box
    assert 'href="/cards/blanks/demand"' in box

    page = text_of(browser.get("/cards/blanks/demand"))
    assert re.search(r'data-part="needed"><strong>5<', page)
    assert "2027–2028" in page

    printed = browser.get("/cards/blanks/demand?format=print")
    assert printed.status_code == 200
    assert 'class="menu"' not in printed.get_data(as_text=True)  # no menu on paper
    assert "Demonstracinė mokykla" in text_of(printed)  # the school's name heads the paper
    assert re.search(r'data-part="to_order"><strong>5<', text_of(printed))

    download = browser.get("/cards/blanks/demand?format=csv")
    assert download.mimetype == "text/csv"
    body = download.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1] == [seen(app, "Blanks to order"), "5"]
    assert [seen(app, "School year"), "2027–2028"] in rows


# ---------------------------------------------------------------- handover of the duty


def test_the_duty_is_handed_over_and_listed(app: Flask, store: Store, manager: int) -> None:
    jurgis = make_user(store, "jurgis", first_name="Jurgis", last_name="Čepulis")
    browser = signed_in(app, "blankai")
    page = text_of(browser.get("/cards/duty"))
    assert seen(app, "Handover of the card duty") in page
    assert "Jurgis Čepulis" in page  # offered in the lists

    response = browser.post(
        "/cards/duty",
        {
            "from_user": str(manager),
            "to_user": str(jurgis),
            "handed_on": "2026-10-02",
            "director_order": "V-45",
            "note": f"Žurnalai ir raktai {LETTERS}",
        },
    )

    assert response.status_code == 302
    html = text_of(browser.get("/cards/duty"))
    assert f"Žurnalai ir raktai {LETTERS}" in html
    assert re.search(r"<td>Ona Žukauskienė</td><td>Jurgis Čepulis</td>", html)
    [payload] = events(store, "card_duty.handed_over")
    assert (payload["from_user"], payload["to_user"]) == (manager, jurgis)
    assert len(audit_rows(store, "card_duty.handed_over")) == 1


def test_a_handover_to_oneself_is_refused_on_the_page(
    app: Flask, store: Store, manager: int
) -> None:
    browser = signed_in(app, "blankai")
    before = dump(store)
    response = browser.post(
        "/cards/duty",
        {
            "from_user": str(manager),
            "to_user": str(manager),
            "handed_on": "2026-10-02",
            "director_order": "V-45",
        },
    )
    assert response.status_code == 400
    assert field_errors(text_of(response), "to_user") == [
        seen(app, "the duty passes to a different employee: choose someone else")
    ]
    assert dump(store) == before


def test_a_viewer_reads_the_handovers_but_cannot_record_one(
    app: Flask, store: Store, manager: int, viewer: int
) -> None:
    browser = signed_in(app, "ziuri")
    page = browser.get("/cards/duty")
    assert page.status_code == 200
    assert 'data-test="duty-form"' not in page.get_data(as_text=True)
    before = dump(store)
    refused = browser.post(
        "/cards/duty",
        {
            "from_user": str(manager),
            "to_user": str(viewer),
            "handed_on": "2026-10-02",
            "director_order": "V-45",
        },
    )
    assert refused.status_code == 403
    assert dump(store) == before


# ---------------------------------------------------------------- the e-diary CSV


def test_the_e_diary_csv_lists_the_cards_in_use(app: Flask, store: Store) -> None:
    make_user(store, "sarasai", levels={Area.LISTS: Level.VIEWER})
    zygis = add_school_pupil(store, "Žygis", "Ąžuolas", "5b", registry_id="MR-77")
    old = add_issued_card(store, zygis, issued_on=date(2025, 9, 3), state="replaced")
    new = add_issued_card(store, zygis, issued_on=date(2026, 9, 20))
    early = add_school_pupil(store, "Ūla", "Čiurlionytė", "1a", registry_id="MR-12")
    first_grade = add_issued_card(store, early, issued_on=date(2026, 9, 2))
    browser = signed_in(app, "sarasai")

    download = browser.get("/cards/issued.csv")

    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    body = download.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == seen(app, "Registry id")
    assert rows[1:] == [
        ["MR-12", "Čiurlionytė", "Ūla", "1a", f"190000000{first_grade:07d}",
         f"2026/{first_grade:04d}", "2026-09-02", "2029-08-31"],
        ["MR-77", "Ąžuolas", "Žygis", "5b", f"190000000{new:07d}", f"2026/{new:04d}",
         "2026-09-20", "2029-08-31"],
    ]  # fmt: skip
    assert f"190000000{old:07d}" not in body.decode("utf-8-sig")  # replaced: not in use
    since = browser.get("/cards/issued.csv?since=2026-09-10").get_data().decode("utf-8-sig")
    assert "Žygis" in since
    assert "Ūla" not in since
    assert [detail for _, _, detail in audit_rows(store, "cards.ediary_downloaded")] == [
        "since=-; rows=2",
        "since=2026-09-10; rows=1",
    ]


def test_a_bad_since_day_is_explained(app: Flask, store: Store) -> None:
    make_user(store, "sarasai", levels={Area.LISTS: Level.VIEWER})
    response = signed_in(app, "sarasai").get("/cards/issued.csv?since=2026-13-40")
    assert response.status_code == 400
    reason = seen(app, "{text!r} is not a date yyyy-mm-dd", text="2026-13-40")
    with app.test_request_context(), force_locale("lt"):
        wanted = gettext("Issued since: %(reason)s", reason=reason)
    assert wanted in text_of(response)


def test_the_e_diary_csv_needs_the_lists_right(app: Flask, store: Store, viewer: int) -> None:
    assert signed_in(app, "ziuri").get("/cards/issued.csv").status_code == 403
