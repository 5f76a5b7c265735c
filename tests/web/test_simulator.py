"""The tap simulator's page and its JSON endpoint, with a simulator that records the taps.

The real terminal side is plugged in by the composition root; here a stand-in records what the
web asks of it (or refuses, as the real one does for an unknown card), so the page is tested
on its own. The pages are read in English, so the texts below are the message ids.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from visitor import Visitor, make_user, signed_in

from emp_edge.domain.access import Area, Level
from emp_edge.domain.taps import SimulatedCard
from emp_edge.errors import InputError
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.accounts import set_language
from emp_edge.web.views.simulator import use_tap_simulator


@pytest.fixture
def services(services: Services) -> Services:
    """A box running the terminal role (the tap simulator exists only there)."""
    settings = services.settings.replace(roles=["web", "terminal"])
    return dataclasses.replace(services, settings=settings)


FULL_UID = "04A1B2C3D41D80"


@dataclass
class Recorder:
    """A tap simulator that keeps each tap asked of it."""

    names: list[str] = field(default_factory=lambda: ["valgykla-1", "kasa-2"])
    taps: list[tuple[str, int | None, SimulatedCard]] = field(default_factory=list)
    refusal: InputError | None = None

    def terminals(self) -> list[str]:
        return list(self.names)

    def tap(self, terminal: str, card_id: int | None, kind: SimulatedCard) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.taps.append((terminal, card_id, kind))


@dataclass(frozen=True)
class Cards:
    simkus: int  # Žygimantas Šimkus, 5b, issued, chip …1D80
    jonaityte: int  # Aistė Jonaitytė, 5b, replaced, chip …77AB
    requested: int  # Jonas Petraitis, 6a: requested, no chip yet


def add_cards(store: Store) -> Cards:
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        school = tx.execute(
            "INSERT INTO schools (code, name) VALUES ('190000001', 'Šaltinio progimnazija')"
        ).lastrowid
        classes = {}
        for grade, letter in ((5, "b"), (6, "a")):
            classes[f"{grade}{letter}"] = tx.execute(
                "INSERT INTO classes (school_id, school_year, grade, letter, label)"
                " VALUES (?, 2026, ?, ?, ?)",
                (school, grade, letter, f"{grade}{letter}"),
            ).lastrowid
        cards = []
        for first, last, label, state, uid in (
            ("Žygimantas", "Šimkus", "5b", "issued", FULL_UID),
            ("Aistė", "Jonaitytė", "5b", "replaced", "0455667788AA77AB"),
            ("Jonas", "Petraitis", "6a", "requested", None),
        ):
            pupil = tx.execute(
                "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
                " created_at, updated_at) VALUES (?, ?, ?, '2015-01-01', ?, ?, ?)",
                (school, first, last, classes[label], now, now),
            ).lastrowid
            cards.append(
                int(
                    tx.execute(
                        "INSERT INTO cards (pupil_id, state, requested_on, requested_by,"
                        " chip_uid, created_at, updated_at)"
                        " VALUES (?, ?, '2026-09-01', 'pupil', ?, ?, ?)",
                        (pupil, state, uid, now, now),
                    ).lastrowid
                )
            )
        tx.emit("test.cards_added", {"cards": len(cards)})
    return Cards(*cards)


@pytest.fixture
def cards(store: Store) -> Cards:
    return add_cards(store)


@pytest.fixture
def simulator(app: Flask) -> Recorder:
    recorder = Recorder()
    use_tap_simulator(app, recorder)
    return recorder


def sign_in_english(app: Flask, store: Store, username: str, **levels: Level) -> Visitor:
    user_id = make_user(store, username, levels={Area(a): lv for a, lv in levels.items()})
    with store.transaction() as tx:
        set_language(tx, user_id, "en")
    return signed_in(app, username)


@pytest.fixture
def officer(app: Flask, store: Store) -> Visitor:
    """A viewer of the cards area, reading in English."""
    return sign_in_english(app, store, "kortos", cards=Level.VIEWER)


def audit(store: Store) -> list[tuple[str, str, str]]:
    return list(store.conn.execute("SELECT action, subject, detail FROM audit_log ORDER BY id"))


def options(page: str, name: str) -> list[str]:
    """The option texts of the select called ``name``."""
    found = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.DOTALL)
    assert found, f"no select {name}"
    return [text.strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", found[1])]


def selected(page: str, name: str) -> str:
    found = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.DOTALL)
    assert found
    chosen = re.findall(r'<option value="([^"]*)" selected>', found[1])
    return chosen[0] if chosen else ""


# ---------------------------------------------------------------- the page


def test_without_a_simulated_terminal_there_is_no_simulator(
    app: Flask, officer: Visitor, store: Store
) -> None:
    assert officer.get("/simulator").status_code == 404
    scripted = app.test_client().post("/simulator/taps", json={"terminal": "valgykla-1"})
    assert scripted.status_code == 404
    assert scripted.json == {"error": "this box has no simulated terminal"}
    use_tap_simulator(app, Recorder(names=[]))
    assert officer.get("/simulator").status_code == 404
    assert "Tap simulator" not in officer.get("/").get_data(as_text=True)


def test_the_page_lists_cards_with_a_chip_showing_only_its_end(
    officer: Visitor, simulator: Recorder, cards: Cards, store: Store
) -> None:
    response = officer.get("/simulator")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 cards with a chip found" in page
    listed = options(page, "card_id")
    assert listed[1:] == [
        f"Šimkus Žygimantas · 5b · issued · …1D80 · №{cards.simkus}",
        f"Jonaitytė Aistė · 5b · replaced · …77AB · №{cards.jonaityte}",
    ]  # issued cards first; a card with no chip cannot be tapped
    assert FULL_UID not in page
    assert "Petraitis" not in page
    assert options(page, "terminal") == ["valgykla-1", "kasa-2"]
    assert options(page, "kind") == [
        "the pupil's genuine card",
        "a copy of the card (same UID, no key)",
        "the card with its record altered",
        "a card of another school",
        "an unknown chip (a bank card, a bus ticket)",
    ]
    assert 'href="/kiosk/valgykla-1"' in page
    assert 'href="/kiosk/kasa-2"' in page
    assert audit(store)[-1] == ("simulator.listed", "", "cards=2 of 2")
    assert 'data-test="simulator-link"' in officer.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("simk", ["Šimkus"]),
        ("ŽYG", ["Šimkus"]),
        ("5b", ["Šimkus", "Jonaitytė"]),
        ("5 B jon", ["Jonaitytė"]),
        ("1d80", ["Šimkus"]),
        ("77AB", ["Jonaitytė"]),
        ("6a", []),
        ("niekas", []),
    ],
)
def test_search_by_name_class_or_chip_end(
    officer: Visitor, simulator: Recorder, cards: Cards, query: str, names: list[str]
) -> None:
    page = officer.get("/simulator", query_string={"q": query}).get_data(as_text=True)
    listed = options(page, "card_id")[1:]
    assert [row.split(" ")[0] for row in listed] == names
    assert f'value="{query}"' in page


def test_a_tap_goes_to_the_terminal_and_the_page_keeps_the_choices(
    officer: Visitor, simulator: Recorder, cards: Cards, store: Store
) -> None:
    form = {"terminal": "kasa-2", "card_id": cards.simkus, "kind": "clone", "q": "simk"}
    response = officer.post("/simulator", form)
    assert response.status_code == 303
    assert simulator.taps == [("kasa-2", cards.simkus, SimulatedCard.CLONE)]
    assert audit(store)[-1] == ("simulator.tapped", f"card:{cards.simkus}", "kasa-2 clone")
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Tapped at kasa-2: a copy of the card (same UID, no key) (Žygimantas Šimkus, 5b)." in page
    )
    assert selected(page, "terminal") == "kasa-2"
    assert selected(page, "kind") == "clone"
    assert selected(page, "card_id") == str(cards.simkus)
    assert 'name="q" value="simk"' in page


def test_an_unknown_chip_is_no_pupils_card(
    officer: Visitor, simulator: Recorder, cards: Cards
) -> None:
    form = {"terminal": "valgykla-1", "card_id": cards.simkus, "kind": "unknown"}
    page = officer.post("/simulator", form, follow_redirects=True).get_data(as_text=True)
    assert simulator.taps == [("valgykla-1", None, SimulatedCard.UNKNOWN)]
    assert "Tapped at valgykla-1: an unknown chip (a bank card, a bus ticket)." in page
    form = {"terminal": "valgykla-1", "card_id": cards.simkus, "kind": "other_school"}
    officer.post("/simulator", form)  # another school's card, with this pupil's record on it
    assert simulator.taps[-1] == ("valgykla-1", cards.simkus, SimulatedCard.OTHER_SCHOOL)


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"terminal": "valgykla-1", "kind": "genuine"}, "Choose a pupil&#39;s card first."),
        ({"terminal": "valgykla-1", "kind": "altered", "card_id": ""}, "Choose a pupil&#39;s"),
        ({"terminal": "valgykla-1", "kind": "other_school"}, "Choose a pupil&#39;s card first."),
        ({"terminal": "kasa-9", "kind": "unknown"}, "Choose a terminal and a kind of card."),
        ({"terminal": "valgykla-1", "kind": "forged"}, "Choose a terminal and a kind of card."),
        ({"terminal": "valgykla-1", "kind": "genuine", "card_id": 999}, "no card with a chip"),
    ],
)
def test_a_tap_that_cannot_be_made_says_why(
    officer: Visitor, simulator: Recorder, cards: Cards, form: dict[str, Any], error: str
) -> None:
    page = officer.post("/simulator", form, follow_redirects=True).get_data(as_text=True)
    assert simulator.taps == []
    assert 'class="flash error"' in page
    assert error in page


def test_the_simulator_refusing_a_tap_is_shown(
    officer: Visitor, simulator: Recorder, cards: Cards
) -> None:
    simulator.refusal = InputError("card {card} has no chip on file", card=cards.simkus)
    form = {"terminal": "valgykla-1", "kind": "genuine", "card_id": cards.simkus}
    page = officer.post("/simulator", form, follow_redirects=True).get_data(as_text=True)
    assert f"card {cards.simkus} has no chip on file" in page
    assert 'class="flash error"' in page


def test_a_tap_without_the_forms_token_is_refused(
    officer: Visitor, simulator: Recorder, cards: Cards
) -> None:
    form = {"terminal": "valgykla-1", "kind": "genuine", "card_id": cards.simkus}
    response = officer.client.post("/simulator", data=form)
    assert response.status_code == 400
    assert simulator.taps == []


# ---------------------------------------------------------------- the scripted taps


def test_a_script_on_the_box_taps_with_json_and_no_login(
    app: Flask, simulator: Recorder, cards: Cards, store: Store
) -> None:
    client = app.test_client()  # CSRF is on in this app: the JSON endpoint is exempt
    body = {"terminal": "valgykla-1", "card_id": cards.simkus, "kind": "altered"}
    response = client.post("/simulator/taps", json=body)
    assert response.status_code == 202
    assert response.json == {"queued": True}
    response = client.post("/simulator/taps", json={"terminal": "kasa-2", "kind": "unknown"})
    assert response.status_code == 202
    assert simulator.taps == [
        ("valgykla-1", cards.simkus, SimulatedCard.ALTERED),
        ("kasa-2", None, SimulatedCard.UNKNOWN),
    ]
    actions = [row for row in audit(store) if row[0] == "simulator.tapped"]
    assert actions == [
        ("simulator.tapped", f"card:{cards.simkus}", "valgykla-1 altered"),
        ("simulator.tapped", "", "kasa-2 unknown"),
    ]
    assert client.post("/simulator/taps", json={"terminal": "kasa-2"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (["valgykla-1"], "send a JSON object"),
        ({"card_id": 1}, "'terminal' must be"),
        ({"terminal": "valgykla-1", "kind": "forged", "card_id": 1}, "'kind' must be one of"),
        ({"terminal": "valgykla-1", "card_id": "1"}, "'card_id' must be a card number or null"),
        ({"terminal": "valgykla-1", "card_id": True}, "'card_id' must be"),
        ({"terminal": "valgykla-1", "kind": "clone"}, "a tap of a clone card needs 'card_id'"),
        ({"terminal": "valgykla-1", "kind": "other_school"}, "other_school card needs 'card_id'"),
        ({"terminal": "valgykla-1", "card_id": 1, "uid": "04A1"}, "unknown field(s): uid"),
    ],
)
def test_a_bad_scripted_tap_is_400_with_what_is_wrong(
    app: Flask, simulator: Recorder, body: Any, error: str
) -> None:
    response = app.test_client().post("/simulator/taps", json=body)
    assert response.status_code == 400
    assert error in response.json["error"]
    assert simulator.taps == []


def test_a_scripted_tap_is_json_only(app: Flask, simulator: Recorder) -> None:
    response = app.test_client().post(
        "/simulator/taps",
        data='{"terminal": "valgykla-1", "kind": "unknown"}',
        content_type="text/plain",  # what a page elsewhere could send without asking first
    )
    assert response.status_code == 400
    assert simulator.taps == []


def test_an_unknown_terminal_or_card_from_the_simulator_is_400(
    app: Flask, simulator: Recorder
) -> None:
    simulator.refusal = InputError("there is no simulated terminal {name!r}", name="kasa-9")
    response = app.test_client().post("/simulator/taps", json={"terminal": "kasa-9", "card_id": 5})
    assert response.status_code == 400
    assert response.json == {"error": "there is no simulated terminal 'kasa-9'"}


def test_scripted_taps_come_only_from_the_box(app: Flask, simulator: Recorder) -> None:
    response = app.test_client().post(
        "/simulator/taps",
        json={"terminal": "valgykla-1", "kind": "unknown"},
        environ_base={"REMOTE_ADDR": "192.168.1.50"},
    )
    assert response.status_code == 403
    assert simulator.taps == []
