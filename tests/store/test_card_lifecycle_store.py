"""The card station's writes on a real store: request → data → photo → blank → print → chip →
handover → issue → replacement → return → destruction, the lock of §29, and refusals that leave
the tables as they were."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from card_station_cards import receive_blanks, request_for
from club_school import add_pupil
from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import (
    CardState,
    CardVerdict,
    OtherEntryKind,
    ReplacementReason,
    other_entry,
    verdict_at_terminal,
)
from emp_edge.errors import InputError, TransitionError
from emp_edge.store import Store
from emp_edge.store.card_faces import add_other_entry, face, save_face, save_photo
from emp_edge.store.card_issue import act, hand_over, issue_card, journal
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_printing import claim_blank, personalise, ready_to_print, settle_print
from emp_edge.store.card_requests import (
    RequestInput,
    record_payment,
    request_replacement,
)
from emp_edge.store.card_returns import destroy, destroyable, return_card

TODAY = date(2026, 10, 5)
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 10


def _blanks(store: Store, first: str = "EMP000101", last: str = "EMP000110") -> None:
    receive_blanks(store, first, last)


def _request(store: Store, pupil: int) -> int:
    return request_for(store, pupil)


def _ready(store: Store, card_id: int, pupil: int) -> None:
    with store.transaction(require_event=False) as tx:
        data = face(tx.conn, card_id)
        assert data is not None
        save_face(tx, card_id, data, user_id=None)
        save_photo(tx, pupil, JPEG)


def _make(store: Store, card_id: int, uid: str) -> None:
    with store.transaction(require_event=False) as tx:
        claim_blank(tx, card_id, today=TODAY, user_id=None)
    with store.transaction(require_event=False) as tx:
        settle_print(tx, card_id, "printed", user_id=None)
    with store.transaction() as tx:
        personalise(tx, card_id, uid, user_id=None)


def _dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    tables = (
        "cards",
        "card_faces",
        "card_other_entries",
        "blanks",
        "blank_uses",
        "card_acts",
        "card_act_items",
        "outbox",
        "card_events",
        "pupil_photos",
    )
    return {t: store.conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def test_one_pupil_from_request_to_destruction(store: Store) -> None:
    pupil = add_pupil(store, "Žydrūnė", "Čepulionytė", label="1a")
    _blanks(store)
    card_id = _request(store, pupil)
    assert ready_to_print(store.conn, card_id) == [
        "the card's data have not been checked",
        "there is no photo",
    ]
    _ready(store, card_id, pupil)
    with store.transaction(require_event=False) as tx:
        add_other_entry(
            tx,
            card_id,
            other_entry(OtherEntryKind.TRANSPORT_ROUTE, "Centras – Ąžuolynas", "V-12"),
            date(2026, 9, 1),
            user_id=None,
        )
    with store.transaction(require_event=False) as tx:
        printing = claim_blank(tx, card_id, today=TODAY, user_id=None)
    assert printing.blank_number == "EMP000101"
    assert printing.valid_until == date(2030, 8, 31)  # grade 1 → four school years (§30)
    assert printing.card_number.endswith(f"{card_id:07d}")
    assert printing.other_entries == (("transport_route", "Centras – Ąžuolynas"),)
    # the printer spoils the first blank: the card waits for the next one, free
    with store.transaction() as tx:
        settle_print(tx, card_id, "spoiled", reason="ribbon broke", user_id=None)
    _make(store, card_id, "04A1B2C3D4E5F6")
    card = station_card(store.conn, card_id)
    assert card.state is CardState.PERSONALISED
    blanks = dict(store.conn.execute("SELECT blank_number, state FROM blanks").fetchall())
    assert blanks["EMP000101"] == "spoiled"
    assert blanks["EMP000102"] == "used"

    # §29: nothing printed on it can change now, by the store or behind its back
    with pytest.raises(TransitionError), store.transaction(require_event=False) as tx:
        save_face(tx, card_id, face(store.conn, card_id), user_id=None)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError, match="card_locked"):
        store.conn.execute("UPDATE cards SET valid_until = '2031-08-31' WHERE id = ?", (card_id,))
    with pytest.raises(sqlite3.IntegrityError, match="card_locked"):
        store.conn.execute("UPDATE card_faces SET first_name = 'X' WHERE card_id = ?", (card_id,))

    with pytest.raises(TransitionError, match="handed"), store.transaction() as tx:
        issue_card(tx, card_id, Recipient.PARENT, "Rūta Žemaitė", TODAY, user_id=None)
    with store.transaction() as tx:
        handover = hand_over(tx, [card_id], TODAY, "Ona Šimkienė", "Jonas Kęstutis", user_id=None)
    with store.transaction() as tx:
        number = issue_card(tx, card_id, Recipient.PARENT, "Rūta Žemaitė", TODAY, user_id=None)
    assert number == "2026/0001"
    assert [e.registration_number for e in journal(store.conn, 2026)] == ["2026/0001"]
    assert act(store.conn, handover).items[0].pupil_name == "Žydrūnė Čepulionytė"
    issued = station_card(store.conn, card_id)
    assert verdict_at_terminal(issued.state, issued.valid_until, TODAY) is CardVerdict.OK

    # lost: a paid replacement blocks the old card at once
    with store.transaction() as tx:
        new_id = request_replacement(
            tx,
            card_id,
            ReplacementReason.LOST,
            RequestInput(pupil, TODAY, Requester.PUPIL, "Žydrūnė Čepulionytė"),
            fee_cents=600,
            user_id=None,
        )
    old = station_card(store.conn, card_id)
    assert verdict_at_terminal(old.state, old.valid_until, TODAY) is CardVerdict.REPLACED
    new = station_card(store.conn, new_id)
    assert (new.fee_cents, new.replaces_card_id) == (600, card_id)
    assert "the replacement fee is not paid yet" in ready_to_print(store.conn, new_id)
    with store.transaction() as tx:
        record_payment(tx, new_id, TODAY, "mokėjimas 1", user_id=None)
    _ready(store, new_id, pupil)
    _make(store, new_id, "04FFEEDDCCBBAA")
    with store.transaction() as tx:
        hand_over(tx, [new_id], TODAY, "Ona Šimkienė", "Jonas Kęstutis", user_id=None)
    with store.transaction() as tx:
        issue_card(tx, new_id, Recipient.PUPIL, "Žydrūnė Čepulionytė", TODAY, user_id=None)

    # leaves school: the card comes back, its data are deleted, then destroyed with the act
    with store.transaction() as tx:
        return_card(tx, new_id, TODAY, "išvyko į kitą mokyklą", user_id=None)
    assert face(store.conn, new_id) is None
    assert store.conn.execute("SELECT count(*) FROM pupil_photos").fetchone()[0] == 0
    choices = {d.item.blank_number: d for d in destroyable(store.conn)}
    assert set(choices) == {"EMP000101", "EMP000102", "EMP000103"}
    with store.transaction() as tx:
        destruction = destroy(
            tx,
            [d.blank_id for d in choices.values()],
            TODAY,
            ["Ona Šimkienė", "Petras Ąžuolas"],
            user_id=None,
        )
    states = {i.blank_number: i.state_before for i in act(store.conn, destruction).items}
    assert states == {"EMP000101": "blank", "EMP000102": "replaced", "EMP000103": "returned"}
    assert station_card(store.conn, new_id).state is CardState.DESTROYED
    types = [r[0] for r in store.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    for wanted in (
        "card.requested",
        "card.personalised",
        "card.issued",
        "card.replaced",
        "card.paid",
        "card.returned",
        "card.destroyed",
        "blank.spoiled",
    ):
        assert wanted in types


def test_refusals_leave_everything_as_it_was(store: Store) -> None:
    pupil = add_pupil(store, "Šarūnas", "Ąžuolas", label="5a")
    _blanks(store, "EMP000201", "EMP000202")
    card_id = _request(store, pupil)
    before = _dump(store)
    with pytest.raises(InputError, match="open request"):
        _request(store, pupil)
    with pytest.raises(InputError, match="cannot be printed yet"), store.transaction() as tx:
        claim_blank(tx, card_id, today=TODAY, user_id=None)
    with pytest.raises(InputError, match="order"), store.transaction() as tx:
        add_other_entry(
            tx, card_id, other_entry("safety_note", "palydimas", "V-1"), None, user_id=None
        )
    assert _dump(store) == before
    _ready(store, card_id, pupil)
    with store.transaction(require_event=False) as tx:
        claim_blank(tx, card_id, today=TODAY, user_id=None)
    with store.transaction(require_event=False) as tx:
        settle_print(tx, card_id, "not_printed", reason="printer off", user_id=None)
    # the blank went back to the stock: nothing lost from the count
    assert store.conn.execute(
        "SELECT state FROM blanks WHERE blank_number = 'EMP000201'"
    ).fetchone() == ("received",)
    before = _dump(store)
    with (
        pytest.raises(InputError, match="blank EMP000299 was never received"),
        store.transaction(require_event=False) as tx,
    ):
        claim_blank(tx, card_id, blank="EMP000299", today=TODAY, user_id=None)
    _make(store, card_id, "04000000000001")
    other = add_pupil(store, "Ieva", "Ėglė")
    other_card = _request(store, other)
    _ready(store, other_card, other)
    before = _dump(store)
    with (
        pytest.raises(InputError, match="already used"),
        store.transaction(require_event=False) as tx,
    ):
        claim_blank(tx, other_card, blank="emp000201", today=TODAY, user_id=None)
    assert _dump(store) == before
