"""Attendance at the club room's terminal through the real tap pipeline on a real SQLite file.

The school's clock stands on Monday 2026-10-05; the guitar group meets on Mondays 15:00–16:30
at ``burelis-1`` (the session opens 10 minutes ahead), the robotics group at ``burelis-2``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from club_rows import add_group, add_programme, add_session, add_slot, enrol
from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.club_lists import attendance_by_month, month_of
from emp_edge.store.club_sessions_by_hand import close_by_hand, open_extra
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.club import ClubAttendance
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel

ROOM_1 = TerminalSpec("burelis-1", "club", "simulated")
ROOM_2 = TerminalSpec("burelis-2", "club", "simulated")
MONDAY = date(2026, 10, 5)


class Clubs:
    """Two club rooms deciding through the real pipeline, and the school's groups."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.store = store
        self.clock = clock
        handlers = {"club": ClubAttendance(clock, clock.tz, open_before_minutes=10)}
        self.pipeline = TapPipeline(store, clock, Bus(), school_code=SCHOOL_CODE,
                                    handlers=handlers)  # fmt: skip
        music = add_programme(store)
        robots = add_programme(store, "120000002", "Robotika", directions=("technologijos",))
        self.guitar = add_group(store, music, "Gitara 1")
        self.robotics = add_group(store, robots, "Robotika", sub_directions=())
        self.guitar_slot = add_slot(store, self.guitar, weekday=1, starts="15:00", ends="16:30")
        add_slot(store, self.robotics, weekday=1, starts="15:00", ends="16:30",
                 terminal="burelis-2")  # fmt: skip

    def at(self, hour: int, minute: int) -> None:
        self.clock.moment = datetime(2026, 10, 5, hour, minute, tzinfo=self.clock.tz)

    def tap(self, card: OnFile, room: TerminalSpec = ROOM_1) -> TapDecided:
        chip = card.chip()
        read = read_school_card(Tap(room.name, chip.uid, EmulatedChannel(chip)), KEYS)
        return self.pipeline.decide(room, read)


@pytest.fixture
def clubs(store: Store, clock: FixedClock) -> Clubs:
    return Clubs(store, clock)


@pytest.fixture
def ona(store: Store, clubs: Clubs) -> OnFile:
    card = add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")
    enrol(store, card.pupil_id, clubs.guitar)
    return card


@pytest.fixture
def jonas(store: Store, clubs: Clubs) -> OnFile:
    """In the robotics group, not in the guitar group."""
    card = add_card(store, add_pupil(store, "Jonas", "Šimkus", "7a"), "04A1B2C3D4E5F7")
    enrol(store, card.pupil_id, clubs.robotics)
    return card


def marks(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT session_id, pupil_id, status, source, event_id FROM attendance ORDER BY id"
    ).fetchall()


def sessions(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT id, group_id, terminal, starts_at, ends_at, schedule_id, closed_at"
        " FROM club_sessions ORDER BY id"
    ).fetchall()


def events(store: Store, kind: str) -> list[dict[str, object]]:
    rows = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(row[0]) for row in rows]


def present_marks_this_month(store: Store, clock: FixedClock) -> int:
    """What the clubs page counts (store/club_lists.py), read independently of the handler."""
    rows = attendance_by_month(store.conn, 2026, [month_of(MONDAY)], clock.tz)
    return sum(row.marks for row in rows)


def test_a_tap_in_the_session_marks_the_pupil_present_under_the_taps_event(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    clubs.at(15, 2)
    decided = clubs.tap(ona)
    assert (decided.result, decided.reason) == (TapResult.ACCEPTED, TapReason.OK)
    assert decided.pupil_name == "Ona Žukauskaitė"
    assert decided.shown == {
        "group": "Gitara 1",
        "programme": "Jaunųjų muzikantų studija",
        "until": "16:30",
        "present": 1,
    }
    [(session_id, group, room, starts, ends, slot, closed)] = sessions(store)
    assert (group, room, slot, closed) == (clubs.guitar, "burelis-1", clubs.guitar_slot, None)
    assert (starts, ends) == ("2026-10-05T12:00:00+00:00", "2026-10-05T13:30:00+00:00")
    assert marks(store) == [(session_id, ona.pupil_id, "present", "tap", decided.event_id)]
    tap_row = store.conn.execute(
        "SELECT t.result, o.type FROM taps t JOIN outbox o ON o.event_id = t.event_id"
        " WHERE t.event_id = ?",
        (decided.event_id,),
    ).fetchone()
    assert tuple(tap_row) == ("accepted", "tap.decided")
    assert events(store, "nvs.session.opened") == [
        {
            "session_id": session_id,
            "group_id": clubs.guitar,
            "schedule_id": clubs.guitar_slot,
            "terminal": "burelis-1",
            "starts_at": "2026-10-05T12:00:00+00:00",
            "ends_at": "2026-10-05T13:30:00+00:00",
            "academic_hours": 2,
            "how": "tap",
        }
    ]
    assert present_marks_this_month(store, clubs.clock) == 1


def test_a_second_tap_says_already_marked_with_the_time_and_writes_no_second_mark(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    clubs.at(14, 55)
    first = clubs.tap(ona)
    clubs.at(15, 20)
    second = clubs.tap(ona)
    assert (second.result, second.reason) == (TapResult.ACCEPTED, TapReason.ALREADY_MARKED)
    assert second.shown["marked_at"] == "14:55"
    assert second.shown["present"] == 1
    assert [m[4] for m in marks(store)] == [first.event_id]
    assert len(sessions(store)) == 1


def test_a_pupil_not_in_the_group_is_recorded_as_such_and_never_counted(
    store: Store, clubs: Clubs, ona: OnFile, jonas: OnFile
) -> None:
    clubs.at(15, 5)
    clubs.tap(ona)
    refused = clubs.tap(jonas)
    again = clubs.tap(jonas)
    assert (refused.result, refused.reason) == (TapResult.DENIED, TapReason.NOT_IN_GROUP)
    assert again.reason is TapReason.NOT_IN_GROUP  # never "already marked": never counted
    assert refused.pupil_name == "Jonas Šimkus"
    assert refused.shown["group"] == "Gitara 1"
    assert "present" not in refused.shown
    rows = marks(store)
    assert [(r[1], r[2]) for r in rows] == [
        (ona.pupil_id, "present"),
        (jonas.pupil_id, "not_in_group"),
        (jonas.pupil_id, "not_in_group"),
    ]
    assert rows[1][4] == refused.event_id
    assert present_marks_this_month(store, clubs.clock) == 1
    clubs.at(15, 30)
    assert clubs.tap(ona).shown["present"] == 1


def test_a_deregistered_pupil_is_not_counted_from_the_departure_date(
    store: Store, clubs: Clubs
) -> None:
    leaves_today = add_card(store, add_pupil(store, "Eglė", "Kazlauskaitė"), "04A1B2C3D4E5F8")
    leaves_tomorrow = add_card(store, add_pupil(store, "Rūta", "Petraitytė"), "04A1B2C3D4E5F9")
    enrol(store, leaves_today.pupil_id, clubs.guitar, left_on=MONDAY)
    enrol(store, leaves_tomorrow.pupil_id, clubs.guitar, left_on=MONDAY + timedelta(days=1))
    clubs.at(15, 0)
    assert clubs.tap(leaves_today).reason is TapReason.NOT_IN_GROUP
    assert clubs.tap(leaves_tomorrow).reason is TapReason.OK
    assert [(r[1], r[2]) for r in marks(store)] == [
        (leaves_today.pupil_id, "not_in_group"),
        (leaves_tomorrow.pupil_id, "present"),
    ]
    assert present_marks_this_month(store, clubs.clock) == 1


def test_a_pupil_who_joins_later_is_not_in_the_group_yet(store: Store, clubs: Clubs) -> None:
    card = add_card(store, add_pupil(store, "Tomas", "Jonaitis"), "04A1B2C3D4E5FA")
    enrol(store, card.pupil_id, clubs.guitar, MONDAY + timedelta(days=1))
    clubs.at(15, 0)
    assert clubs.tap(card).reason is TapReason.NOT_IN_GROUP


def test_with_no_session_due_the_tap_is_refused_and_nothing_but_the_tap_is_written(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    clubs.at(10, 30)
    decided = clubs.tap(ona)
    assert (decided.result, decided.reason) == (TapResult.DENIED, TapReason.NO_SESSION)
    assert decided.shown == {}
    assert sessions(store) == []
    assert marks(store) == []
    assert [row[0] for row in store.conn.execute("SELECT reason FROM taps")] == ["no_session"]


def test_the_schedule_opens_the_session_at_the_tap_from_open_before_minutes_to_its_end(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    clubs.at(14, 49)
    assert clubs.tap(ona).reason is TapReason.NO_SESSION
    assert sessions(store) == []
    clubs.at(14, 50)
    assert clubs.tap(ona).reason is TapReason.OK
    clubs.at(16, 30)
    assert clubs.tap(ona).reason is TapReason.NO_SESSION  # over, though the job has not closed it
    assert len(sessions(store)) == 1


def test_another_weekday_has_no_session(store: Store, clubs: Clubs, ona: OnFile) -> None:
    clubs.clock.moment = datetime(2026, 10, 6, 15, 0, tzinfo=clubs.clock.tz)  # a Tuesday
    assert clubs.tap(ona).reason is TapReason.NO_SESSION
    assert sessions(store) == []


def test_two_terminals_each_take_their_own_rooms_session(
    store: Store, clubs: Clubs, ona: OnFile, jonas: OnFile
) -> None:
    clubs.at(15, 1)
    at_robotics = clubs.tap(ona, ROOM_2)
    assert at_robotics.reason is TapReason.NOT_IN_GROUP
    assert at_robotics.shown["group"] == "Robotika"
    assert clubs.tap(jonas, ROOM_2).reason is TapReason.OK
    assert clubs.tap(ona, ROOM_1).reason is TapReason.OK
    by_room = {row[2]: row[0] for row in sessions(store)}
    assert set(by_room) == {"burelis-1", "burelis-2"}
    assert [(r[0], r[1], r[2]) for r in marks(store)] == [
        (by_room["burelis-2"], ona.pupil_id, "not_in_group"),
        (by_room["burelis-2"], jonas.pupil_id, "present"),
        (by_room["burelis-1"], ona.pupil_id, "present"),
    ]


def test_when_one_session_ends_as_the_next_opens_the_tap_goes_to_the_pupils_group(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    choir = add_group(store, add_programme(store, "120000003", "Choras"), "Choras")
    add_slot(store, choir, weekday=1, starts="16:30", ends="18:00")
    singer = add_card(store, add_pupil(store, "Aistė", "Vaitkutė"), "04A1B2C3D4E5FB")
    enrol(store, singer.pupil_id, choir)
    clubs.at(15, 0)
    clubs.tap(ona)  # opens the guitar session
    clubs.at(16, 25)  # the choir's session opens ten minutes ahead, the guitar one still on
    decided = clubs.tap(singer)
    assert (decided.reason, decided.shown["group"]) == (TapReason.OK, "Choras")
    late = clubs.tap(ona)
    assert (late.reason, late.shown["group"]) == (TapReason.ALREADY_MARKED, "Gitara 1")


def test_a_session_the_leader_closed_is_not_reopened_by_a_tap(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    clubs.at(15, 0)
    clubs.tap(ona)
    [(session_id, *_)] = sessions(store)
    leader = _leader(store)
    with store.transaction() as tx:
        close_by_hand(tx, session_id, user_id=leader, now=clubs.clock.now())
    clubs.at(15, 10)
    assert clubs.tap(ona).reason is TapReason.NO_SESSION
    assert len(sessions(store)) == 1


def test_an_extra_session_opened_by_hand_takes_taps_at_its_terminal(
    store: Store, clubs: Clubs, ona: OnFile, jonas: OnFile
) -> None:
    clubs.at(11, 7)
    leader = _leader(store)
    with store.transaction() as tx:
        extra = open_extra(tx, clubs.robotics, leader, clubs.clock.now(),
                           clubs.clock.tz, terminal="burelis-1", academic_hours=1,
                           ends=datetime(2026, 10, 5, 12, 0).time())  # fmt: skip
    assert extra.starts_at == datetime(2026, 10, 5, 11, 7, tzinfo=clubs.clock.tz)
    decided = clubs.tap(jonas)
    assert (decided.reason, decided.shown["group"], decided.shown["until"]) == (
        TapReason.OK,
        "Robotika",
        "12:00",
    )
    assert clubs.tap(ona).reason is TapReason.NOT_IN_GROUP


def test_an_old_session_still_unclosed_takes_no_taps(
    store: Store, clubs: Clubs, ona: OnFile
) -> None:
    tz = clubs.clock.tz
    add_session(store, clubs.guitar, datetime(2026, 9, 28, 15, tzinfo=tz),
                datetime(2026, 9, 28, 16, 30, tzinfo=tz), closed=False)  # fmt: skip
    clubs.at(10, 0)
    assert clubs.tap(ona).reason is TapReason.NO_SESSION
    assert marks(store) == []


def _leader(store: Store) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO users (username, password_hash, first_name, last_name, valid_from,"
            " created_at, updated_at, club_leader) VALUES ('mokytoja', 'x', 'Rasa', 'Mokytoja',"
            " '2026-09-01', ?, ?, 1)",
            (tx.now(), tx.now()),
        )
        tx.emit("test.user_added", {})
        return int(cursor.lastrowid or 0)
