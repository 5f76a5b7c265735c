"""A card request at the station (§20, §42): find the pupil, say who asks, and the cards list with
the open requests by due date, the overdue ones marked and the chart against the 21-day limit.
Pages are read in Lithuanian (the default); every refusal shows its reason at its field and
leaves the database exactly as it was."""

from __future__ import annotations

import re
from datetime import timedelta

from canteen_pages import audit_rows, dump, events, seen, text_of
from card_station_pages import TODAY, manager, pupil, request_card, seen_plural, viewer
from flask import Flask

from emp_edge.domain.card_station import Requester
from emp_edge.store import Store
from emp_edge.store.card_requests import RequestInput, record_request

LETTERS = "ąčęėįšųūž"


def request_form(pupil_id: int, **fields: str) -> dict[str, str]:
    base = {
        "pupil": str(pupil_id),
        "requester": "parent",
        "requester_name": "Rūta Žemaitė",
        "requester_contact": "+370 600 00000",
        "requested_on": TODAY.isoformat(),
    }
    base.update(fields)
    return base


def field_errors(html: str, name: str) -> list[str]:
    return re.findall(rf'data-error-for="{name}">([^<]*)<', html)


def test_a_request_in_two_steps_keeps_every_lithuanian_letter(app: Flask, store: Store) -> None:
    child = pupil(store)
    staff = manager(app, store)

    found = staff.get("/cards/requests/new?q=cepul")
    assert found.status_code == 200
    html = text_of(found)
    assert '<html lang="lt">' in html
    assert seen(app, "Step 1 of 2: find the pupil") in html
    assert "Čepulionytė Žydrūnė" in html
    assert f'href="/cards/requests/new?pupil={child}"' in html

    step2 = staff.get(f"/cards/requests/new?pupil={child}")
    page = text_of(step2)
    assert seen(app, "Step 2 of 2: who asks for the card") in page
    assert 'value="Žydrūnė Čepulionytė"' in page  # the pupil asks: the pupil's own name
    assert f'value="{TODAY.isoformat()}"' in page

    sent = staff.post(
        "/cards/requests/new",
        request_form(
            child, requester_name="Ona Vąčęėįšųūžienė", requester_contact=f"{LETTERS}@pastas.lt"
        ),
    )
    assert sent.status_code == 302, text_of(sent)
    card_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    row = store.conn.execute(
        "SELECT state, requested_by, requester_name, requester_relation, requester_contact,"
        " requested_on FROM cards WHERE id = ?",
        (card_id,),
    ).fetchone()
    assert row == (
        "requested",
        "parent",
        "Ona Vąčęėįšųūžienė",
        "parent",
        f"{LETTERS}@pastas.lt",
        TODAY.isoformat(),
    )
    card_page = text_of(staff.get(f"/cards/{card_id}"))
    assert "Žydrūnė Čepulionytė" in card_page
    assert "Ona Vąčęėįšųūžienė" in card_page
    assert f"{LETTERS}@pastas.lt" in card_page
    assert (TODAY + timedelta(days=21)).isoformat() in card_page  # due by (§42)
    assert seen(app, "annex 2") in card_page
    assert [e["card_id"] for e in events(store, "card.requested")] == [card_id]
    assert audit_rows(store, "card.requested")[0][1] == f"card:{card_id}"
    assert audit_rows(store, "card.request.opened") == [("rasa", f"pupil:{child}", "")]


def test_when_the_pupil_asks_an_empty_name_is_the_pupils_own(app: Flask, store: Store) -> None:
    child = pupil(store, "Ūla", "Žemaitytė")
    sent = manager(app, store).post(
        "/cards/requests/new", request_form(child, requester="pupil", requester_name="")
    )
    assert sent.status_code == 302
    assert store.conn.execute(
        "SELECT requested_by, requester_name, requester_relation FROM cards"
    ).fetchall() == [("pupil", "Ūla Žemaitytė", "self")]


def test_a_second_request_is_refused_at_the_pupil_and_nothing_is_written(
    app: Flask, store: Store
) -> None:
    child = pupil(store)
    first = request_card(store, child)
    staff = manager(app, store)
    before = dump(store)

    refused = staff.post("/cards/requests/new", request_form(child))

    assert refused.status_code == 400
    html = text_of(refused)
    wanted = seen(
        app,
        "the pupil already has an open request (card {number}): finish or cancel it first",
        number=first,
    )
    assert field_errors(html, "pupil") == [wanted]
    assert f'href="/cards/{first}"' in html  # the open request is one click away
    assert dump(store) == before


def test_a_pupil_who_left_or_is_in_no_class_is_refused(app: Flask, store: Store) -> None:
    left = pupil(store, "Jonas", "Petraitis")
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET active = 0 WHERE id = ?", (left,))
        tx.emit("test.pupil_left", {})
    classless = pupil(store, "Ieva", "Ėglė", label=None)
    staff = manager(app, store)
    before = dump(store)

    gone = staff.post("/cards/requests/new", request_form(left))
    nowhere = staff.post("/cards/requests/new", request_form(classless))

    assert gone.status_code == nowhere.status_code == 400
    assert field_errors(text_of(gone), "pupil") == [
        seen(app, "the pupil has left the school: no card can be asked for")
    ]
    assert field_errors(text_of(nowhere), "pupil") == [
        seen(app, "the pupil is in no class: the card's validity comes from the grade (§30)")
    ]
    assert dump(store) == before


def test_bad_fields_are_refused_at_their_field(app: Flask, store: Store) -> None:
    child = pupil(store)
    staff = manager(app, store)
    before = dump(store)

    future = staff.post(
        "/cards/requests/new",
        request_form(child, requested_on=(TODAY + timedelta(days=1)).isoformat()),
    )
    nameless = staff.post("/cards/requests/new", request_form(child, requester_name=""))
    no_date = staff.post("/cards/requests/new", request_form(child, requested_on="5.10.2026"))

    assert field_errors(text_of(future), "requested_on") == [
        seen(app, "a request cannot be dated in the future")
    ]
    assert field_errors(text_of(nameless), "requester_name") == [seen(app, "the name is empty")]
    assert field_errors(text_of(no_date), "requested_on") == [
        seen(app, "Enter the date as yyyy-mm-dd, e.g. 2026-09-01.")
    ]
    assert {future.status_code, nameless.status_code, no_date.status_code} == {400}
    assert dump(store) == before


def test_the_search_marks_a_pupil_with_an_open_request(app: Flask, store: Store) -> None:
    child = pupil(store)
    card_id = request_card(store, child)
    html = text_of(manager(app, store).get("/cards/requests/new?q=5a"))
    assert f'href="/cards/{card_id}"' in html
    assert seen(app, "open request: card %(card)s") % {"card": card_id} in html
    assert audit_rows(store, "card.request.searched")[0][2] == "search: 5a; 1 found"


def _requested(store: Store, pupil_id: int, days_ago: int) -> int:
    with store.transaction() as tx:
        return record_request(
            tx,
            RequestInput(pupil_id, TODAY - timedelta(days=days_ago), Requester.PUPIL, "Vardas"),
            user_id=None,
        )


def _row(html: str, card_id: int) -> str:
    found = re.search(rf'<tr ([^>]*)data-card="{card_id}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, card_id
    return found[1] + re.sub(r"\s+", " ", found[2])


def test_the_list_by_due_date_marks_overdue_and_due_soon_with_words(
    app: Flask, store: Store
) -> None:
    fresh = _requested(store, pupil(store, "Ūla", "Žemaitytė"), 2)
    late = _requested(store, pupil(store, "Aistė", "Jonaitytė"), 25)
    soon = _requested(store, pupil(store, "Jonas", "Petraitis"), 18)
    staff = manager(app, store)

    html = text_of(staff.get("/cards/"))

    order = [int(n) for n in re.findall(r'<tr [^>]*data-card="(\d+)"', html)]
    assert order == [late, soon, fresh]  # by due date, the most urgent first
    overdue = _row(html, late)
    assert 'class="overdue"' in overdue
    assert seen(app, "overdue") in overdue
    assert seen_plural(app, "%(num)s day late", "%(num)s days late", 4) in overdue  # not colour
    assert f'href="/cards/{late}"' in overdue
    due_soon = _row(html, soon)
    assert 'class="due-soon"' in due_soon
    assert seen(app, "due soon") in due_soon
    assert seen_plural(app, "%(num)s day left", "%(num)s days left", 3) in due_soon
    assert 'class="on-time"' in _row(html, fresh)
    assert 'href="/cards/requests/new"' in html  # "Naujas prašymas"
    assert seen(app, "New request") in html


def test_the_chart_counts_requests_by_age_against_the_limit(app: Flask, store: Store) -> None:
    for n, days in enumerate((25, 25, 18, 2)):
        _requested(store, pupil(store, "Vardas", f"Pavardenis{'abcd'[n]}"), days)
    html = text_of(viewer(app, store).get("/cards/"))
    chart = re.search(r'<svg class="chart" data-test="age-chart".*?</svg>', html, re.S)
    assert chart
    bars = {
        int(age): (int(count), status)
        for age, count, status in re.findall(
            r'<rect data-age="(\d+)" data-count="(\d+)" data-status="(\w+)"', chart[0]
        )
    }
    assert bars == {25: (2, "overdue"), 18: (1, "due_soon"), 2: (1, "on_time")}
    limit = int(re.search(r'data-test="limit-line" x1="(\d+)"', chart[0])[1])  # type: ignore[index]
    warn = int(re.search(r'data-test="warn-line" x1="(\d+)"', chart[0])[1])  # type: ignore[index]
    xs = {
        int(age): int(x)
        for age, x in re.findall(r'<rect data-age="(\d+)"[^>]* x="(\d+)"', chart[0])
    }
    assert xs[2] < warn < xs[18] < limit < xs[25]
    assert 'href="/cards/requests/new"' not in html  # a viewer asks for no card


def test_the_index_links_only_to_pages_that_exist_and_may_be_opened(
    app: Flask, store: Store
) -> None:
    reader = viewer(app, store)
    html = text_of(reader.get("/cards/"))
    links = re.search(r'data-test="card-station-links">(.*?)</nav>', html, re.S)
    assert links
    hrefs = re.findall(r'href="([^"]+)"', links[0])
    assert hrefs  # the journal and the acts at least
    for href in hrefs:
        assert reader.get(href).status_code == 200, href
    assert 'href="/cards/blanks"' not in links[0]  # blanks are a right of their own


def test_a_viewer_reads_but_cannot_ask_for_a_card(app: Flask, store: Store) -> None:
    child = pupil(store)
    reader = viewer(app, store)
    before = dump(store)
    assert reader.get("/cards/requests/new").status_code == 403
    assert reader.post("/cards/requests/new", request_form(child)).status_code == 403
    assert dump(store) == before
