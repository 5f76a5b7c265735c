"""The cards, canteen, clubs and sync pages: what the database holds, to those allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from visitor import every_right, signed_in
from visitor import make_user as make_account

from emp_edge.domain.access import Area, Level
from emp_edge.store import Store
from emp_edge.store.accounts import set_language

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
    ("/canteen/", Area.LISTS),
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


def add_ledger(
    store: Store, pupil_id: int, kind: str, cents: int, at: str, till: str = "canteen-1"
) -> None:
    with store.transaction() as tx:
        event = tx.emit("ledger.written", {"pupil_id": pupil_id, "kind": kind, "cents": cents})
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (pupil_id, kind, cents, at, till, event),
        )


def add_entitlement(
    store: Store, pupil_id: int, meal: str, valid_from: str, valid_to: str | None
) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, valid_to, source,"
            " created_at) VALUES (?, ?, ?, ?, 'registry', ?)",
            (pupil_id, meal, valid_from, valid_to, tx.now()),
        )
        tx.emit("meal.entitled", {"pupil_id": pupil_id, "meal_type": meal})


def test_canteen_page_when_nothing_happened_yet(app: Flask, store: Store) -> None:
    make_user(store, "lists", levels={Area.LISTS: Level.VIEWER})
    html = page(app, "lists", "/canteen/")
    assert "No sales today yet." in html
    assert "No pupil is entitled to a free meal today." in html
    assert "No pupil has a negative balance." in html
    assert html.count("<meter ") == 14
    assert "canteen.listed" not in audit_actions(store)


def test_canteen_sales_meals_entitlements_and_balances(app: Flask, store: Store) -> None:
    school = add_school(store)
    aiste, jonas, ula = school.pupils
    for pupil in school.pupils:
        add_ledger(store, pupil, "topup", 2000, "2026-10-01T06:00:00+00:00", till="")
    # today (2026-10-05 in Vilnius is 2026-10-04T21:00Z .. 2026-10-05T21:00Z)
    add_ledger(store, aiste, "sale", -250, "2026-10-05T08:00:00+00:00")
    add_ledger(store, jonas, "sale", -310, "2026-10-04T21:30:00+00:00")  # 00:30 local
    add_ledger(store, ula, "sale", -125, "2026-10-05T09:00:00+00:00", till="canteen-2")
    # 2026-10-04 local: one sale; 20:59Z is still 23:59 local on the 4th
    add_ledger(store, aiste, "sale", -250, "2026-10-04T20:59:00+00:00")
    # before the 14 days shown
    add_ledger(store, aiste, "sale", -250, "2026-09-20T08:00:00+00:00")
    add_entitlement(store, aiste, "lunch", "2026-09-01", None)
    add_entitlement(store, jonas, "lunch", "2026-09-01", "2026-10-05")
    add_entitlement(store, jonas, "breakfast", "2026-10-06", None)  # not yet valid
    add_entitlement(store, ula, "breakfast", "2026-09-01", "2026-10-04")  # ended yesterday
    make_user(store, "lists", levels={Area.LISTS: Level.VIEWER})

    html = page(app, "lists", "/canteen/")

    assert re.search(r'data-test="sales-count">3<', html)
    assert re.search(r'data-test="sales-sum">6,85 €<', html)
    till_1 = row(html, "data-till", "canteen-1")
    assert "<td>2</td>" in till_1
    assert "5,60 €" in till_1
    assert "1,25 €" in row(html, "data-till", "canteen-2")
    assert 'meter min="0" max="3" value="3"' in row(html, "data-day", "2026-10-05")
    assert 'value="1"' in row(html, "data-day", "2026-10-04")
    assert 'value="0"' in row(html, "data-day", "2026-09-22")  # the first of the 14 days
    assert 'data-day="2026-09-21"' not in html
    assert re.search(r'data-meal="lunch">2<', html)
    assert 'data-meal="breakfast"' not in html
    assert "2 entitlements valid today" in html
    assert "Jonaitytė Aistė" in row(html, "data-pupil", aiste)
    assert "until further notice" in row(html, "data-pupil", aiste)
    assert "2026-10-05" in row(html, "data-pupil", jonas)
    assert f'data-pupil="{ula}"' not in html
    assert "No pupil has a negative balance." in html
    assert "style=" not in html
    for code in CODES:
        assert code not in html
    assert audit_actions(store)[-1] == "canteen.listed"


def test_a_negative_balance_is_shown(app: Flask, store: Store) -> None:
    school = add_school(store)
    add_ledger(store, school.pupils[1], "topup", 100, "2026-10-01T06:00:00+00:00")
    add_ledger(store, school.pupils[1], "sale", -250, "2026-10-02T06:00:00+00:00")
    make_user(store, "lists", levels={Area.LISTS: Level.VIEWER})
    html = page(app, "lists", "/canteen/")
    assert "1 pupil has a negative balance." in html
    negative = row(html, "data-pupil", school.pupils[1])
    assert "Petraitis Jonas" in negative
    assert "-1,50 €" in negative
    assert "canteen.listed" in audit_actions(store)


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
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, state) VALUES (?, ?, ?)",
                (enrolments[key], kind, state),
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
    assert 'meter min="0" max="3" value="3"' in october
    assert f'data-group="{choir}" data-month' not in html  # no session, no row
    municipal = row(html, "data-kind", "municipal")
    assert 'data-state="local">1<' in municipal
    assert 'data-kind="basket"' not in html
    assert 'data-test="basket"' not in html  # the basket needs its own right
    assert "style=" not in html
    for code in CODES:
        assert code not in html


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


def test_sync_page_lists_events_without_payloads_and_the_cursors(app: Flask, store: Store) -> None:
    make_user(store, "nobody")
    assert "Nothing has been pulled from the registry yet." in page(app, "nobody", "/sync/")
    with store.transaction() as tx:
        tx.emit("pupil.updated", {"personal_code": CODES[0], "first_name": "Aistė"})
        tx.emit("card.issued", {"card_id": 1, "chip_uid": FULL_UID})
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "UPDATE outbox SET attempts = 3, last_error = 'connection refused'"
            " WHERE type = 'card.issued'"
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
    assert re.search(r'data-live="sync.last_error">connection refused<', html)
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
