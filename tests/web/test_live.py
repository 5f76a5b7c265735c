"""The dashboard's live status over real HTTP: waitress serves the stream, httpx reads it."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from visitor import PASSWORD, make_user, signed_in
from waitress import create_server

from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.devices import DeviceKind, DeviceState, report
from emp_edge.web import create_app

INTERVAL = 0.2
LIFETIME = 3.0
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def serve_until_closed(server: Any) -> None:
    """Run a waitress server in a thread; once the test sets ``closing`` and closes it, its
    loop may fail on the closed sockets, and that ends the thread quietly."""
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise  # not closed by the test: a real failure


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    """The app under waitress on a free port of 127.0.0.1, as ``emp-edge run`` serves it."""
    app = create_app(
        services,
        {
            "SECRET_KEY": "s" * 32,
            "LIVE_INTERVAL_SECONDS": INTERVAL,
            "LIVE_LIFETIME_SECONDS": LIFETIME,
        },
    )
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="emp-edge")
    thread = threading.Thread(
        target=serve_until_closed, args=(server,), name="waitress", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.closing = True
    server.close()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the server did not stop"


@pytest.fixture
def browser(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(5.0)) as client:
        yield client


def sign_in(client: httpx.Client, username: str) -> None:
    form = client.get("/login")
    assert form.status_code == 200
    token = _TOKEN.search(form.text)
    assert token, "no CSRF token on the login page"
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert done.status_code == 302, done.text


def events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any], float]]:
    """(event name, data, moment received) for each Server-Sent Event, as it arrives."""
    name, data = "", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data += line.partition(":")[2].strip()
        elif line == "" and data:
            yield name, json.loads(data), time.monotonic()
            name, data = "", ""


def add_sale(store: Store) -> None:
    """A pupil and a sale at the till now, each with its outbox event."""
    with store.transaction() as tx:
        school = tx.execute("INSERT INTO schools (code, name) VALUES ('1', 'Mokykla')").lastrowid
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, created_at,"
            " updated_at) VALUES (?, 'Aistė', 'Jonaitytė', '2015-01-01', ?, ?)",
            (school, tx.now(), tx.now()),
        ).lastrowid
        event = tx.emit("ledger.sale", {"pupil_id": pupil, "cents": -250})
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
            " VALUES (?, 'sale', -250, ?, 'canteen-1', ?)",
            (pupil, tx.now(), event),
        )


def test_the_status_stream_carries_changes_without_a_reload(
    browser: httpx.Client, store: Store
) -> None:
    make_user(store, "ona")
    sign_in(browser, "ona")
    asked = time.monotonic()
    with browser.stream("GET", "/status/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = events(response)
        # A server that held the stream back would give this only when the stream ends, and then
        # no later event could carry the change made below: the order itself proves promptness.
        name, first, received = next(stream)
        assert name == "status"
        assert received - asked < LIFETIME, "the first event came only when the stream ended"
        assert first["devices"] == []
        assert first["today"]["sales"] == 0
        backlog = first["sync"]["backlog"]

        report(store, "canteen-1", DeviceKind.READER, DeviceState.ERROR, "no reader")
        add_sale(store)
        changed_at = time.monotonic()

        name, data, arrived = next(
            (event for event in stream if event[1]["devices"]), ("", {}, 0.0)
        )
        assert name == "status", "the stream ended without the change"
        assert arrived > changed_at
        [device] = data["devices"]
        assert device["name"] == "canteen-1"
        assert device["state"] == "error"
        assert device["detail"] == "no reader"
        assert data["today"]["sales"] == 1
        assert data["sync"]["backlog"] == backlog + 1


def test_the_stream_ends_after_its_lifetime(browser: httpx.Client, store: Store) -> None:
    make_user(store, "ona")
    sign_in(browser, "ona")
    asked = time.monotonic()
    with browser.stream("GET", "/status/events") as response:
        count = sum(1 for _ in events(response))
    took = time.monotonic() - asked
    assert LIFETIME - 2 * INTERVAL <= took < LIFETIME + 5
    assert count >= 3  # one every interval, not a single answer


def test_nobody_signed_in_gets_401_from_the_stream(browser: httpx.Client) -> None:
    response = browser.get("/status/events")
    assert response.status_code == 401
    assert "event:" not in response.text


def test_an_open_stream_does_not_keep_the_session_alive(
    browser: httpx.Client, store: Store, clock: FixedClock
) -> None:
    make_user(store, "ona")
    sign_in(browser, "ona")
    clock.advance(minutes=10)  # the page was left open; the browser keeps its stream
    with browser.stream("GET", "/status/events") as response:
        assert response.status_code == 200
        stream = events(response)
        next(stream)
        clock.advance(minutes=6)  # 16 minutes since the last page request
        name, _, _ = next(stream)
        assert name == "status"
    page = browser.get("/")
    assert page.status_code == 302
    assert page.headers["location"].endswith("/login?expired=idle")
    assert browser.get("/status/events").status_code == 401
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "session.expired"


def test_streams_over_the_limit_end_at_once_and_free_their_slot(services: Services) -> None:
    app = create_app(
        services,
        {
            "TESTING": True,
            "SECRET_KEY": "l" * 32,
            "LIVE_MAX_STREAMS": 1,
            "LIVE_INTERVAL_SECONDS": 0.05,
            "LIVE_LIFETIME_SECONDS": 0.1,
        },
    )
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    first = browser.get("/status/events", buffered=False)
    second = browser.get("/status/events")
    assert second.status_code == 200
    assert second.get_data(as_text=True) == "retry: 5000\n\n"  # no slot: try again later
    assert "event: status" in first.get_data(as_text=True)
    first.close()
    third = browser.get("/status/events")
    assert "event: status" in third.get_data(as_text=True)  # the slot came back
