"""The cards, canteen, clubs and sync pages: what the database holds, to those allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from visitor import every_right, signed_in
from visitor import make_user as make_account

from emp_edge.domain.access import Area, Level
from emp_edge.domain.clock import FixedClock
from emp_edge.errors import PrinterError
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.accounts import set_language
from emp_edge.web import create_app
from store.canteen_day import build_day

FULL_UID = "04A1B2C3D4E5F6"
CODES = ("50610050012", "50801010015", "61001010016")


def make_user(store: Store, username: str, **kwargs: Any) -> int:
    """An account that reads the pages in English, so that the texts below are the message ids."""
    user_id = make_account(store, username, **kwargs)
    with store.transaction() as tx:
        set_language(tx, user_id, "en")
    return user_id


@dataclass(frozen=True)
class School:
    pupils: list[int]  # Aistė Jonaitytė (5b), Jonas Petraitis (5b), Ūla Žemaitytė (no class)


def add_school(store: Store) -> School:
    """A school with a class and three pupils, each with a personal code that must never show."""
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        school = tx.execute(
            "INSERT INTO schools (code, name) VALUES ('190000001', 'Šaltinio progimnazija')"
        ).lastrowid
        klass = tx.execute(
            "INSERT INTO classes (school_id, school_year, grade, letter, label)"
            " VALUES (?, 2026, 5, 'b', '5b')",
            (school,),
        ).lastrowid
        pupils = []
        for code, first, last, class_id in (
            (CODES[0], "Aistė", "Jonaitytė", klass),
            (CODES[1], "Jonas", "Petraitis", klass),
            (CODES[2], "Ūla", "Žemaitytė", None),
        ):
            pupils.append(
                int(
                    tx.execute(
                        "INSERT INTO pupils (school_id, personal_code, first_name, last_name,"
                        " birth_date, class_id, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, '2015-01-01', ?, ?, ?)",
                        (school, code, first, last, class_id, now, now),
                    ).lastrowid
                    or 0
                )
            )
        tx.emit("test.school_added", {"school_id": school, "pupils": len(pupils)})
    return School(pupils)


def page(app: Flask, username: str, path: str) -> str:
    response = signed_in(app, username).get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row(html: str, attribute: str, value: object) -> str:
    """The table row (or element) marked ``attribute="value"``, as text."""
    found = re.search(rf'<tr [^>]*{attribute}="{value}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {attribute}={value}"
    return re.sub(r"\s+", " ", found[1])


def audit_actions(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT action FROM audit_log ORDER BY id")]


# ------------------------------------------------------------------ rights

PAGES = [
    ("/cards/", Area.CARDS),
    ("/cards/blanks", Area.BLANKS),
    ("/canteen/", Area.CANTEEN),
    ("/clubs/", Area.LEARNING_DATA),
]


@pytest.mark.parametrize(("path", "area"), PAGES)
def test_each_page_opens_for_a_viewer_of_its_area_only(
    app: Flask, store: Store, path: str, area: Area
) -> None:
    make_user(store, "viewer", levels={area: Level.VIEWER})
    others = {a: Level.MANAGER for a in Area if a is not area}
    make_user(store, "others", admin=True, levels=others)
    assert signed_in(app, "viewer").get(path).status_code == 200
    refused = signed_in(app, "others").get(path)
    assert refused.status_code == 403
    assert "Not allowed" in refused.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 302  # nobody signed in: the login page


def test_sync_page_opens_for_any_signed_in_account(app: Flask, store: Store) -> None:
    make_user(store, "nobody")
    assert signed_in(app, "nobody").get("/sync/").status_code == 200
    anonymous = app.test_client().get("/sync/")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


def test_menu_links_to_the_pages_a_person_may_open(app: Flask, store: Store) -> None:
    make_user(store, "cards", levels={Area.CARDS: Level.VIEWER})
    html = page(app, "cards", "/cards/")
    assert 'href="/cards/"' in html
    assert 'href="/sync/"' in html
    assert 'href="/canteen/"' not in html
    assert 'href="/clubs/"' not in html
    assert 'href="/cards/blanks"' not in html  # blanks are a right of their own


# ------------------------------------------------------------------ cards


def add_card(
    store: Store,
    pupil_id: int,
    state: str,
    requested_on: date,
    *,
    chip_uid: str | None = None,
    blank_id: int | None = None,
) -> int:
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        card_id = int(
            tx.execute(
                "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
                " blank_id, created_at, updated_at) VALUES (?, ?, ?, 'parent', ?, ?, ?, ?)",
                (pupil_id, state, requested_on.isoformat(), chip_uid, blank_id, now, now),
            ).lastrowid
            or 0
        )
        tx.emit("card.recorded", {"card_id": card_id, "state": state})
    return card_id


def test_cards_page_when_there_are_no_cards(app: Flask, store: Store) -> None:
    make_user(store, "cards", levels={Area.CARDS: Level.VIEWER})
    html = page(app, "cards", "/cards/")
    assert "There are no open card requests." in html
    assert re.search(r'data-state="issued">0<', html)
    assert "cards.listed" not in audit_actions(store)  # no names were shown


def test_open_requests_against_the_21_day_limit(app: Flask, store: Store) -> None:
    school = add_school(store)
    today = store.clock.today()  # 2026-10-05
    late = add_card(store, school.pupils[0], "requested", today - timedelta(days=25))
    soon = add_card(
        store, school.pupils[1], "personalised", today - timedelta(days=18), chip_uid=FULL_UID
    )
    fresh = add_card(store, school.pupils[2], "requested", today - timedelta(days=2))
    add_card(store, school.pupils[1], "issued", today - timedelta(days=90))
    add_card(store, school.pupils[1], "replaced", today - timedelta(days=400))
    make_user(store, "cards", levels={Area.CARDS: Level.VIEWER, Area.PERSONAL_DATA: Level.VIEWER})

    html = page(app, "cards", "/cards/")

    overdue = row(html, "data-card", late)
    assert "Jonaitytė Aistė" in overdue
    assert "5b" in overdue
    assert "2026-09-10" in overdue  # requested 25 days ago
    assert "2026-10-01" in overdue  # due 21 days after the request
    assert "overdue" in overdue
    assert "4 days late" in overdue
    assert f'href="/pupils/{school.pupils[0]}' in overdue
    due_soon = row(html, "data-card", soon)
    assert "due soon" in due_soon
    assert "3 days left" in due_soon
    assert "personalised" in due_soon
    assert "…E5F6" in due_soon
    on_time = row(html, "data-card", fresh)
    assert "on time" in on_time
    assert "19 days left" in on_time
    assert "Žemaitytė Ūla" in on_time
    # the issued and replaced cards are no open requests, but they are counted
    assert html.count('data-card="') == 3
    for state, count in (("requested", 2), ("personalised", 1), ("issued", 1), ("replaced", 1)):
        assert re.search(rf'data-state="{state}">{count}<', html), state
    assert 'data-status="overdue">' in html
    assert re.search(r'<tr data-status="overdue">\s*<td>overdue</td><td>1</td>', html)
    # never the full chip UID, never a personal code
    assert FULL_UID not in html
    assert FULL_UID.lower() not in html
    for code in CODES:
        assert code not in html
    assert audit_actions(store)[-1] == "cards.listed"


def test_pupil_names_link_to_the_pupil_page_only_for_those_who_may_open_it(
    app: Flask, store: Store
) -> None:
    school = add_school(store)
    add_card(store, school.pupils[0], "requested", store.clock.today())
    make_user(store, "cards", levels={Area.CARDS: Level.VIEWER})
    html = page(app, "cards", "/cards/")
    assert "Jonaitytė Aistė" in html
    assert 'href="/pupils/' not in html


def test_blanks_by_state_with_their_numbers(app: Flask, store: Store) -> None:
    make_user(store, "blanks", levels={Area.BLANKS: Level.VIEWER})
    assert "No blanks have been received yet." in page(app, "blanks", "/cards/blanks")
    with store.transaction() as tx:
        for number, state in (
            ("000101", "received"),
            ("000102", "received"),
            ("000103", "received"),
            ("000107", "received"),
            ("000104", "used"),
            ("000105", "spoiled"),
            ("000106", "destroyed"),
        ):
            tx.execute(
                "INSERT INTO blanks (blank_number, state, received_on, changed_at)"
                " VALUES (?, ?, '2026-09-01', ?)",
                (number, state, tx.now()),
            )
        tx.emit("blanks.received", {"count": 7})

    html = page(app, "blanks", "/cards/blanks")

    assert "7 blanks on record." in html
    received = row(html, "data-state", "received")
    assert "<td>4</td>" in received
    assert "000101–000103, 000107" in received
    assert "000105" in row(html, "data-state", "spoiled")
    assert "<td>1</td>" in row(html, "data-state", "destroyed")


# ------------------------------------------------------------------ canteen


def canteen_app(services: Services, **changes: Any) -> Flask:
    """The admin app with some settings changed and, maybe, a day printer."""
    printer = changes.pop("day_printer", None)
    changed = replace(services, settings=services.settings.replace(**changes))
    return create_app(changed, {"TESTING": True, "SECRET_KEY": "c" * 32}, day_printer=printer)


def test_canteen_page_when_nothing_happened_yet(app: Flask, store: Store) -> None:
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})
    html = page(app, "canteen", "/canteen/")
    assert 'value="2026-10-05"' in html  # the day picker starts at today
    assert "Nothing was sold, served or paid in on this day." in html
    assert "No pupil is entitled to a free meal on this day." in html
    assert "No balance is below 3,00 €." in html
    assert html.count("<meter ") == 2 * 31  # free and paid, each day of October
    assert "This day is not over yet: it can be closed after the last meal, at 16:30." in html
    assert 'data-test="close-day"' not in html
    assert 'data-test="print"' not in html
    assert "canteen.listed" not in audit_actions(store)


def test_canteen_end_of_day_per_till_with_its_totals(
    services: Services, store: Store, clock: FixedClock
) -> None:
    made = build_day(store, clock)  # 2026-10-05; the clock is now at the next midnight
    app = canteen_app(services, canteen__low_balance_cents=1000)
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})

    html = page(app, "canteen", "/canteen/?day=2026-10-05")

    assert 'value="2026-10-05"' in html
    admin = row(html, "data-till", "")
    assert "Admin pages" in admin
    assert 'data-test="top-ups">3 <span class="hint">(13,00 €)</span>' in admin
    assert "-0,50 €" in admin
    till_1 = row(html, "data-till", "valgykla-1")
    assert '<td data-meal="breakfast">1</td><td data-meal="lunch">1</td>' in till_1
    assert "(4,10 €)" in till_1
    assert '<td data-meal="lunch">1</td>' in row(html, "data-till", "valgykla-2")
    total = row(html, "data-till", r"\*")
    assert '<td data-meal="lunch">2</td>' in total
    assert "(6,40 €)" in total
    assert 'data-test="net">6,90 €' in total
    assert "Free: Pietūs" in html  # the school's own meal names
    assert 'href="/canteen/day.csv?day=2026-10-05"' in html
    # the month's chart, as numbers too
    day_row = row(html, "data-day", "2026-10-05")
    assert '<td data-test="free">3</td><td data-test="paid">2</td>' in day_row
    assert 'title="3 free"' in day_row
    entitled = row(html, "data-meal", "lunch")
    assert '<td data-test="entitled">2</td><td data-test="served">2</td>' in entitled
    # the low-balance list, lowest first, with the class; Ona never paid in
    assert "Ąžuolaitė Rūta" in row(html, "data-pupil", made.ruta.pupil_id)
    assert "9,70 €" in row(html, "data-pupil", made.ruta.pupil_id)
    assert f'data-pupil="{made.jonas.pupil_id}"' not in html  # 12,20 € is not below 10,00 €
    assert f'data-pupil="{made.ona.pupil_id}"' not in html
    assert "style=" not in html
    assert audit_actions(store)[-1] == "canteen.listed"


def test_canteen_day_report_as_csv(services: Services, store: Store, clock: FixedClock) -> None:
    build_day(store, clock)
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})
    response = signed_in(canteen_app(services), "canteen").get("/canteen/day.csv?day=2026-10-05")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="valgykla-2026-10-05.csv"' in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Day;Till;Free: Pusryčiai;Free: Pietūs;")
    assert lines[-2] == "2026-10-05;All tills;1;2;0;4;6,40;3;13,00;1;0,80;1;-0,50;6,90"


def test_a_bad_day_is_said_and_today_shown(app: Flask, store: Store) -> None:
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})
    browser = signed_in(app, "canteen")
    html = browser.get("/canteen/?day=5.10.2026").get_data(as_text=True)
    assert "&#39;5.10.2026&#39; is not a date yyyy-mm-dd" in html
    assert 'value="2026-10-05"' in html
    csv = browser.get("/canteen/day.csv?day=2026-13-01")
    assert csv.status_code == 302


def test_a_canteen_manager_closes_a_day_once(
    services: Services, store: Store, clock: FixedClock
) -> None:
    build_day(store, clock)
    app = canteen_app(services)
    make_user(store, "viewer", levels={Area.CANTEEN: Level.VIEWER})
    make_user(store, "manager", levels={Area.CANTEEN: Level.MANAGER})
    viewer = page(app, "viewer", "/canteen/?day=2026-10-05")
    assert "Not closed yet." in viewer
    assert 'data-test="close-day"' not in viewer
    browser = signed_in(app, "manager")
    assert 'data-test="close-day"' in browser.get("/canteen/?day=2026-10-05").get_data(True)

    done = browser.post("/canteen/close", {"day": "2026-10-05"}, follow_redirects=True)

    html = done.get_data(as_text=True)
    assert "2026-10-05 is closed: 3 free meals wait to be sent to the registry." in html
    assert 'data-test="event-waiting"' in html
    assert 'data-test="close-day"' not in html
    [(event_id, payload)] = store.conn.execute(
        "SELECT event_id, payload FROM outbox WHERE type = 'canteen.free_meals.daily'"
    ).fetchall()
    assert '"totals":{"breakfast":1,"lunch":2}' in payload
    audit = store.conn.execute("SELECT actor, action, subject, detail FROM audit_log"
                               " WHERE action = 'canteen.day_closed'").fetchall()  # fmt: skip
    assert audit == [("manager", "canteen.day_closed", "day:2026-10-05", "free_meals=3")]
    again = browser.post("/canteen/close", {"day": "2026-10-05"}, follow_redirects=True)
    assert "2026-10-05 was closed before; nothing was sent again." in again.get_data(True)
    with store.transaction(require_event=False) as tx:
        tx.execute("UPDATE outbox SET acked_at = ? WHERE event_id = ?", (tx.now(), event_id))
    html = browser.get("/canteen/?day=2026-10-05").get_data(as_text=True)
    assert "The registry received it 2026-10-06 00:00." in html


def test_a_day_that_is_not_over_is_not_closed(app: Flask, store: Store) -> None:
    make_user(store, "manager", levels={Area.CANTEEN: Level.MANAGER})
    browser = signed_in(app, "manager")
    done = browser.post("/canteen/close", {"day": "2026-10-05"}, follow_redirects=True)
    assert "2026-10-05 is not over yet: it can be closed after the last meal, at 16:30" in (
        done.get_data(as_text=True)
    )
    assert store.conn.execute("SELECT count(*) FROM canteen_days").fetchone() == (0,)


class DayPrinter:
    """Records what it was asked to print; fails like a printer out of paper when told."""

    def __init__(self) -> None:
        self.printed: list[tuple[str, date]] = []
        self.fail = False

    def __call__(self, till: str, day: date) -> None:
        if self.fail:
            raise PrinterError("the printer {till} is out of paper", till=till)
        self.printed.append((till, day))


def test_a_tills_day_prints_on_its_receipt_printer(
    services: Services, store: Store, clock: FixedClock
) -> None:
    build_day(store, clock)
    printer = DayPrinter()
    app = canteen_app(services, day_printer=printer)
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})
    browser = signed_in(app, "canteen")
    html = browser.get("/canteen/?day=2026-10-05").get_data(as_text=True)
    assert 'data-test="print"' in row(html, "data-till", "valgykla-1")
    assert 'data-test="print"' not in row(html, "data-till", "")  # no till, no printer

    done = browser.post("/canteen/print", {"day": "2026-10-05", "till": "valgykla-1"},
                        follow_redirects=True)  # fmt: skip
    assert printer.printed == [("valgykla-1", date(2026, 10, 5))]
    assert "The report of valgykla-1 for 2026-10-05 went to its receipt printer." in (
        done.get_data(as_text=True)
    )
    printer.fail = True
    failed = browser.post("/canteen/print", {"day": "2026-10-05", "till": "valgykla-2"},
                          follow_redirects=True)  # fmt: skip
    assert "The report was not printed: the printer valgykla-2 is out of paper" in (
        failed.get_data(as_text=True)
    )
    assert printer.printed == [("valgykla-1", date(2026, 10, 5))]


def test_without_a_day_printer_nothing_prints(app: Flask, store: Store) -> None:
    make_user(store, "canteen", levels={Area.CANTEEN: Level.VIEWER})
    browser = signed_in(app, "canteen")
    done = browser.post("/canteen/print", {"day": "2026-10-05", "till": "valgykla-1"},
                        follow_redirects=True)  # fmt: skip
    assert "this box has no receipt printer for day reports" in done.get_data(as_text=True)


# ------------------------------------------------------------------ clubs


def add_clubs(store: Store, school: School, leader_id: int) -> tuple[int, int]:
    """Two groups this school year (one with sessions) and one last year; returns the groups."""
    aiste, jonas, ula = school.pupils
    with store.transaction() as tx:

        def insert(sql: str, params: tuple[object, ...]) -> int:
            return int(tx.execute(sql, params).lastrowid or 0)

        music = insert(
            "INSERT INTO programmes (ktprr_code, name, purpose) VALUES (?, ?, ?)",
            ("120100123", "Fortepijono studija", "NVŠ programa"),
        )
        insert(
            "INSERT INTO programmes (ktprr_code, name, purpose) VALUES (?, ?, ?)",
            ("120100999", "Krepšinis", "NVŠ programa"),
        )
        piano = insert(
            "INSERT INTO club_groups (programme_id, school_year, name) VALUES (?, 2026, 'A')",
            (music,),
        )
        choir = insert(
            "INSERT INTO club_groups (programme_id, school_year, name) VALUES (?, 2026, 'B')",
            (music,),
        )
        old = insert(
            "INSERT INTO club_groups (programme_id, school_year, name) VALUES (?, 2025, 'A')",
            (music,),
        )
        tx.execute("INSERT INTO group_leaders VALUES (?, ?)", (piano, leader_id))
        enrolments = {}
        for pupil, group, first_day, left_on in (
            (aiste, piano, "2026-09-01", None),
            (jonas, piano, "2026-09-01", None),
            (ula, piano, "2026-09-01", "2026-09-30"),  # left: not counted now
            (ula, old, "2025-09-01", "2026-06-30"),
        ):
            enrolments[(pupil, group)] = insert(
                "INSERT INTO enrolments (pupil_id, group_id, first_day, left_on, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (pupil, group, first_day, left_on, tx.now()),
            )
        for key, kind, state in (
            ((aiste, piano), "basket", "accepted"),
            ((jonas, piano), "basket", "rejected"),
            ((jonas, piano), "municipal", "local"),
            ((ula, old), "basket", "accepted"),  # last school year: not counted
        ):
            pupil, group = key
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, pupil_id, school_year, state,"
                " event_id, marked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    enrolments[key],
                    kind,
                    pupil,
                    2025 if group == old else 2026,
                    state,
                    f"mark-{pupil}-{group}-{kind}",
                    tx.now(),
                ),
            )
        sessions = []
        for starts in (
            "2026-09-10T12:00:00+00:00",
            "2026-09-30T21:30:00+00:00",  # 00:30 on 1 October in Vilnius
            "2026-10-02T12:00:00+00:00",
        ):
            sessions.append(
                insert(
                    "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours)"
                    " VALUES (?, ?, ?, 2)",
                    (piano, starts, starts),
                )
            )
        for session, pupils in zip(
            sessions, ([aiste, jonas, ula], [aiste], [aiste, jonas]), strict=True
        ):
            for pupil in pupils:
                tx.execute(
                    "INSERT INTO attendance (session_id, pupil_id, at, status, source)"
                    " VALUES (?, ?, ?, 'present', 'tap')",
                    (session, pupil, tx.now()),
                )
        tx.emit("clubs.recorded", {"groups": 3})
    return piano, choir


def test_clubs_page_when_there_are_no_clubs(app: Flask, store: Store) -> None:
    make_user(store, "learning", levels={Area.LEARNING_DATA: Level.VIEWER})
    html = page(app, "learning", "/clubs/")
    assert "No programme has been registered yet." in html
    assert "There are no groups in this school year." in html
    assert "No session has been held in this school year yet." in html
    assert "School year 2026–2027." in html


def test_clubs_programmes_groups_attendance_and_funding(app: Flask, store: Store) -> None:
    school = add_school(store)
    leader = make_user(store, "leader", first_name="Rūta", last_name="Mockutė")
    piano, choir = add_clubs(store, school, leader)
    make_user(store, "learning", levels={Area.LEARNING_DATA: Level.VIEWER})

    html = page(app, "learning", "/clubs/")

    assert "Fortepijono studija" in row(html, "data-programme", "120100123")
    assert "<td>2</td>" in row(html, "data-programme", "120100123")  # groups this year
    assert "<td>0</td>" in row(html, "data-programme", "120100999")
    group = re.sub(r"\s+", " ", re.findall(rf'<tr data-group="{piano}">(.*?)</tr>', html, re.S)[0])
    assert 'data-test="enrolled">2<' in group
    assert "Rūta Mockutė" in group
    assert 'data-test="sessions">2<' in group  # October: 1 October 00:30 local and 2 October
    other = re.findall(rf'<tr data-group="{choir}">(.*?)</tr>', html, re.S)[0]
    assert "no leader named" in other
    september = row(html, "data-month", "2026-09")
    assert 'data-test="marks">3<' in september
    assert "<td>1</td><td>2</td>" in september  # one session, two academic hours
    october = row(html, "data-month", "2026-10")
    assert 'data-test="marks">3<' in october
    chart = re.findall(rf'<g data-group="{piano}">(.*?)</g>', html, re.S)[0]
    bars = dict(re.findall(r'<rect data-month="([\d-]+)" data-marks="(\d+)"', chart))
    assert bars == {"2026-09": "3", "2026-10": "3"}
    assert re.search(r'data-month="2026-10" data-marks="3" x="\d+" y="\d+" width="40"'
                     r' height="40"', chart)  # the largest month fills the row  # fmt: skip
    assert f'<g data-group="{choir}">' not in html  # no session, no bars
    assert 'role="img" aria-labelledby="attendance-title attendance-hint"' in html
    assert f'data-group="{choir}" data-month' not in html  # no session, no row
    municipal = row(html, "data-kind", "municipal")
    assert 'data-state="local">1<' in municipal
    assert 'data-kind="basket"' not in html
    assert 'data-test="basket"' not in html  # the basket needs its own right
    assert "style=" not in html
    for code in CODES:
        assert code not in html


CLUB_PAGES = {
    "club_setup.programmes": "/clubs/programmes",
    "club_setup.classifiers": "/clubs/classifiers",
    "club_enrolment.find": "/clubs/enrol",
    "club_sessions.mine": "/clubs/sessions",
    "club_lists.index": "/clubs/lists",
    "club_report.month": "/clubs/report",
}


def test_clubs_page_links_every_clubs_page_one_may_open(app: Flask, store: Store) -> None:
    assert set(CLUB_PAGES) <= set(app.view_functions)
    make_user(store, "everything", levels=every_right())
    html = page(app, "everything", "/clubs/")
    for endpoint, path in CLUB_PAGES.items():
        assert f'href="{path}" data-page="{endpoint}"' in html
    make_user(store, "learning", levels={Area.LEARNING_DATA: Level.VIEWER})
    shown = re.findall(r'data-page="([\w.]+)"', page(app, "learning", "/clubs/"))
    # enrolling needs a manager; the lists and the report rights of their own
    assert shown == ["club_setup.programmes", "club_setup.classifiers", "club_sessions.mine"]
    for path in (CLUB_PAGES[e] for e in shown):
        assert signed_in(app, "learning").get(path).status_code == 200


def test_the_basket_is_shown_with_the_basket_right(app: Flask, store: Store) -> None:
    school = add_school(store)
    leader = make_user(store, "leader")
    add_clubs(store, school, leader)
    make_user(
        store,
        "basket",
        levels={Area.LEARNING_DATA: Level.VIEWER, Area.BASKET: Level.VIEWER},
    )
    html = page(app, "basket", "/clubs/")
    basket = re.search(r'data-test="basket">(.*?)</section>', html, re.S)
    assert basket
    assert 'data-state="accepted">1<' in basket[1]  # last year's mark is not counted
    assert 'data-state="rejected">1<' in basket[1]
    assert 'data-state="local">0<' in basket[1]
    assert 'data-kind="basket"' not in html  # shown once, in its own section


# ------------------------------------------------------------------ sync

#: a sync error as sync keeps it: the English template and its parameters
UNREACHABLE = (
    '{"template": "cannot reach the registry: {reason}",'
    ' "params": {"reason": "connection refused"}}'
)


def test_sync_page_lists_events_without_payloads_and_the_cursors(app: Flask, store: Store) -> None:
    make_user(store, "nobody")
    assert "Nothing has been pulled from the registry yet." in page(app, "nobody", "/sync/")
    with store.transaction() as tx:
        tx.emit("pupil.updated", {"personal_code": CODES[0], "first_name": "Aistė"})
        tx.emit("card.issued", {"card_id": 1, "chip_uid": FULL_UID})
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "UPDATE outbox SET attempts = 3, last_error = ? WHERE type = 'card.issued'",
            (UNREACHABLE,),
        )
        tx.execute(
            "INSERT INTO sync_jobs (job, last_success_at, last_error, last_error_at, failures)"
            " VALUES ('push', '2026-10-05T07:00:00+00:00', ?, '2026-10-05T07:20:00+00:00', 2)",
            (UNREACHABLE,),
        )
        tx.execute(
            "UPDATE outbox SET attempts = 1, acked_at = ?, rejected_reason = 'unknown pupil'"
            " WHERE type = 'pupil.updated'",
            ("2026-10-05T07:00:00+00:00",),
        )
        tx.execute(
            "INSERT INTO sync_cursors VALUES ('roster', 'c-000042', '2026-10-05T06:00:00+00:00')"
        )
    seqs = dict(store.conn.execute("SELECT type, seq FROM outbox").fetchall())

    html = page(app, "nobody", "/sync/")

    issued = row(html, "data-seq", seqs["card.issued"])
    assert "card.issued" in issued
    assert "<td>3</td>" in issued
    assert "connection refused" in issued
    rejected = row(html, "data-seq", seqs["pupil.updated"])
    assert "unknown pupil" in rejected
    assert "2026-10-05 10:00" in rejected  # acknowledged, in Vilnius time
    assert re.search(r'data-test="last-error">cannot reach the registry: connection refused<', html)
    assert "2026-10-05 10:20: cannot reach the registry: connection refused" in row(
        html, "data-job", "push"
    )
    assert re.search(r'data-live="sync.backlog">\d+<', html)
    assert "2026-10-05 10:00" in re.findall(r'data-live="sync.last_success">([^<]*)<', html)[0]
    cursor = row(html, "data-cursor", "roster")
    assert "c-000042" in cursor
    assert "2026-10-05 09:00" in cursor
    assert CODES[0] not in html  # the payloads are never shown
    assert FULL_UID not in html
    assert "Aistė" not in html


def test_sync_page_shows_at_most_the_50_newest_events(app: Flask, store: Store) -> None:
    make_user(store, "nobody", levels=every_right(Level.VIEWER))
    with store.transaction() as tx:
        for number in range(60):
            tx.emit("test.counted", {"n": number})
    newest = store.conn.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    html = page(app, "nobody", "/sync/")
    assert html.count('<tr data-seq="') == 50
    assert f'data-seq="{newest}"' in html
    assert f'data-seq="{newest - 50}"' not in html
