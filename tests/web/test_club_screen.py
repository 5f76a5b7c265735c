"""The kiosk screen of a club room's terminal: the session open there (group, until when, how many
are present) or that none is, and each tap's mark over a real HTTP event stream.

Monday 2026-10-05 10:30 in Vilnius; the guitar group's session runs 10:00–11:30 at burelis-1.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from canteen_pages import seen, text_of
from flask import Flask
from waitress import create_server

from club_rows import add_group, add_programme, add_session, enrol, mark_present
from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import SchoolClass
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.schools import ensure_class, ensure_school
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.club import ClubAttendance
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.web import create_app

ROOM = TerminalSpec("burelis-1", "club", "simulated")
SCHOOL_CODE = "190000000"


def add_pupil_with_card(store: Store, first: str, last: str, uid: str) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL_CODE, "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(5, "a"))
        now = tx.now()
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
            " created_at, updated_at) VALUES (?, ?, ?, '2015-07-02', ?, ?, ?)",
            (school, first, last, class_id, now, now),
        ).lastrowid
        tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
            " valid_until, issue_counter, created_at, updated_at)"
            " VALUES (?, 'issued', '2026-09-01', 'pupil', ?, '2029-08-31', 1, ?, ?)",
            (pupil, uid, now, now),
        )
        tx.emit("test.pupil_with_card", {})
        return int(pupil or 0)


@pytest.fixture
def guitar(store: Store, clock: FixedClock) -> int:
    group = add_group(store, add_programme(store), "Gitara 1")
    tz = clock.tz
    add_session(store, group, datetime(2026, 10, 5, 10, tzinfo=tz),
                datetime(2026, 10, 5, 11, 30, tzinfo=tz), closed=False)  # fmt: skip
    return group


def only_session(store: Store) -> int:
    return int(store.conn.execute("SELECT max(id) FROM club_sessions").fetchone()[0])


def test_a_club_terminal_with_no_session_open_says_so(app: Flask) -> None:
    page = text_of(app.test_client().get("/kiosk/burelis-1"))
    assert seen(app, "No session is open") in page
    assert 'data-club-state="/kiosk/burelis-1/club"' in page
    assert '<ul class="sessions" data-test="sessions" hidden>' in page
    assert "data-till-state" not in page
    assert "style=" not in page
    assert "<script>" not in page
    till = text_of(app.test_client().get("/kiosk/valgykla-1"))
    assert "data-club-state" not in till
    assert 'data-test="club-session"' not in till


def test_the_open_session_is_shown_with_its_end_and_present_count(
    app: Flask, store: Store, clock: FixedClock, guitar: int
) -> None:
    pupil = add_pupil_with_card(store, "Ona", "Žukauskaitė", "04A1B2C3D4E5F6")
    mark_present(store, only_session(store), [pupil])
    tz = clock.tz
    elsewhere = add_group(store, add_programme(store, "120000002", "Robotika"), "Robotika")
    starts, ends = datetime(2026, 10, 5, 10, tzinfo=tz), datetime(2026, 10, 5, 11, tzinfo=tz)
    add_session(store, elsewhere, starts, ends, terminal="burelis-2", closed=False)
    add_session(store, elsewhere, datetime(2026, 10, 5, 8, tzinfo=tz),
                datetime(2026, 10, 5, 12, tzinfo=tz), closed=True)  # fmt: skip
    page = text_of(app.test_client().get("/kiosk/burelis-1"))
    panel = page[page.index('data-test="club-session"') : page.index('class="counter"')]
    assert "Gitara 1" in panel
    assert seen(app, "until %(time)s") % {"time": "11:30"} in panel
    assert seen(app, "present: %(count)s") % {"count": 1} in panel
    assert "Robotika" not in panel  # another room's session, and a closed one
    assert '<p class="no-session" data-test="no-session" hidden>' in panel
    state = app.test_client().get("/kiosk/burelis-1/club")
    assert state.headers["Content-Type"] == "application/json"
    assert state.get_json() == {
        "sessions": [
            {
                "id": only_session(store) - 2,
                "group": "Gitara 1",
                "programme": "Jaunųjų muzikantų studija",
                "until": "11:30",
                "present": 1,
            }
        ]
    }
    assert "Žukauskaitė" not in state.get_data(as_text=True)


def test_a_session_opens_ten_minutes_ahead_on_the_screen_too(
    app: Flask, store: Store, clock: FixedClock
) -> None:
    tz = clock.tz
    group = add_group(store, add_programme(store), "Gitara 1")
    add_session(store, group, datetime(2026, 10, 5, 10, 41, tzinfo=tz),
                datetime(2026, 10, 5, 12, tzinfo=tz), closed=False)  # fmt: skip
    assert app.test_client().get("/kiosk/burelis-1/club").get_json() == {"sessions": []}
    clock.advance(minutes=1)  # 10:31: ten minutes before 10:41
    [shown] = app.test_client().get("/kiosk/burelis-1/club").get_json()["sessions"]
    assert shown["group"] == "Gitara 1"


def test_the_club_state_is_for_club_terminals_and_the_box_only(app: Flask, guitar: int) -> None:
    client = app.test_client()
    assert client.get("/kiosk/valgykla-1/club").status_code == 404
    assert client.get("/kiosk/kasa-9/club").status_code == 404
    elsewhere = client.get("/kiosk/burelis-1/club", environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert elsewhere.status_code == 403
    assert "Gitara 1" not in elsewhere.get_data(as_text=True)


# ---------------------------------------------------------------- taps over the stream


def _serve_until_closed(server: Any) -> None:
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise


@pytest.fixture
def served(services: Services) -> Iterator[str]:
    app = create_app(services, {"SECRET_KEY": "c" * 32, "KIOSK_LIFETIME_SECONDS": 5.0})
    server = create_server(app, host="127.0.0.1", port=0, threads=4, channel_request_lookahead=1)
    thread = threading.Thread(target=_serve_until_closed, args=(server,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.closing = True
    server.close()
    thread.join(timeout=10)


def _taps(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The stream's tap messages (its reader and comment lines are passed over)."""
    data = ""
    for line in lines:
        if line.startswith("data:"):
            data += line.partition(":")[2].strip()
        elif line == "" and data:
            found = json.loads(data)
            data = ""
            if "result" in found:
                yield found


def test_each_tap_shows_its_mark_and_the_new_count(
    app: Flask, services: Services, store: Store, guitar: int, served: str
) -> None:
    ona = add_pupil_with_card(store, "Ona", "Žukauskaitė", "04A1B2C3D4E5F6")
    jonas = add_pupil_with_card(store, "Jonas", "Šimkus", "04A1B2C3D4E5F7")
    enrol(store, ona, guitar)
    handler = ClubAttendance(services.clock, services.settings.tz, 10)
    pipeline = TapPipeline(store, services.clock, services.bus, school_code=SCHOOL_CODE,
                           handlers={"club": handler})  # fmt: skip
    with (
        httpx.Client(base_url=served, timeout=5.0) as client,
        client.stream("GET", "/kiosk/burelis-1/events") as response,
    ):
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")  # listening on the bus from here
        taps = _taps(lines)
        pipeline.decide(ROOM, CardRead(uid=bytes.fromhex("04A1B2C3D4E5F6")))
        first = next(taps)
        assert (first["result"], first["reason"]) == ("accepted", "ok")
        assert first["message"] == seen(app, "Marked present")
        assert first["shown"]["group"] == "Gitara 1"
        assert [s["present"] for s in first["sessions"]] == [1]

        pipeline.decide(ROOM, CardRead(uid=bytes.fromhex("04A1B2C3D4E5F6")))
        again = next(taps)
        assert again["reason"] == "already_marked"
        assert again["message"] == seen(app, "Already marked present at %(time)s") % {
            "time": "10:30"
        }
        assert [s["present"] for s in again["sessions"]] == [1]

        pipeline.decide(ROOM, CardRead(uid=bytes.fromhex("04A1B2C3D4E5F7")))
        stranger = next(taps)
        assert (stranger["result"], stranger["reason"]) == ("denied", "not_in_group")
        assert stranger["name"] == "Jonas Šimkus"
        assert stranger["message"] == seen(app, "Not in this group (%(group)s): not marked") % {
            "group": "Gitara 1"
        }
        assert [s["present"] for s in stranger["sessions"]] == [1]
    assert store.conn.execute("SELECT pupil_id, status FROM attendance ORDER BY id").fetchall() == [
        (ona, "present"),
        (jonas, "not_in_group"),
    ]
