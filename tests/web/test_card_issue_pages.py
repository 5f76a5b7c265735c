"""The handover, issue, journal and destruction pages (in Lithuanian) on a real store, with the
station's real documents plugged in: the acts' and the journal's PDFs read back with pypdf, the
registration number given at issue, a commission of one refused, and who may change what."""

from __future__ import annotations

import io

import pytest
from canteen_pages import audit_rows, events, seen, text_of
from flask import Flask
from pypdf import PdfReader
from visitor import Visitor, make_user, signed_in

from card_station_cards import counts, personalised_card, receive_blanks, spoiled_blank
from emp_edge.card_station.papers import StationPapers
from emp_edge.domain.access import Area, Level
from emp_edge.domain.card_station import Recipient
from emp_edge.domain.cards import CardState
from emp_edge.printer.card_face import load_template
from emp_edge.store import Store
from emp_edge.store.card_issue import hand_over, issue_card
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_returns import spoil_card
from emp_edge.web.card_papers import use_card_papers

TODAY = "2026-10-05"


@pytest.fixture
def papers(app: Flask, store: Store) -> None:
    use_card_papers(app, StationPapers(store, load_template(), "LT121000011101001000"))


@pytest.fixture
def officer(app: Flask, store: Store) -> Visitor:
    make_user(store, "ona", levels={Area.CARDS: Level.MANAGER}, last_name="Šimkienė")
    return signed_in(app, "ona")


@pytest.fixture
def watcher(app: Flask, store: Store) -> Visitor:
    make_user(store, "petras", levels={Area.CARDS: Level.VIEWER}, first_name="Petras")
    return signed_in(app, "petras")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def handed_over(store: Store, card_ids: list[int]) -> int:
    with store.transaction() as tx:
        return hand_over(
            tx, card_ids, store.clock.today(), "Ona Šimkienė", "Jonas Kęstutis", user_id=None
        )


def test_a_handover_act_is_recorded_and_its_pdf_names_the_pupils(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    first = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    second = personalised_card(store, "Ąžuolas", "Šimkus", "04A1B2C3D4E5F7")
    page = text_of(officer.get("/cards/handover"))
    awaiting = page.split('data-test="awaiting"')[1].split("</table>")[0]
    assert "Žydrūnė Čepulionytė" in awaiting
    assert "Ąžuolas Šimkus" in awaiting
    assert 'value="Ona Šimkienė"' in page  # who hands over: the signed-in officer
    assert audit_rows(store, "cards.handover_listed")

    response = officer.post(
        "/cards/handover",
        {
            "cards": [str(first), str(second)],
            "made_on": TODAY,
            "handed_by": "Ona Šimkienė",
            "received_by": "Jonas Kęstutis",
        },
    )
    assert response.status_code == 303, text_of(response)
    act_id = int(response.headers["Location"].rsplit("=", 1)[1])
    after = text_of(officer.get(response.headers["Location"]))
    assert f'href="/cards/acts/{act_id}.pdf"' in after
    assert (
        seen(app, "Handover act no. %(number)s is recorded.").replace("%(number)s", str(act_id))
        in after
    )
    assert events(store, "card.handed_over")[0]["cards"] == [first, second]
    assert audit_rows(store, "cards.handed_over")[0][1] == f"act:{act_id}"

    pdf = officer.get(f"/cards/acts/{act_id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for name in ("Žydrūnė Čepulionytė", "Ąžuolas Šimkus", "Jonas Kęstutis"):
        assert name in text
    assert audit_rows(store, "card_act.printed")[0][1] == f"act:{act_id}"


def test_a_handover_without_cards_or_a_receiver_is_refused(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    card = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    before = counts(store)
    response = officer.post(
        "/cards/handover",
        {"cards": [str(card)], "made_on": TODAY, "handed_by": "Ona Šimkienė", "received_by": ""},
    )
    assert response.status_code == 400
    error = text_of(response).split('data-error-for="received_by"')[1].split("</p>")[0]
    assert seen(app, "Enter who receives the cards for the school.") in error
    none = officer.post(
        "/cards/handover",
        {"made_on": TODAY, "handed_by": "Ona Šimkienė", "received_by": "Jonas Kęstutis"},
    )
    assert none.status_code == 400
    assert seen(app, "choose at least one card for the act") in text_of(none)
    assert counts(store) == before


def test_issue_gives_the_registration_number_and_the_journal_shows_who_received_it(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    card = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    handed_over(store, [card])
    page = text_of(officer.get("/cards/handover"))
    to_issue = page.split('data-test="to-issue"')[1]
    assert f'action="/cards/{card}/issue"' in to_issue
    assert 'value="Žydrūnė Čepulionytė"' in to_issue  # the pupil's name, prefilled

    response = officer.post(
        f"/cards/{card}/issue",
        {
            "recipient": "parent",
            "recipient_name": "Rūta Čepulionienė",
            "issued_on": TODAY,
            "back": "handover",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    flashed = seen(app, "Card %(card)s is issued: registration number %(number)s.")
    assert flashed.replace("%(card)s", str(card)).replace("%(number)s", "2026/0001") in text_of(
        response
    )
    issued = station_card(store.conn, card)
    assert issued.state is CardState.ISSUED
    assert issued.registration_number == "2026/0001"
    assert events(store, "card.issued")[0]["registration_number"] == "2026/0001"

    journal = text_of(officer.get("/cards/journal?year=2026"))
    row = journal.split(f'data-card="{card}"')[1].split("</tr>")[0]
    assert "2026/0001" in row
    assert "Rūta Čepulionienė" in row
    assert "Žydrūnė Čepulionytė" in row
    assert audit_rows(store, "cards.journal_viewed")[0][2] == "year 2026; 1 entries"
    empty = text_of(officer.get("/cards/journal?year=2025"))
    assert 'data-test="journal-empty"' in empty

    pdf = officer.get("/cards/journal?year=2026&format=pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "2026/0001" in text
    assert "Rūta Čepulionienė" in text


def test_issue_from_the_card_page_goes_back_there_and_a_refusal_says_why(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    card = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    before = counts(store)
    refused = officer.post(
        f"/cards/{card}/issue",
        {
            "recipient": "pupil",
            "recipient_name": "Žydrūnė Čepulionytė",
            "issued_on": TODAY,
            "back": "card",
        },
    )
    assert refused.status_code == 303
    assert refused.headers["Location"] == f"/cards/{card}"
    with officer.client.session_transaction() as session:
        flashes = [text for _, text in session.get("_flashes", [])]
    assert flashes == [
        seen(
            app,
            "card {number} has not been handed to the school with an act yet (§35)",
            number=card,
        )
    ]
    assert counts(store) == before

    handed_over(store, [card])
    bad_date = officer.post(
        f"/cards/{card}/issue",
        {"recipient": "pupil", "recipient_name": "Žydrūnė Čepulionytė", "issued_on": "2099-01-01"},
    )
    assert bad_date.status_code == 400
    error = text_of(bad_date).split('data-error-for="issued_on"')[1].split("</p>")[0]
    assert seen(app, "a card cannot be issued in the future") in error

    done = officer.post(
        f"/cards/{card}/issue",
        {
            "recipient": "class_teacher",
            "recipient_name": "Jonas Kęstutis",
            "issued_on": TODAY,
            "back": "card",
        },
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"/cards/{card}"
    assert station_card(store.conn, card).registration_number == "2026/0001"


def _destroyable(store: Store) -> dict[str, int]:
    """Blank number → blank id of what the destruction page offers."""
    return dict(
        store.conn.execute(
            "SELECT blank_number, id FROM blanks WHERE state IN ('spoiled', 'used')"
        ).fetchall()
    )


def test_destruction_needs_two_commission_members_and_makes_its_act(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    _, spoiled_number = spoiled_blank(store, "Ąžuolas", "Šimkus")
    faulty = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    with store.transaction() as tx:
        spoil_card(tx, faulty, "nuspaustas kreivai", user_id=None)
    blanks = _destroyable(store)
    page = text_of(officer.get("/cards/destruction"))
    listed = page.split('data-test="destroyable"')[1].split("</table>")[0]
    assert spoiled_number in listed
    assert "Žydrūnė Čepulionytė" in listed
    chosen = [str(blank_id) for blank_id in blanks.values()]
    before = counts(store)

    alone = officer.post(
        "/cards/destruction",
        {"blanks": chosen, "made_on": TODAY, "chair": "Ona Šimkienė", "member_1": ""},
    )
    assert alone.status_code == 400
    error = text_of(alone).split('data-error-for="member_1"')[1].split("</p>")[0]
    assert error.endswith(seen(app, "the commission needs its chair and at least one member"))
    assert counts(store) == before

    response = officer.post(
        "/cards/destruction",
        {
            "blanks": chosen,
            "made_on": TODAY,
            "chair": "Ona Šimkienė",
            "member_1": "Petras Ąžuolas",
            "member_2": "Gintarė Žilinskė",
        },
    )
    assert response.status_code == 303, text_of(response)
    act_id = int(response.headers["Location"].rsplit("=", 1)[1])
    assert f'href="/cards/acts/{act_id}.pdf"' in text_of(officer.get(response.headers["Location"]))
    assert station_card(store.conn, faulty).state is CardState.DESTROYED
    states = set(
        store.conn.execute(f"SELECT state FROM blanks WHERE id IN ({', '.join(chosen)})").fetchall()
    )
    assert states == {("destroyed",)}
    assert events(store, "card.destroyed")[0]["act_id"] == act_id
    text = pdf_text(officer.get(f"/cards/acts/{act_id}.pdf").data)
    for name in ("Ona Šimkienė", "Petras Ąžuolas", "Gintarė Žilinskė", spoiled_number):
        assert name in text


def test_a_viewer_reads_the_pages_and_cannot_change_anything(
    app: Flask, store: Store, papers: None, watcher: Visitor
) -> None:
    receive_blanks(store)
    card = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    spoiled = spoiled_blank(store, "Ąžuolas", "Šimkus")[1]
    page = text_of(watcher.get("/cards/handover"))
    assert "Žydrūnė Čepulionytė" in page
    assert 'name="received_by"' not in page
    assert spoiled in text_of(watcher.get("/cards/destruction"))
    assert watcher.get("/cards/journal").status_code == 200
    before = counts(store)
    refused = [
        watcher.post(
            "/cards/handover",
            {"cards": [str(card)], "made_on": TODAY, "handed_by": "A B", "received_by": "C D"},
        ),
        watcher.post(
            f"/cards/{card}/issue",
            {"recipient": Recipient.PUPIL.value, "recipient_name": "A B", "issued_on": TODAY},
        ),
        watcher.post(
            "/cards/destruction",
            {"blanks": ["1"], "made_on": TODAY, "chair": "A B", "member_1": "C D"},
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert counts(store) == before


def test_an_act_that_does_not_exist_is_not_found(
    app: Flask, store: Store, papers: None, watcher: Visitor
) -> None:
    assert watcher.get("/cards/acts/99.pdf").status_code == 404


def test_issued_cards_are_issued_once(
    app: Flask, store: Store, papers: None, officer: Visitor
) -> None:
    receive_blanks(store)
    card = personalised_card(store, "Žydrūnė", "Čepulionytė", "04A1B2C3D4E5F6")
    handed_over(store, [card])
    with store.transaction() as tx:
        issue_card(
            tx, card, Recipient.PUPIL, "Žydrūnė Čepulionytė", store.clock.today(), user_id=None
        )
    before = counts(store)
    again = officer.post(
        f"/cards/{card}/issue",
        {"recipient": "pupil", "recipient_name": "Žydrūnė Čepulionytė", "issued_on": TODAY},
    )
    assert again.status_code == 400
    assert counts(store) == before
