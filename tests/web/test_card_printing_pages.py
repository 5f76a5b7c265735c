"""The printing page (in Lithuanian): the cards ready to print and why the others are not, a
batch run as a background job with the real card station behind it (spool-folder printer,
emulated chips, the real template), its report, the printer off, and who may print."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from canteen_pages import audit_rows, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from card_station_cards import KEYS, counts, ready_card, receive_blanks, requested_card
from emp_edge.card_station.batch import CardBatch
from emp_edge.domain.access import Area, Level
from emp_edge.domain.cards import CardState
from emp_edge.printer.card_face import load_template
from emp_edge.printer.card_printers import SpoolCardPrinter
from emp_edge.store import Store
from emp_edge.store.card_moves import station_card
from emp_edge.terminal.encoder import SimulatedEncoder
from emp_edge.web.jobs import Jobs
from emp_edge.web.views.card_printing import use_card_batch


@pytest.fixture
def printing(app: Flask, store: Store, tmp_path: Path) -> Path:
    """The card station plugged into the app: a spool folder as the printer; returns it."""
    spool = tmp_path / "spool"
    batch = CardBatch(
        store,
        SpoolCardPrinter(spool),
        SimulatedEncoder(KEYS),
        load_template(),
        print_timeout_s=10,
    )
    use_card_batch(app, batch)
    app.config["LIVE_INTERVAL_SECONDS"] = 0.05
    return spool


@pytest.fixture
def officer(app: Flask, store: Store) -> Visitor:
    make_user(store, "ona", levels={Area.CARDS: Level.MANAGER})
    return signed_in(app, "ona")


@pytest.fixture
def watcher(app: Flask, store: Store) -> Visitor:
    make_user(store, "petras", levels={Area.CARDS: Level.VIEWER}, first_name="Petras")
    return signed_in(app, "petras")


def finish(app: Flask, job_page: str, timeout: float = 60.0) -> None:
    """Wait until the batch behind ``job_page`` has ended."""
    jobs: Jobs = app.extensions["emp_edge_jobs"]
    job_id = job_page.rsplit("/", 1)[-1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with jobs._lock:
            job = jobs._jobs.get(job_id)
        if job is not None and job.finished:
            return
        time.sleep(0.02)
    raise AssertionError("the batch did not end")


def test_the_page_lists_ready_cards_and_says_why_others_are_not(
    app: Flask, store: Store, printing: Path, watcher: Visitor
) -> None:
    receive_blanks(store)
    _, ready = ready_card(store, "Žydrūnė", "Čepulionytė")
    _, _waiting = requested_card(store, "Ąžuolas", "Šimkus")
    page = text_of(watcher.get("/cards/print"))
    ready_part = page.split('data-test="ready"')[1].split("</table>")[0]
    not_ready_part = page.split('data-test="not-ready"')[1]
    assert f'data-card="{ready}"' in ready_part
    assert "Žydrūnė Čepulionytė" in ready_part
    assert "Ąžuolas Šimkus" in not_ready_part
    assert seen(app, "there is no photo") in not_ready_part
    assert seen(app, "the card's data have not been checked") in not_ready_part
    assert 'data-test="lowest-free">EMP000101<' in page
    assert str(printing) in page  # the printer's name
    assert "Žydrūnė" not in page.split('data-test="not-ready"')[1]
    assert audit_rows(store, "cards.print_listed")[-1][2] == "2 requested, 1 ready"


def test_a_batch_runs_to_the_end_and_the_report_shows_each_card(
    app: Flask, store: Store, printing: Path, officer: Visitor
) -> None:
    receive_blanks(store)
    cards = [
        ready_card(store, first, last)[1]
        for first, last in (("Žydrūnė", "Čepulionytė"), ("Ąžuolas", "Šimkus"))
    ]
    assert 'value="EMP000101"' in text_of(officer.get("/cards/print"))  # the lowest free blank
    response = officer.post(
        "/cards/print", {"cards": [str(c) for c in cards], "first_blank": "EMP000105"}
    )
    assert response.status_code == 303, text_of(response)
    job_page = response.headers["Location"]
    assert re.fullmatch(r"/cards/print/[\w-]+", job_page)
    finish(app, job_page)

    page = text_of(officer.get(job_page))
    assert 'data-test="personalised">2<' in page
    assert "Žydrūnė Čepulionytė" in page
    assert page.count(str(seen(app, "made"))) >= 2
    assert "EMP000105" in page
    assert "EMP000106" in page
    assert all(station_card(store.conn, c).state is CardState.PERSONALISED for c in cards)
    assert len(list(printing.glob("*.pdf"))) == 2
    started = audit_rows(store, "cards.print_started")
    assert started[0][0] == "ona"
    assert "first blank EMP000105" in started[0][2]
    assert audit_rows(store, "cards.print_ended")[0][2].startswith("made 2 of 2")

    stream = officer.get(f"{job_page}/events").get_data(as_text=True)
    assert '"finished":true' in stream
    assert '"personalised":2' in stream


def test_printing_with_the_printer_off_reports_the_reason_and_claims_nothing(
    app: Flask, store: Store, tmp_path: Path, officer: Visitor
) -> None:
    not_a_folder = tmp_path / "spool"
    not_a_folder.write_bytes(b"")
    use_card_batch(
        app,
        CardBatch(
            store,
            SpoolCardPrinter(not_a_folder),
            SimulatedEncoder(KEYS),
            load_template(),
            print_timeout_s=10,
        ),
    )
    receive_blanks(store)
    card = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    before = counts(store)
    response = officer.post("/cards/print", {"cards": [str(card)], "first_blank": ""})
    assert response.status_code == 303
    finish(app, response.headers["Location"])
    page = text_of(officer.get(response.headers["Location"]))
    stopped = page.split('data-test="batch-stopped"')[1].split("</p>")[0]
    assert (
        seen(
            app,
            "the spool folder {folder} cannot be used: {reason}",
            folder=str(not_a_folder),
            reason="File exists",
        )
        in stopped
    )
    assert 'data-test="personalised">0<' in page
    assert counts(store) == before
    assert station_card(store.conn, card).state is CardState.REQUESTED


def test_bad_choices_are_refused_with_the_field_and_nothing_printed(
    app: Flask, store: Store, printing: Path, officer: Visitor
) -> None:
    receive_blanks(store)
    card = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    before = counts(store)
    none = officer.post("/cards/print", {"first_blank": "EMP000101"})
    assert none.status_code == 400
    assert seen(app, "choose at least one card to print") in text_of(none)
    never = officer.post("/cards/print", {"cards": [str(card)], "first_blank": "EMP000999"})
    assert never.status_code == 400
    error = text_of(never).split('data-error-for="first_blank"')[1].split("</p>")[0]
    assert seen(app, "blank {number} was never received", number="EMP000999") in error
    assert counts(store) == before
    assert not printing.exists() or not list(printing.glob("*.pdf"))


def test_without_the_card_station_the_page_says_printing_is_not_available(
    app: Flask, store: Store, officer: Visitor
) -> None:
    receive_blanks(store)
    card = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    assert seen(app, "Card printing is not available on this server.") in text_of(
        officer.get("/cards/print")
    )
    before = counts(store)
    response = officer.post("/cards/print", {"cards": [str(card)]})
    assert response.status_code == 503
    assert counts(store) == before


def test_a_viewer_sees_the_list_but_cannot_print(
    app: Flask, store: Store, printing: Path, watcher: Visitor
) -> None:
    receive_blanks(store)
    card = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    page = text_of(watcher.get("/cards/print"))
    assert "Žydrūnė Čepulionytė" in page
    assert 'name="first_blank"' not in page
    before = counts(store)
    assert watcher.post("/cards/print", {"cards": [str(card)]}).status_code == 403
    assert counts(store) == before


def test_another_account_cannot_follow_the_batch(
    app: Flask, store: Store, printing: Path, officer: Visitor
) -> None:
    receive_blanks(store)
    card = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    job_page = officer.post("/cards/print", {"cards": [str(card)]}).headers["Location"]
    finish(app, job_page)
    make_user(store, "jonas", levels={Area.CARDS: Level.MANAGER}, first_name="Jonas")
    other = signed_in(app, "jonas")
    assert other.get(job_page).status_code == 404
