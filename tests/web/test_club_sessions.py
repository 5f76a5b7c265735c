"""The club leader's pages on a real SQLite file, through the test client with CSRF on.

Monday 2026-10-05 10:30 in Vilnius: the guitar group (led by Rasa) meets on Mondays 10:00–11:30
at ``burelis-1``; the robotics group (led by Petras) meets on Mondays 15:00–16:30.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from club_rows import add_group, add_programme, add_slot, enrol
from emp_edge.domain.access import Area, Level
from emp_edge.domain.school import SchoolClass
from emp_edge.store import Store
from emp_edge.store.schools import ensure_class, ensure_school

MONDAY = date(2026, 10, 5)


def add_pupil(store: Store, first: str, last: str, label: str = "5a") -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(int(label[:-1]), label[-1]))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, first_name, last_name, birth_date,"
            " class_id, created_at, updated_at) VALUES (?, ?, ?, ?, '2015-07-02', ?, ?, ?)",
            (school, f"MR-{first}", first, last, class_id, now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


@dataclass(frozen=True)
class School:
    guitar: int
    robotics: int
    guitar_slot: int
    leader: int
    other_leader: int
    ona: int
    jonas: int
    egle: int  # left the guitar group today
    tomas: int  # in no group


@pytest.fixture
def school(store: Store) -> School:
    leader = make_user(store, "rasa", first_name="Rasa", last_name="Mokytoja")
    other = make_user(store, "petras", first_name="Petras", last_name="Treneris")
    music = add_programme(store)
    guitar = add_group(store, music, "Gitara 1", leaders=[leader])
    robotics = add_group(store, add_programme(store, "120000002", "Robotika"), "Robotika",
                         sub_directions=(), leaders=[other])  # fmt: skip
    slot = add_slot(store, guitar, weekday=1, starts="10:00", ends="11:30")
    add_slot(store, robotics, weekday=1, starts="15:00", ends="16:30")
    ona = add_pupil(store, "Ona", "Žukauskaitė")
    jonas = add_pupil(store, "Jonas", "Šimkus", "7b")
    egle = add_pupil(store, "Eglė", "Kazlauskaitė")
    tomas = add_pupil(store, "Tomas", "Jonaitis")
    for pupil in (ona, jonas):
        enrol(store, pupil, guitar)
    enrol(store, egle, guitar, left_on=MONDAY)
    return School(guitar, robotics, slot, leader, other, ona, jonas, egle, tomas)


def open_slot(browser: Visitor, group: int) -> int:
    response = browser.post(f"/clubs/groups/{group}/sessions", {"what": "slot"})
    assert response.status_code == 302, text_of(response)
    found = re.search(r"/clubs/sessions/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found[1])


def club_state(store: Store) -> list[list[tuple[object, ...]]]:
    """The sessions, marks, their events and audit rows of changes: equal means none written."""
    return [
        store.conn.execute(sql).fetchall()
        for sql in (
            "SELECT * FROM club_sessions ORDER BY id",
            "SELECT * FROM attendance ORDER BY id",
            "SELECT type, payload FROM outbox WHERE type LIKE 'nvs.%' ORDER BY seq",
            "SELECT action, subject FROM audit_log WHERE action LIKE 'club_%'"
            " AND action <> 'club_session.viewed' ORDER BY id",
        )
    ]


def attendance(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT session_id, pupil_id, status, source, user_id, event_id FROM attendance"
    ).fetchall()


def test_the_leader_opens_todays_session_marks_by_hand_takes_a_mark_away_and_closes_it(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    mine = text_of(rasa.get("/clubs/sessions"))
    assert "Gitara 1" in mine
    assert "Robotika" not in mine  # not her group
    assert 'data-state="due"' in mine
    assert 'data-test="open-slot"' in mine

    session_id = open_slot(rasa, school.guitar)
    row = store.conn.execute(
        "SELECT group_id, schedule_id, terminal, opened_by, starts_at, ends_at, closed_at"
        " FROM club_sessions WHERE id = ?",
        (session_id,),
    ).fetchone()
    assert tuple(row) == (
        school.guitar,
        school.guitar_slot,
        "burelis-1",
        school.leader,
        "2026-10-05T07:00:00+00:00",
        "2026-10-05T08:30:00+00:00",
        None,
    )
    assert events(store, "nvs.session.opened")[-1]["how"] == "hand"
    assert [r[1] for r in audit_rows(store, "club_session.opened")] == [
        f"club_session:{session_id}"
    ]

    page = text_of(rasa.get(f"/clubs/sessions/{session_id}"))
    assert [r[1] for r in audit_rows(store, "club_session.viewed")] == [
        f"club_session:{session_id}"
    ]
    form = page[page.index('data-test="add-mark-form"') :]
    assert "Ona Žukauskaitė" in form
    assert "Jonas Šimkus" in form
    assert "Eglė" not in form  # left the group today
    assert "Tomas" not in form

    added = rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.ona)})
    assert added.status_code == 302
    [(sid, pupil, status, source, user, event_id)] = attendance(store)
    assert (sid, pupil, status, source, user) == (
        session_id, school.ona, "present", "hand", school.leader,
    )  # fmt: skip
    assert events(store, "nvs.attendance.changed") == [
        {
            "session_id": session_id,
            "group_id": school.guitar,
            "session_starts_at": "2026-10-05T07:00:00+00:00",
            "academic_hours": 2,
            "pupil_id": school.ona,
            "registry_id": "MR-Ona",
            "change": "added",
            "status": "present",
            "source": "hand",
            "at": "2026-10-05T07:30:00+00:00",
        }
    ]
    event_row = store.conn.execute(
        "SELECT type FROM outbox WHERE event_id = ?", (event_id,)
    ).fetchone()
    assert event_row[0] == "nvs.attendance.changed"
    assert audit_rows(store, "club_attendance.added") == [
        ("rasa", f"pupil:{school.ona}", f"session={session_id}; event={event_id}")
    ]
    page = text_of(rasa.get(f"/clubs/sessions/{session_id}"))
    listed = page[page.index('data-test="present"') : page.index('data-test="add-mark"')]
    assert "Ona Žukauskaitė" in listed
    assert f'data-pupil="{school.ona}" data-source="hand"' in listed

    removed = rasa.post(f"/clubs/sessions/{session_id}/marks/{school.ona}/remove")
    assert removed.status_code == 302
    assert attendance(store) == []
    assert events(store, "nvs.attendance.changed")[-1]["change"] == "removed"
    assert [r[1] for r in audit_rows(store, "club_attendance.removed")] == [f"pupil:{school.ona}"]

    closed = rasa.post(f"/clubs/sessions/{session_id}/close")
    assert closed.status_code == 302
    row = store.conn.execute(
        "SELECT closed_at, closed_by FROM club_sessions WHERE id = ?", (session_id,)
    ).fetchone()
    assert tuple(row) == ("2026-10-05T07:30:00+00:00", school.leader)
    assert events(store, "nvs.session.closed")[-1] == {
        "session_id": session_id,
        "group_id": school.guitar,
        "closed_at": "2026-10-05T07:30:00+00:00",
        "how": "hand",
        "present": 0,
    }
    assert len(audit_rows(store, "club_session.closed")) == 1
    page = text_of(rasa.get(f"/clubs/sessions/{session_id}"))
    assert 'data-test="close-form"' not in page


def test_a_tap_mark_is_listed_with_its_source_and_not_in_group_taps_apart(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    with store.transaction() as tx:
        for pupil, status in ((school.jonas, "present"), (school.tomas, "not_in_group"),
                              (school.tomas, "not_in_group")):  # fmt: skip
            tx.execute(
                "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
                " VALUES (?, ?, '2026-10-05T07:05:00+00:00', ?, 'tap', ?)",
                (session_id, pupil, status, f"tap-{pupil}-{status}-{tx.now()}"),
            )
        tx.emit("test.taps", {})
    page = text_of(rasa.get(f"/clubs/sessions/{session_id}"))
    present = page[page.index('data-test="present"') : page.index('data-test="add-mark"')]
    strangers = page[page.index('data-test="not-in-group"') :]
    assert f'data-pupil="{school.jonas}" data-source="tap"' in present
    assert "10:05" in present
    assert "Tomas Jonaitis" not in present
    assert "Tomas Jonaitis" in strangers
    assert re.search(r"<td>10:05</td><td>2</td>", strangers)
    assert seen(app, "Present (%(count)d)") % {"count": 1} in page


def test_another_leader_is_refused_and_nothing_is_written(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    before = club_state(store)
    petras = signed_in(app, "petras")
    assert petras.get(f"/clubs/sessions/{session_id}").status_code == 403
    assert (
        petras.post(f"/clubs/groups/{school.guitar}/sessions", {"what": "slot"}).status_code == 403
    )
    marked = petras.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.ona)})
    assert marked.status_code == 403
    assert petras.post(f"/clubs/sessions/{session_id}/close").status_code == 403
    assert petras.post(f"/clubs/sessions/{session_id}/marks/{school.ona}/remove").status_code == 403
    assert club_state(store) == before
    mine = text_of(petras.get("/clubs/sessions"))
    assert "Robotika" in mine
    assert "Gitara 1" not in mine


def test_a_viewer_of_learning_data_is_no_leader_but_a_manager_acts_for_any_group(
    app: Flask, store: Store, school: School
) -> None:
    make_user(store, "ziurovas", levels={Area.LEARNING_DATA: Level.VIEWER})
    make_user(store, "vadybininke", levels={Area.LEARNING_DATA: Level.MANAGER})
    session_id = open_slot(signed_in(app, "rasa"), school.guitar)
    viewer = signed_in(app, "ziurovas")
    assert viewer.get(f"/clubs/sessions/{session_id}").status_code == 403
    assert seen(app, "You lead no club group this school year.") in text_of(
        viewer.get("/clubs/sessions")
    )
    chief = signed_in(app, "vadybininke")
    mine = text_of(chief.get("/clubs/sessions"))
    assert "Gitara 1" in mine
    assert "Robotika" in mine
    assert chief.get(f"/clubs/sessions/{session_id}").status_code == 200
    added = chief.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.jonas)})
    assert added.status_code == 302
    assert [r[1] for r in attendance(store)] == [school.jonas]


def test_a_mark_for_a_deregistered_pupil_is_refused_with_the_departure_date(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    before = dump(store)
    refused = rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.egle)})
    assert refused.status_code == 400
    reason = seen(
        app,
        "the pupil left the group on {left} (departure date): not in its lists on {day}",
        left="2026-10-05",
        day="2026-10-05",
    )
    assert reason in text_of(refused)
    stranger = rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.tomas)})
    assert stranger.status_code == 400
    assert seen(app, "the pupil is not enrolled in this group") in text_of(stranger)
    nobody = rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": ""})
    assert nobody.status_code == 400
    not_marked = rasa.post(f"/clubs/sessions/{session_id}/marks/{school.ona}/remove")
    assert not_marked.status_code == 400
    assert seen(app, "the pupil is not marked present in this session") in text_of(not_marked)
    assert dump(store) == before


def test_a_second_hand_mark_is_refused(app: Flask, store: Store, school: School) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.ona)})
    before = dump(store)
    again = rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.ona)})
    assert again.status_code == 400
    assert seen(app, "the pupil is already marked present in this session (at {time})",
                time="10:30") in text_of(again)  # fmt: skip
    assert dump(store) == before


def test_an_overlapping_session_of_the_group_is_refused_and_nothing_is_written(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    before = dump(store)
    extra = {"what": "extra", "terminal": "burelis-1", "academic_hours": "1", "ends": "12:00"}
    refused = rasa.post(f"/clubs/groups/{school.guitar}/sessions", extra)
    assert refused.status_code == 400  # today's scheduled 10:00–11:30 is the group's
    assert seen(app, "the group already has a session from {starts} to {ends}",
                starts="2026-10-05 10:00", ends="11:30") in text_of(refused)  # fmt: skip
    assert dump(store) == before
    open_slot(rasa, school.guitar)
    again = rasa.post(f"/clubs/groups/{school.guitar}/sessions", {"what": "slot"})
    assert again.status_code == 400
    assert seen(app, "today's session of the group is already open") in text_of(again)


def test_an_extra_session_is_refused_at_a_terminal_busy_with_another_group(
    app: Flask, store: Store, school: School
) -> None:
    open_slot(signed_in(app, "rasa"), school.guitar)
    petras = signed_in(app, "petras")
    before = club_state(store)
    busy = {"what": "extra", "terminal": "burelis-1", "academic_hours": "1", "ends": "11:15"}
    refused = petras.post(f"/clubs/groups/{school.robotics}/sessions", busy)
    assert refused.status_code == 400
    reason = seen(
        app,
        "the terminal {terminal} already has a session of {group} open until {ends}",
        terminal="burelis-1",
        group="Gitara 1",
        ends="11:30",
    )
    assert reason in text_of(refused)
    late = dict(busy, ends="10:00")
    assert seen(app, "the session must end later than now ({now})", now="10:30") in text_of(
        petras.post(f"/clubs/groups/{school.robotics}/sessions", late)
    )
    bad = petras.post(f"/clubs/groups/{school.robotics}/sessions", dict(busy, ends="25:00"))
    assert bad.status_code == 400
    assert club_state(store) == before


def test_an_extra_session_runs_from_now_to_the_end_chosen(
    app: Flask, store: Store, school: School
) -> None:
    petras = signed_in(app, "petras")
    extra = {"what": "extra", "terminal": "burelis-1", "academic_hours": "2", "ends": "12:15"}
    response = petras.post(f"/clubs/groups/{school.robotics}/sessions", extra)
    assert response.status_code == 302
    row = store.conn.execute(
        "SELECT group_id, schedule_id, starts_at, ends_at, academic_hours, opened_by"
        " FROM club_sessions"
    ).fetchone()
    assert tuple(row) == (school.robotics, None, "2026-10-05T07:30:00+00:00",
                          "2026-10-05T09:15:00+00:00", 2, school.other_leader)  # fmt: skip
    [opened] = events(store, "nvs.session.opened")
    assert (opened["how"], opened["schedule_id"]) == ("hand", None)


def test_a_slot_not_yet_due_says_when_it_can_be_opened(
    app: Flask, store: Store, school: School
) -> None:
    petras = signed_in(app, "petras")
    mine = text_of(petras.get("/clubs/sessions"))
    assert 'data-state="upcoming"' in mine
    refused = petras.post(f"/clubs/groups/{school.robotics}/sessions", {"what": "slot"})
    assert refused.status_code == 400
    reason = seen(
        app,
        "today's session of the group starts at {starts}: it can be opened from {opens}",
        starts="15:00",
        opens="14:50",
    )
    assert reason in text_of(refused)


def test_a_session_closed_by_hand_before_its_end_can_be_opened_again(
    app: Flask, store: Store, school: School
) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    rasa.post(f"/clubs/sessions/{session_id}/close")
    assert 'data-state="closed"' in text_of(rasa.get("/clubs/sessions"))
    assert open_slot(rasa, school.guitar) == session_id
    row = store.conn.execute(
        "SELECT closed_at, closed_by FROM club_sessions WHERE id = ?", (session_id,)
    ).fetchone()
    assert tuple(row) == (None, None)
    assert [e["how"] for e in events(store, "nvs.session.opened")] == ["hand", "reopened"]
    again = rasa.post(f"/clubs/sessions/{session_id}/close")
    assert again.status_code == 302
    twice = rasa.post(f"/clubs/sessions/{session_id}/close")
    assert twice.status_code == 400
    assert seen(app, "the session is already closed") in text_of(twice)


def test_unknown_groups_and_sessions_are_not_found(app: Flask, school: School) -> None:
    rasa = signed_in(app, "rasa")
    assert rasa.get("/clubs/sessions/999").status_code == 404
    assert rasa.post("/clubs/groups/999/sessions", {"what": "slot"}).status_code == 404


def test_payloads_name_no_pupil(app: Flask, store: Store, school: School) -> None:
    rasa = signed_in(app, "rasa")
    session_id = open_slot(rasa, school.guitar)
    rasa.post(f"/clubs/sessions/{session_id}/marks", {"pupil": str(school.ona)})
    rasa.post(f"/clubs/sessions/{session_id}/close")
    payloads = [
        row[0]
        for row in store.conn.execute(
            "SELECT payload FROM outbox WHERE type LIKE 'nvs.session.%'"
            " OR type = 'nvs.attendance.changed'"
        )
    ]
    assert len(payloads) == 3
    for payload in payloads:
        assert "Žukauskaitė" not in payload
        assert "Ona" not in json.loads(payload).values()
