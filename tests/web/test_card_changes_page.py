"""The changes in a card's life on its page (§37–40, §44): a paid or free replacement that blocks
the old card at every terminal at once, the payment and the parents' notice with the payment
purpose, the return that deletes the card's data and the photo, spoiling a personalised card and
withdrawing a request. Refusals leave the database as it was."""

from __future__ import annotations

import io
import re

import pytest
from canteen_pages import dump, events, seen, text_of
from card_station_pages import (
    TODAY,
    add_blanks,
    issued_card,
    manager,
    pupil,
    request_card,
    with_papers,
)
from flask import Flask
from pypdf import PdfReader

from emp_edge.domain.cards import CardVerdict, verdict_at_terminal
from emp_edge.store import Store
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_printing import ready_to_print


@pytest.fixture
def station(app: Flask, store: Store) -> Flask:
    return with_papers(app, store)


def field_errors(html: str, name: str) -> list[str]:
    return re.findall(rf'data-error-for="{name}">([^<]*)<', html)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- replacement (§37–40)


def test_a_paid_replacement_blocks_the_old_card_at_once(station: Flask, store: Store) -> None:
    child = pupil(store)
    add_blanks(store)
    old = issued_card(store, child)
    staff = manager(station, store)
    page = text_of(staff.get(f"/cards/{old}"))
    assert "6,00 €" in page  # each reason with its fee before anything is sent
    replacement = {
        "reason": "lost",
        "requester": "parent",
        "requester_name": "Rūta Žemaitė",
        "requester_contact": "+370 600 00000",
        "requested_on": TODAY.isoformat(),
    }
    before = dump(store)

    check = staff.post(f"/cards/{old}/replace", replacement)

    assert check.status_code == 200
    checked = text_of(check)
    assert 'data-fee="600"' in checked
    assert seen(station, "Confirm the replacement") in checked
    assert "6,00 €" in checked
    assert dump(store) == before  # the trial run wrote nothing

    done = staff.post(f"/cards/{old}/replace", replacement | {"confirm": "yes"})

    assert done.status_code == 302
    new = int(done.headers["Location"].rsplit("/", 1)[1])
    blocked = station_card(store.conn, old)
    assert verdict_at_terminal(blocked.state, blocked.valid_until, TODAY) is CardVerdict.REPLACED
    card = station_card(store.conn, new)
    assert (card.replaces_card_id, card.fee_cents, card.paid_on) == (old, 600, None)
    assert [e["new_card_id"] for e in events(store, "card.replaced")] == [new]
    new_page = text_of(staff.get(f"/cards/{new}"))
    assert (
        seen(
            station,
            "Card %(old)s is blocked at every terminal from now on. The new card %(new)s is"
            " requested: %(fee)s.",
        )
        % {"old": old, "new": new, "fee": "6,00 €"}
        in new_page
    )
    assert seen(station, "the replacement fee is not paid yet") in new_page
    purpose = re.search(r'data-test="payment-purpose">.*?<strong[^>]*>([^<]+)<', new_page, re.S)
    assert purpose
    assert "Čepulionytė" in purpose[1]

    notice = staff.get(f"/cards/{new}/notice.pdf")
    assert notice.mimetype == "application/pdf"
    squeezed = re.sub(r"\s+", "", pdf_text(notice.data))
    assert re.sub(r"\s+", "", purpose[1]) in squeezed

    paid = staff.post(f"/cards/{new}/payment", {"paid_on": TODAY.isoformat(), "reference": "Nr. 5"})
    assert paid.status_code == 302
    assert station_card(store.conn, new).paid_on == TODAY
    assert [e["card_id"] for e in events(store, "card.paid")] == [new]
    assert "the replacement fee is not paid yet" not in ready_to_print(store.conn, new)
    again = staff.post(f"/cards/{new}/payment", {"paid_on": TODAY.isoformat(), "reference": ""})
    assert again.status_code == 400


def test_a_free_replacement_says_so_and_needs_no_payment(station: Flask, store: Store) -> None:
    add_blanks(store)
    old = issued_card(store, pupil(store))
    staff = manager(station, store)
    replacement = {
        "reason": "chip_failure",
        "requester": "pupil",
        "requester_name": "",
        "requested_on": TODAY.isoformat(),
    }
    check = staff.post(f"/cards/{old}/replace", replacement)
    assert 'data-fee="0"' in text_of(check)
    assert seen(station, "The new card is free (§39).") in text_of(check)
    done = staff.post(f"/cards/{old}/replace", replacement | {"confirm": "yes"})
    new = int(done.headers["Location"].rsplit("/", 1)[1])
    assert station_card(store.conn, new).fee_cents == 0
    page = text_of(staff.get(f"/cards/{new}"))
    assert 'data-test="payment"' not in page
    assert staff.get(f"/cards/{new}/notice.pdf").status_code == 404


def test_only_an_issued_card_is_replaced(station: Flask, store: Store) -> None:
    card_id = request_card(store, pupil(store))
    staff = manager(station, store)
    before = dump(store)
    refused = staff.post(
        f"/cards/{card_id}/replace",
        {
            "reason": "lost",
            "requester": "pupil",
            "requested_on": TODAY.isoformat(),
            "confirm": "yes",
        },
    )
    assert refused.status_code == 400
    assert seen(
        station,
        "only an issued card is replaced; card {number} is {state}",
        number=card_id,
        state="requested",
    ) in text_of(refused)
    assert dump(store) == before


# ---------------------------------------------------------------- return, spoil, withdraw


def test_a_returned_card_loses_its_data_and_the_photo(station: Flask, store: Store) -> None:
    child = pupil(store)
    add_blanks(store)
    card_id = issued_card(store, child)
    staff = manager(station, store)

    refused = staff.post(f"/cards/{card_id}/return", {"returned_on": TODAY.isoformat()})
    assert refused.status_code == 400
    assert field_errors(text_of(refused), "reason") == [seen(station, "Say why.")]

    sent = staff.post(
        f"/cards/{card_id}/return",
        {"returned_on": TODAY.isoformat(), "reason": "išvyko į kitą mokyklą"},
    )

    assert sent.status_code == 302
    assert station_card(store.conn, card_id).state.value == "returned"
    assert store.conn.execute(
        "SELECT count(*) FROM card_faces WHERE card_id = ?", (card_id,)
    ).fetchone() == (0,)
    assert store.conn.execute("SELECT count(*) FROM pupil_photos").fetchone() == (0,)
    page = text_of(staff.get(f"/cards/{card_id}"))
    assert "išvyko į kitą mokyklą" in page
    assert 'data-test="data-deleted"' in page
    assert staff.get(f"/cards/{card_id}/photo.jpg").status_code == 404
    assert [e["card_id"] for e in events(store, "card.data_deleted")] == [card_id]


def test_a_personalised_card_is_spoiled_and_a_request_withdrawn(
    station: Flask, store: Store
) -> None:
    add_blanks(store)
    staff = manager(station, store)
    # a personalised card: issued_card's steps up to the chip
    issued = issued_card(store, pupil(store, "Jonas", "Petraitis"))
    assert 'data-test="spoil"' not in text_of(staff.get(f"/cards/{issued}"))
    with store.transaction() as tx:
        tx.execute("UPDATE cards SET state = 'personalised' WHERE id = ?", (issued,))
        tx.emit("test.back_to_personalised", {})
    assert 'data-test="spoil"' in text_of(staff.get(f"/cards/{issued}"))
    spoiled = staff.post(f"/cards/{issued}/spoil", {"reason": "spalvos išblukusios"})
    assert spoiled.status_code == 302
    assert station_card(store.conn, issued).state.value == "spoiled"

    asked = request_card(store, pupil(store))
    withdrawn = staff.post(f"/cards/{asked}/cancel", {"reason": "tėvai persigalvojo"})
    assert withdrawn.status_code == 302
    assert station_card(store.conn, asked).state.value == "cancelled"
    page = text_of(staff.get(f"/cards/{asked}"))
    assert "tėvai persigalvojo" in page  # in the history
    assert 'data-test="ask-again"' in page
