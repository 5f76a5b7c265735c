"""The till screen's server side: the page of a canteen terminal, its picks and the held diet
note in the database, who may use them, the photo rules, and what a canteen tap's message says.

Taps are decided by the real pipeline with the real canteen handler on a real SQLite file; the
stream tests serve the app with waitress on 127.0.0.1 and read it as the browser's EventSource.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from PIL import Image
from waitress import create_server

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import SchoolClass
from emp_edge.domain.taps import CardRecord, TapReason, TapResult
from emp_edge.events import ReceiptPrinted, TapDecided
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.canteen_till import till_state
from emp_edge.store.schools import ensure_class, ensure_school
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.canteen import CanteenTill
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.web import create_app

TILL = TerminalSpec("valgykla-1", "canteen", "simulated")
OTHER_TILL = TerminalSpec("valgykla-2", "canteen", "simulated")
READERS = [
    "valgykla-1 canteen simulated",
    "valgykla-2 canteen simulated",
    "burelis-1 club simulated",
]
ELSEWHERE = {"REMOTE_ADDR": "192.168.1.50"}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (318, 354), (200, 180, 160)).save(out, "JPEG")
    return out.getvalue()


# ---------------------------------------------------------------- a school with a canteen


@dataclasses.dataclass
class Canteen:
    """Item numbers by name, the pupils' chips, and a pipeline that taps at the tills."""

    store: Store
    services: Services
    items: dict[str, int]
    chips: dict[str, bytes]
    pupils: dict[str, int]

    def tap(self, who: str, till: TerminalSpec = TILL, *, genuine: bool = True) -> TapDecided:
        pipeline = TapPipeline(
            self.store,
            self.services.clock,
            self.services.bus,
            school_code=self.services.settings["school.code"],
            handlers={"canteen": CanteenTill(self.services.clock, self.services.settings.tz)},
        )
        uid = self.chips[who]
        if genuine:
            return pipeline.decide(till, CardRead(uid))
        card_id, pupil_id = self.store.conn.execute(
            "SELECT id, pupil_id FROM cards WHERE chip_uid = ?", (uid.hex().upper(),)
        ).fetchone()
        record = CardRecord(card_id, pupil_id, self.services.clock.today(), 1)
        return pipeline.decide(till, CardRead(uid, record, TapReason.NOT_GENUINE, "no key"))


def _pupil(store: Store, code: str, first: str, last: str, label: str, note: str = "") -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, code, "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(int(label[:-1]), label[-1]))
        now = tx.now()
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
            " diet_note, created_at, updated_at) VALUES (?, ?, ?, '2015-03-04', ?, ?, ?, ?)",
            (school, first, last, class_id, note, now, now),
        ).lastrowid
        assert pupil is not None
        tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
            " valid_until, created_at, updated_at)"
            " VALUES (?, 'issued', '2026-09-01', 'pupil', ?, '2029-08-31', ?, ?)",
            (pupil, f"04{pupil:012X}", now, now),
        )
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, reference, event_id, method)"
            " VALUES (?, 'topup', 1000, ?, 'KVIT-1', ?, 'cash')",
            (pupil, now, f"topup-{pupil}"),
        )
        tx.emit("test.pupil_added", {"pupil": pupil})
        return int(pupil)


@pytest.fixture
def canteen(services: Services) -> Canteen:
    """Lunch with its default item, a bun and juice; Žygimantas pays, Ona has a free lunch,
    Rūta has a nut allergy; each has 10,00 € on account."""
    store = services.store
    items: dict[str, int] = {}
    with store.transaction(require_event=False) as tx:
        for name, cents, meal in (
            ("Pietūs", 250, "lunch"),
            ("Bandelė su varške", 80, None),
            ("Sultys", 90, None),
            ("Senas pyragas", 100, None),
        ):
            items[name] = int(
                tx.execute(
                    "INSERT INTO canteen_items (name, price_cents, meal_type, active)"
                    " VALUES (?, ?, ?, ?)",
                    (name, cents, meal, int(name != "Senas pyragas")),
                ).lastrowid
                or 0
            )
        tx.execute(
            "UPDATE meal_types SET default_item_id = ? WHERE code = 'lunch'", (items["Pietūs"],)
        )
    code = services.settings["school.code"]
    pupils = {
        "zygimantas": _pupil(store, code, "Žygimantas", "Šimkus", "5b"),
        "ona": _pupil(store, code, "Ona", "Žukauskaitė", "3a"),
        "ruta": _pupil(store, code, "Rūta", "Čepulytė", "7a", note="Alergija riešutams"),
    }
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, source, created_at)"
            " VALUES (?, 'lunch', '2026-09-01', 'registry', ?)",
            (pupils["ona"], tx.now()),
        )
    chips = {who: bytes.fromhex(f"04{pupil:012X}") for who, pupil in pupils.items()}
    return Canteen(store, services, items, chips, pupils)


@pytest.fixture
def services(services: Services, clock: FixedClock) -> Services:
    """Two tills and a club room; lunch time (12:03) on a school day."""
    clock.advance(minutes=93)
    return dataclasses.replace(
        services, settings=services.settings.replace(terminal__readers=READERS)
    )


def with_settings(services: Services, **changes: Any) -> Services:
    return dataclasses.replace(services, settings=services.settings.replace(**changes))


def make_app(services: Services, **config: Any) -> Flask:
    return create_app(services, {"TESTING": True, "SECRET_KEY": "t" * 32, **config})


@pytest.fixture
def app(services: Services) -> Flask:
    return make_app(services)


def post(app: Flask, path: str, body: Any, **kwargs: Any) -> Any:
    return app.test_client().post(path, json=body, **kwargs)


def picked(store: Store, till: str = TILL.name) -> tuple[int, ...]:
    return till_state(store.conn, till).picked


# ---------------------------------------------------------------- the page


def test_a_canteen_terminal_page_is_the_till_with_its_items(
    services: Services, canteen: Canteen
) -> None:
    app = make_app(with_settings(services, kiosk__language="en"))
    page = app.test_client().get("/kiosk/valgykla-1").get_data(as_text=True)
    assert 'data-till-state="/kiosk/valgykla-1/till"' in page
    assert 'data-till-picks="/kiosk/valgykla-1/picks"' in page
    assert 'data-till-acknowledge="/kiosk/valgykla-1/acknowledge"' in page
    # the items on sale, meals marked; an item taken off sale is not offered
    assert f'data-item-id="{canteen.items["Pietūs"]}"' in page
    assert "meal: Pietūs" in page
    assert "Bandelė su varške" in page
    assert "0,80 €" in page
    assert "Senas pyragas" not in page
    for text in ("Acknowledged", "Clear", "Receipt not printed", "Diet note", "The next tap buys"):
        assert text in page
    assert "style=" not in page
    assert "<script>" not in page

    club = app.test_client().get("/kiosk/burelis-1").get_data(as_text=True)
    assert "data-till-state" not in club
    assert "Bandelė" not in club


def test_the_state_says_what_a_tap_sells_when_nothing_is_picked(
    services: Services, canteen: Canteen, clock: FixedClock
) -> None:
    app = make_app(with_settings(services, kiosk__language="en"))
    state = app.test_client().get("/kiosk/valgykla-1/till").get_json()
    assert state == {
        "picked": [],
        "total": "0,00 €",
        "sells": "A tap sells: Pietūs, 2,50 € (Pietūs)",
        "held": None,
    }
    clock.advance(hours=3)  # 15:03: the afternoon meal has no default item
    state = app.test_client().get("/kiosk/valgykla-1/till").get_json()
    assert state["sells"] == "Pavakariai has no default item: pick what to sell"
    clock.advance(hours=2)  # 17:03
    state = app.test_client().get("/kiosk/valgykla-1/till").get_json()
    assert state["sells"] == "No meal is served now"


# ---------------------------------------------------------------- picks


def test_picks_are_kept_in_the_database_and_the_next_tap_buys_them(
    app: Flask, canteen: Canteen
) -> None:
    bun, juice = canteen.items["Bandelė su varške"], canteen.items["Sultys"]
    answer = post(app, "/kiosk/valgykla-1/picks", {"items": [bun, juice, bun]})
    assert answer.status_code == 200
    assert answer.get_json()["picked"] == [
        {"id": bun, "name": "Bandelė su varške", "price": "0,80 €"},
        {"id": juice, "name": "Sultys", "price": "0,90 €"},
        {"id": bun, "name": "Bandelė su varške", "price": "0,80 €"},
    ]
    assert answer.get_json()["total"] == "2,50 €"
    assert picked(canteen.store) == (bun, juice, bun)
    assert picked(canteen.store, "valgykla-2") == ()  # each till its own
    again = app.test_client().get("/kiosk/valgykla-1/till").get_json()  # a reloaded screen
    assert [item["id"] for item in again["picked"]] == [bun, juice, bun]

    decided = canteen.tap("zygimantas")
    assert decided.reason is TapReason.OK
    assert [line["name"] for line in decided.shown["items"]] == [
        "Bandelė su varške",
        "Sultys",
        "Bandelė su varške",
    ]
    assert decided.shown["balance"] == "7,50 €"
    assert picked(canteen.store) == ()  # used up by the sale
    assert app.test_client().get("/kiosk/valgykla-1/till").get_json()["picked"] == []

    post(app, "/kiosk/valgykla-1/picks", {"items": [juice]})
    cleared = post(app, "/kiosk/valgykla-1/picks", {"items": []})
    assert cleared.status_code == 200
    assert cleared.get_json()["picked"] == []
    assert picked(canteen.store) == ()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"items": [999]}, "There is no item number 999 on sale"),
        ({"items": ["Pietūs"]}, "'items' must be a list of item numbers"),
        ({"items": [True]}, "'items' must be a list of item numbers"),
        ({"items": 3}, "'items' must be a list of item numbers"),
        ({"items": [], "price": 0}, "unknown field(s): price"),
        ({"items": [1] * 21}, "one tap buys at most 20 items"),
        ([1, 2], "send a JSON object"),
    ],
)
def test_bad_picks_are_refused_with_a_clear_message_and_nothing_written(
    services: Services, canteen: Canteen, body: Any, says: str
) -> None:
    app = make_app(with_settings(services, kiosk__language="en"))
    juice = canteen.items["Sultys"]
    post(app, "/kiosk/valgykla-1/picks", {"items": [juice]})
    answer = post(app, "/kiosk/valgykla-1/picks", body)
    assert answer.status_code == 400
    assert says.lower() in answer.get_json()["error"].lower()
    assert picked(canteen.store) == (juice,)


def test_an_item_off_sale_or_a_form_post_is_refused(services: Services, canteen: Canteen) -> None:
    app = make_app(with_settings(services, kiosk__language="en"))
    old = canteen.items["Senas pyragas"]
    answer = post(app, "/kiosk/valgykla-1/picks", {"items": [old]})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == f"there is no item number {old} on sale"
    form = app.test_client().post("/kiosk/valgykla-1/picks", data={"items": "1"})
    assert form.status_code == 400
    assert picked(canteen.store) == ()


# ---------------------------------------------------------------- who may use the till


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/kiosk/valgykla-1/picks", {"items": [1]}),
        ("POST", "/kiosk/valgykla-1/acknowledge", {"event_id": "x"}),
    ],
)
def test_another_address_may_not_change_the_till(
    app: Flask, canteen: Canteen, method: str, path: str, body: Any
) -> None:
    with canteen.store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO till_state (till, picked, held_by, changed_at) VALUES (?, '[]', 'x', ?)",
            (TILL.name, tx.now()),
        )
    answer = app.test_client().open(path, method=method, json=body, environ_base=ELSEWHERE)
    assert answer.status_code == 403
    assert "kiosk.allow_from" in answer.get_json()["error"]
    assert picked(canteen.store) == ()
    assert till_state(canteen.store.conn, TILL.name).held_by == "x"


def test_another_address_may_not_read_the_till_or_a_photo(app: Flask, canteen: Canteen) -> None:
    client = app.test_client()
    for path in ("/kiosk/valgykla-1/till", "/kiosk/valgykla-1/photo/any"):
        answer = client.get(path, environ_base=ELSEWHERE)
        assert answer.status_code == 403
        assert "Rūta" not in answer.get_data(as_text=True)


def test_only_a_canteen_terminal_has_a_till(app: Flask, canteen: Canteen) -> None:
    client = app.test_client()
    for terminal in ("burelis-1", "kasa-9"):
        assert client.get(f"/kiosk/{terminal}/till").status_code == 404
        assert client.post(f"/kiosk/{terminal}/picks", json={"items": []}).status_code == 404
        assert client.get(f"/kiosk/{terminal}/photo/x").status_code == 404
        answer = client.post(f"/kiosk/{terminal}/acknowledge", json={"event_id": "x"})
        assert answer.status_code == 404


# ---------------------------------------------------------------- the diet note


def test_a_diet_note_holds_the_till_until_acknowledged(
    services: Services, canteen: Canteen
) -> None:
    app = make_app(with_settings(services, kiosk__language="en"))
    client = app.test_client()
    noted = canteen.tap("ruta")
    assert noted.reason is TapReason.OK
    assert noted.shown["diet_note"] == "Alergija riešutams"

    # a reloaded screen gets the held tap back: its pupil only, nothing else about anyone
    held = client.get("/kiosk/valgykla-1/till").get_json()["held"]
    assert held == {
        "event_id": noted.event_id,
        "name": "Rūta Čepulytė",
        "class_label": "7a",
        "note": "Alergija riešutams",
        "time": "12:03",
    }
    refused = canteen.tap("zygimantas")
    assert (refused.result, refused.reason) == (TapResult.DENIED, TapReason.NOTE_PENDING)
    state = client.get("/kiosk/valgykla-1/till").get_json()
    assert state["held"]["event_id"] == noted.event_id
    assert "Šimkus" not in json.dumps(state, ensure_ascii=False)
    # the other till is not held
    assert canteen.tap("zygimantas", OTHER_TILL).reason is TapReason.OK

    wrong = post(app, "/kiosk/valgykla-1/acknowledge", {"event_id": refused.event_id})
    assert wrong.status_code == 409
    assert wrong.get_json()["error"] == "That diet note no longer holds the till."
    assert wrong.get_json()["held"]["event_id"] == noted.event_id
    for bad in ({}, {"event_id": 7}, {"event_id": " "}):
        assert post(app, "/kiosk/valgykla-1/acknowledge", bad).status_code == 400
    assert till_state(canteen.store.conn, TILL.name).held_by == noted.event_id

    done = post(app, "/kiosk/valgykla-1/acknowledge", {"event_id": noted.event_id})
    assert done.status_code == 200
    assert done.get_json()["held"] is None
    assert till_state(canteen.store.conn, TILL.name).held_by is None
    audit = canteen.store.conn.execute(
        "SELECT actor, action, subject, detail, source FROM audit_log"
        " WHERE action = 'till.note_acknowledged'"
    ).fetchall()
    assert audit == [
        ("", "till.note_acknowledged", f"tap:{noted.event_id}", "valgykla-1", "127.0.0.1")
    ]
    assert canteen.tap("zygimantas").reason is TapReason.OK
    again = post(app, "/kiosk/valgykla-1/acknowledge", {"event_id": noted.event_id})
    assert again.status_code == 409  # a second click changes nothing


# ---------------------------------------------------------------- the photo


def add_photo(store: Store, pupil_id: int) -> bytes:
    data = jpeg()
    with store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO pupil_photos (pupil_id, jpeg, added_at) VALUES (?, ?, ?)",
            (pupil_id, data, tx.now()),
        )
    return data


def test_the_photo_is_off_by_default(app: Flask, canteen: Canteen) -> None:
    add_photo(canteen.store, canteen.pupils["zygimantas"])
    decided = canteen.tap("zygimantas")
    assert app.test_client().get(f"/kiosk/valgykla-1/photo/{decided.event_id}").status_code == 404


def test_the_photo_shows_only_for_the_tills_latest_taps_never_cached(
    services: Services, canteen: Canteen
) -> None:
    app = make_app(with_settings(services, canteen__till_photo="on"))
    client = app.test_client()
    photo = add_photo(canteen.store, canteen.pupils["zygimantas"])
    first = canteen.tap("zygimantas")
    answer = client.get(f"/kiosk/valgykla-1/photo/{first.event_id}")
    assert answer.status_code == 200
    assert answer.mimetype == "image/jpeg"
    assert answer.data == photo
    assert "no-store" in answer.headers["Cache-Control"]
    # not at another till, not for a pupil with no photo, not for a copied card
    assert client.get(f"/kiosk/valgykla-2/photo/{first.event_id}").status_code == 404
    ona = canteen.tap("ona")
    assert client.get(f"/kiosk/valgykla-1/photo/{ona.event_id}").status_code == 404
    copy = canteen.tap("zygimantas", genuine=False)
    assert copy.reason is TapReason.NOT_GENUINE
    assert client.get(f"/kiosk/valgykla-1/photo/{copy.event_id}").status_code == 404
    # three later taps at this till, and the first one is no longer shown
    assert client.get(f"/kiosk/valgykla-1/photo/{first.event_id}").status_code == 200
    canteen.tap("zygimantas", OTHER_TILL)  # another till's taps do not count
    assert client.get(f"/kiosk/valgykla-1/photo/{first.event_id}").status_code == 200
    canteen.tap("ona")
    assert client.get(f"/kiosk/valgykla-1/photo/{first.event_id}").status_code == 404
    assert client.get("/kiosk/valgykla-1/photo/no-such-tap").status_code == 404


# ---------------------------------------------------------------- the stream


def serve_until_closed(server: Any) -> None:
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise


@pytest.fixture
def serve() -> Iterator[Any]:
    running: list[tuple[Any, threading.Thread]] = []

    def start(services: Services) -> str:
        app = create_app(
            services,
            {
                "SECRET_KEY": "s" * 32,
                "KIOSK_LIFETIME_SECONDS": 3.0,
                "KIOSK_HEARTBEAT_SECONDS": 60.0,
            },
        )
        server = create_server(
            app, host="127.0.0.1", port=0, threads=4, ident="emp-edge", channel_request_lookahead=1
        )
        thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread in running:
        server.closing = True
        server.close()
        thread.join(timeout=10)


def messages(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    name, data = "", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data += line.partition(":")[2].strip()
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "", ""


def test_a_canteen_taps_message_says_what_was_sold_and_why(
    serve: Any, services: Services, canteen: Canteen, clock: FixedClock
) -> None:
    services = with_settings(services, kiosk__language="en", canteen__till_photo="on")
    canteen.services = services
    add_photo(canteen.store, canteen.pupils["zygimantas"])
    url = serve(services)
    with (
        httpx.Client(base_url=url, timeout=5) as client,
        client.stream("GET", "/kiosk/valgykla-1/events") as response,
    ):
        stream = messages(response)
        post_picks = client.post(
            "/kiosk/valgykla-1/picks",
            json={"items": [canteen.items["Pietūs"], canteen.items["Sultys"]]},
        )
        assert post_picks.status_code == 200
        sale = canteen.tap("zygimantas")
        name, data = next(stream)
        assert name == "tap"
        assert data == {
            "result": "accepted",
            "reason": "ok",
            "message": "Paid from the balance",
            "name": "Žygimantas Šimkus",
            "class_label": "5b",
            "time": "12:03",
            "event_id": sale.event_id,
            "shown": {"meal": "Pietūs", "free_meal": False, "paid": "3,40 €", "balance": "6,60 €"},
            "items": [
                {"name": "Pietūs", "price": "2,50 €", "free": False},
                {"name": "Sultys", "price": "0,90 €", "free": False},
            ],
            "photo": f"/kiosk/valgykla-1/photo/{sale.event_id}",
        }
        assert client.get(data["photo"]).status_code == 200

        canteen.services.bus.publish(
            ReceiptPrinted("valgykla-1", sale.event_id, False, "paper out")
        )
        assert next(stream) == ("receipt", {"event_id": sale.event_id, "printed": False})

        free = canteen.tap("ona")
        _, data = next(stream)
        assert data["message"] == "Free meal"
        assert data["items"] == [{"name": "Pietūs", "price": "0,00 €", "free": True}]
        assert data["shown"]["balance"] == "10,00 €"
        assert "photo" not in data  # Ona has no photo on file
        assert free.reason is TapReason.OK

        clock.advance(minutes=2)
        noted = canteen.tap("ruta")
        _, data = next(stream)
        assert data["shown"]["diet_note"] == "Alergija riešutams"
        assert data["time"] == "12:05"
        done = client.post("/kiosk/valgykla-1/acknowledge", json={"event_id": noted.event_id})
        assert done.json()["held"] is None

    url2 = serve(services)
    with (
        httpx.Client(base_url=url2, timeout=5) as client,
        client.stream("GET", "/kiosk/valgykla-2/events") as response,
    ):
        stream = messages(response)
        again = canteen.tap("ona", OTHER_TILL)
        _, data = next(stream)
        assert (data["result"], data["reason"]) == ("denied", "already_served")
        assert data["message"] == "Already served today at 12:03, till valgykla-1"
        assert data["shown"]["balance"] == "10,00 €"  # a refused tap shows the balance
        assert "items" not in data
        assert again.event_id == data["event_id"]
        copy = canteen.tap("zygimantas", OTHER_TILL, genuine=False)
        _, data = next(stream)
        assert (data["reason"], data["name"]) == ("not_genuine", "")
        assert "photo" not in data  # a copy of the card never shows the pupil's face
        assert copy.event_id == data["event_id"]
