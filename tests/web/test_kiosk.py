"""The kiosk screen: who may open it, its language, and taps over a real HTTP event stream.

The page tests use Flask's test client; the stream tests serve the app with waitress on a free
port of 127.0.0.1 and read the stream with httpx as the browser's EventSource would.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from flask import Flask
from visitor import make_user, signed_in
from waitress import create_server

from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import ReaderChanged, TapDecided
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app

VILNIUS = ZoneInfo("Europe/Vilnius")
TERMINAL = "valgykla-1"
#: everything a tap message may carry: never a personal code or a chip UID
TAP_FIELDS = {"result", "reason", "message", "name", "class_label", "time", "event_id", "shown"}
#: a read that waits longer than this failed: the stream held the news back
READ_DEADLINE = 5.0
#: streams in these tests end this soon (a stream whose browser went away holds its thread
#: until it next writes: the server is stopped only once they have ended)
LIFETIME = 3.0


def tap(
    reason: TapReason = TapReason.OK,
    *,
    event_id: str = "tap-1",
    name: str = "Žygimantas Šimkus",
    class_label: str = "5b",
    shown: Mapping[str, Any] | None = None,
    terminal: str = TERMINAL,
) -> TapDecided:
    return TapDecided(
        terminal=terminal,
        event_id=event_id,
        at=datetime(2026, 10, 5, 10, 31, 7, tzinfo=VILNIUS),
        result=TapResult.ACCEPTED if reason is TapReason.OK else TapResult.DENIED,
        reason=reason,
        pupil_name=name,
        class_label=class_label,
        shown=dict(shown or {}),
    )


def audit_actions(store: Store) -> list[tuple[str, str, str]]:
    return list(store.conn.execute("SELECT action, subject, source FROM audit_log ORDER BY id"))


def with_settings(services: Services, **changes: Any) -> Services:
    return dataclasses.replace(services, settings=services.settings.replace(**changes))


# ---------------------------------------------------------------- the page


def test_the_box_itself_opens_the_kiosk_page_with_no_login(app: Flask, store: Store) -> None:
    response = app.test_client().get(f"/kiosk/{TERMINAL}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="lt">' in page
    assert f'data-kiosk-source="/kiosk/{TERMINAL}/events"' in page
    assert 'data-result-ms="4000"' in page  # kiosk.result_seconds
    assert 'class="menu"' not in page  # its own full-screen layout, not the admin pages'
    assert "<script>" not in page  # CSP: files only
    assert "style=" not in page
    assert "kiosk.js" in page
    assert "kiosk.css" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert audit_actions(store) == [("kiosk.opened", f"terminal:{TERMINAL}", "127.0.0.1")]


def test_the_kiosk_page_is_lithuanian_whatever_the_browser_or_the_person_asks(
    app: Flask, store: Store
) -> None:
    make_user(store, "ona")
    browser = signed_in(app, "ona")
    browser.post("/language", {"language": "en", "back": "/"})
    assert '<html lang="en">' in browser.get("/").get_data(as_text=True)
    page = browser.get(f"/kiosk/{TERMINAL}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert '<html lang="lt">' in text
    assert "Pridėkite kortelę" in text


def test_kiosk_language_en_makes_it_english(services: Services) -> None:
    app = create_app(with_settings(services, kiosk__language="en"), {"SECRET_KEY": "e" * 32})
    page = app.test_client().get(f"/kiosk/{TERMINAL}", headers={"Accept-Language": "lt"})
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Put your card on the reader" in text


def test_an_unknown_terminal_has_no_kiosk_page(app: Flask, store: Store) -> None:
    client = app.test_client()
    assert client.get("/kiosk/kasa-9").status_code == 404
    assert client.get("/kiosk/kasa-9/events").status_code == 404
    assert audit_actions(store) == []


@pytest.mark.parametrize("path", [f"/kiosk/{TERMINAL}", f"/kiosk/{TERMINAL}/events"])
def test_another_address_gets_the_refusal_page(app: Flask, store: Store, path: str) -> None:
    response = app.test_client().get(path, environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert response.status_code == 403
    assert 'data-status="403"' in response.get_data(as_text=True)
    assert "event:" not in response.get_data(as_text=True)
    assert audit_actions(store) == []


def test_allow_from_takes_addresses_and_networks(services: Services) -> None:
    allowed = ["10.0.5.0/24", "::1", "not an address"]
    app = create_app(with_settings(services, kiosk__allow_from=allowed), {"SECRET_KEY": "a" * 32})
    client = app.test_client()

    def status(address: str) -> int:
        return client.get(f"/kiosk/{TERMINAL}", environ_base={"REMOTE_ADDR": address}).status_code

    assert status("10.0.5.77") == 200
    assert status("::1") == 200
    assert status("::ffff:10.0.5.8") == 200  # an IPv4 client on an IPv6 socket
    assert status("10.0.6.1") == 403
    assert status("127.0.0.1") == 403  # not listed any more
    assert status("") == 403


def test_a_kiosk_stream_is_not_activity_for_the_idle_timeout(
    app: Flask, store: Store, clock: FixedClock
) -> None:
    make_user(store, "ona")
    browser = signed_in(app, "ona")
    clock.advance(minutes=10)
    stream = browser.get(f"/kiosk/{TERMINAL}/events", buffered=False)
    assert stream.status_code == 200
    stream.close()
    clock.advance(minutes=6)  # 16 minutes since the last page
    page = browser.get("/")
    assert page.status_code == 302
    assert page.headers["Location"].endswith("/login?expired=idle")


# ---------------------------------------------------------------- the stream, over HTTP


def serve_until_closed(server: Any) -> None:
    """Run a waitress server in a thread; once the test closes it, a failure of its loop on the
    closed sockets ends the thread quietly."""
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise


Serve = Callable[..., str]


@pytest.fixture
def serve(services: Services) -> Iterator[Serve]:
    """Serve the app (with the config given) under waitress; returns its address. Its kiosk
    streams end after LIFETIME and send no heartbeat unless the config says otherwise."""
    running: list[tuple[Any, threading.Thread]] = []

    def start(services: Services = services, **config: Any) -> str:
        app = create_app(
            services,
            {
                "SECRET_KEY": "w" * 32,
                "KIOSK_LIFETIME_SECONDS": LIFETIME,
                "KIOSK_HEARTBEAT_SECONDS": 60.0,
                **config,
            },
        )
        server = create_server(
            app, host="127.0.0.1", port=0, threads=6, ident="emp-edge", channel_request_lookahead=1
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
        assert not thread.is_alive(), "the server did not stop"


def sse(response: httpx.Response) -> Iterator[tuple[str, str, Any]]:
    """(field, id, data) as the stream sends them: ("retry", "", ms), (":", "", comment), or
    (event name, event id, the JSON data)."""
    name, event_id, data = "", "", ""
    for line in response.iter_lines():
        if line.startswith("retry:"):
            yield "retry", "", int(line.partition(":")[2])
        elif line.startswith(":"):
            yield ":", "", line[1:].strip()
        elif line.startswith("id:"):
            event_id = line.partition(":")[2].strip()
        elif line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data += line.partition(":")[2].strip()
        elif line == "" and data:
            yield name, event_id, json.loads(data)
            name, event_id, data = "", "", ""


def open_stream(client: httpx.Client, terminal: str = TERMINAL) -> Any:
    return client.stream("GET", f"/kiosk/{terminal}/events")


def test_published_news_reaches_the_stream_at_once(serve: Serve, services: Services) -> None:
    # No heartbeat comes, and the stream ends after LIFETIME: a stream that polled more slowly,
    # or a server that held the stream back, would end it before the news (or run out of
    # time reading), and next() below would fail.
    url = serve()
    timeout = httpx.Timeout(READ_DEADLINE)
    with httpx.Client(base_url=url, timeout=timeout) as client, open_stream(client) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = sse(response)
        assert next(stream) == ("retry", "", 1000)  # sent once the stream listens on the bus

        services.bus.publish(tap(shown={"balance": "12,50 €", "nested": {"uid": "04A1"}}))
        name, event_id, data = next(stream)
        assert (name, event_id) == ("tap", "tap-1")
        assert set(data) == TAP_FIELDS
        assert data == {
            "result": "accepted",
            "reason": "ok",
            "message": "Kortelė galioja",
            "name": "Žygimantas Šimkus",
            "class_label": "5b",
            "time": "10:31",
            "event_id": "tap-1",
            "shown": {"balance": "12,50 €"},  # plain values only
        }

        services.bus.publish(tap(TapReason.NOT_GENUINE, event_id="tap-2", name="", class_label=""))
        services.bus.publish(ReaderChanged(TERMINAL, online=False, detail="USB reader unplugged"))
        services.bus.publish(tap(terminal="burelis-1", event_id="elsewhere"))  # another screen
        services.bus.publish(ReaderChanged(TERMINAL, online=True))
        name, event_id, data = next(stream)
        assert (name, event_id, data["result"], data["reason"]) == (
            "tap",
            "tap-2",
            "denied",
            "not_genuine",
        )
        assert data["message"] == "Kortelė netikra — tai gali būti kopija"
        assert next(stream) == (
            "reader",
            "",
            {"online": False, "detail": "USB reader unplugged"},
        )
        assert next(stream) == ("reader", "", {"online": True, "detail": ""})


def test_a_new_stream_starts_with_the_reader_state(serve: Serve, services: Services) -> None:
    url = serve()
    services.bus.publish(ReaderChanged(TERMINAL, online=False, detail="no PC/SC reader"))
    with httpx.Client(base_url=url, timeout=READ_DEADLINE) as client:
        with open_stream(client) as response:
            stream = sse(response)
            assert next(stream)[0] == "retry"
            assert next(stream) == ("reader", "", {"online": False, "detail": "no PC/SC reader"})
        with open_stream(client, "burelis-1") as response:  # a terminal that said nothing yet
            stream = sse(response)
            services.bus.publish(tap(terminal="burelis-1", event_id="club-1"))
            assert next(stream)[0] == "retry"
            assert next(stream)[:2] == ("tap", "club-1")


def test_english_screens_get_english_messages(serve: Serve, services: Services) -> None:
    url = serve(with_settings(services, kiosk__language="en"))
    with (
        httpx.Client(base_url=url, timeout=READ_DEADLINE) as client,
        open_stream(client) as response,
    ):
        stream = sse(response)
        next(stream)
        for number, (reason, text) in enumerate(
            [
                (TapReason.EXPIRED, "Card expired"),
                (TapReason.REPLACED, "Card replaced — this card is blocked"),
                (TapReason.OK, "Card valid"),
            ]
        ):
            services.bus.publish(tap(reason, event_id=f"en-{number}"))
            assert next(stream)[2]["message"] == text


def test_heartbeats_then_the_stream_ends_and_frees_its_slot(
    serve: Serve, services: Services
) -> None:
    url = serve(KIOSK_HEARTBEAT_SECONDS=0.2, KIOSK_LIFETIME_SECONDS=1.5, KIOSK_MAX_STREAMS=1)
    with httpx.Client(base_url=url, timeout=READ_DEADLINE) as client:
        with open_stream(client) as response:
            seen = list(sse(response))  # until the server ends the stream
        assert seen[0] == ("retry", "", 1000)
        assert seen.count((":", "", "heartbeat")) >= 3
        with open_stream(client) as again:  # the one slot is free again
            stream = sse(again)
            assert next(stream) == ("retry", "", 1000)
            services.bus.publish(tap(event_id="after"))
            assert next(stream)[:2] == ("tap", "after")


def test_kiosk_streams_over_their_limit_retry_later_and_leave_the_dashboards_slots(
    serve: Serve, services: Services, store: Store
) -> None:
    url = serve(
        KIOSK_MAX_STREAMS=1,
        LIVE_MAX_STREAMS=1,
        LIVE_INTERVAL_SECONDS=0.1,
        LIVE_LIFETIME_SECONDS=0.5,
    )
    make_user(store, "ona")
    with (
        httpx.Client(base_url=url, timeout=READ_DEADLINE) as kiosk,
        open_stream(kiosk) as first,
    ):
        assert next(sse(first))[0] == "retry"  # holds the only kiosk slot
        second = kiosk.get(f"/kiosk/{TERMINAL}/events")
        assert second.status_code == 200
        assert second.text == "retry: 2000\n\n"  # no slot: try again later, nothing else

        with httpx.Client(base_url=url, timeout=READ_DEADLINE) as person:
            form = person.get("/login").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
            assert token
            done = person.post(
                "/login",
                data={"username": "ona", "password": "Teisingas-slaptažodis-7",
                      "csrf_token": token[1]},
            )  # fmt: skip
            assert done.status_code == 302
            status = person.get("/status/events")
            assert "event: status" in status.text  # the dashboard's own slot is free


def test_a_closed_screen_gives_its_slot_back_at_once(serve: Serve) -> None:
    # one slot, a long life and no heartbeat: only noticing the closed connection frees it
    url = serve(KIOSK_MAX_STREAMS=1, KIOSK_LIFETIME_SECONDS=120, KIOSK_HEARTBEAT_SECONDS=120)
    with httpx.Client(base_url=url, timeout=READ_DEADLINE) as kiosk:
        with open_stream(kiosk) as first:
            assert next(sse(first))[0] == "retry"
        # the first screen is gone: a new one gets the slot within a few seconds
        deadline = time.monotonic() + 10
        while True:
            with open_stream(kiosk) as again:
                if next(sse(again)) == ("retry", "", 1000):
                    break
            assert time.monotonic() < deadline, "the closed screen still holds its slot"
            time.sleep(0.2)
