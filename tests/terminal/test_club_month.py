"""A month of taps at two club rooms through the real pipeline, and the monthly report checked
against a count the test keeps by itself while tapping (never against the report's own SQL)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from club_rows import add_group, add_programme, add_slot, enrol
from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.clubs import FundingRule
from emp_edge.domain.taps import TapReason
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.club_lists import month_of
from emp_edge.store.club_report import month_report
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.club import ClubAttendance
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel

ROOM_1 = TerminalSpec("burelis-1", "club", "simulated")
ROOM_2 = TerminalSpec("burelis-2", "club", "simulated")
OCTOBER = month_of(date(2026, 10, 1))
LEFT_ON = date(2026, 10, 15)  # one guitarist leaves mid-month


@dataclass(frozen=True)
class Weekly:
    group: str
    room: TerminalSpec
    weekday: int
    starts: time
    ends: time
    hours: int


SLOTS = (
    Weekly("guitar", ROOM_1, 1, time(15, 0), time(16, 30), 2),
    Weekly("guitar", ROOM_1, 3, time(15, 0), time(15, 45), 1),
    Weekly("robots", ROOM_2, 4, time(14, 0), time(15, 30), 2),
    Weekly("robots", ROOM_1, 5, time(13, 0), time(13, 45), 1),
)


@dataclass
class Expected:
    """What the test saw: sessions per group, and per (group, pupil) the sessions counted."""

    sessions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    attended: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))


def test_a_month_of_taps_gives_the_hours_and_fundable_months_counted_while_tapping(
    store: Store, clock: FixedClock
) -> None:
    rng = random.Random(2026)
    names = ["Ona", "Jonas", "Austėja", "Žygimantas", "Rūta", "Šarūnas", "Eglė"]
    cards: dict[int, OnFile] = {}
    for number, first in enumerate(names):
        pupil = add_pupil(store, first, "Čepulytė" if number % 2 else "Ūsas")
        cards[pupil] = add_card(store, pupil, f"04A1B2C3D4E5{number:02X}")
    pupils = list(cards)
    programme = add_programme(store)
    groups = {
        "guitar": add_group(store, programme, "Gitara 1"),
        "robots": add_group(store, programme, "Robotika", sub_directions=("muzika.smuikas",)),
    }
    for slot in SLOTS:
        add_slot(
            store,
            groups[slot.group],
            weekday=slot.weekday,
            starts=slot.starts.strftime("%H:%M"),
            ends=slot.ends.strftime("%H:%M"),
            hours=slot.hours,
            terminal=slot.room.name,
        )
    periods: dict[tuple[str, int], tuple[date, date | None]] = {}
    for pupil in pupils[:4]:
        left = LEFT_ON if pupil == pupils[3] else None
        enrol(store, pupil, groups["guitar"], date(2026, 9, 1), left_on=left)
        periods[("guitar", pupil)] = (date(2026, 9, 1), left)
    for pupil in pupils[2:5]:  # two pupils are in both groups
        first_day = date(2026, 10, 8) if pupil == pupils[4] else date(2026, 9, 1)  # one joins late
        enrol(store, pupil, groups["robots"], first_day)
        periods[("robots", pupil)] = (first_day, None)
    outsider = pupils[6]  # in no group: taps in now and then, never counted

    pipeline = TapPipeline(store, clock, Bus(), school_code=SCHOOL_CODE,
                           handlers={"club": ClubAttendance(clock, clock.tz, 10)})  # fmt: skip
    seen = Expected()
    hours_of: dict[int, int] = {}
    day = OCTOBER.first
    while day < OCTOBER.after:
        for slot in SLOTS:
            if day.isoweekday() != slot.weekday:
                continue
            start = datetime.combine(day, slot.starts, tzinfo=clock.tz)
            members = [p for (g, p) in periods if g == slot.group]
            tappers = [p for p in members if rng.random() < 0.75] or members[:1]
            if rng.random() < 0.3:
                tappers.append(outsider)
            tappers += rng.sample(tappers, k=min(2, len(tappers)))  # some tap twice
            session_id = 0
            for pupil in tappers:
                clock.moment = start + timedelta(minutes=rng.randint(-9, 40))
                decided = _tap(pipeline, slot.room, cards[pupil])
                session_id = _session_of(store, decided.event_id)
                first, left = periods.get((slot.group, pupil), (date.max, None))
                in_group = first <= day and (left is None or day < left)
                if not in_group:
                    assert decided.reason is TapReason.NOT_IN_GROUP, (day, pupil)
                    continue
                assert decided.reason in (TapReason.OK, TapReason.ALREADY_MARKED)
                seen.sessions[slot.group].append(session_id)  # held: someone was present
                if decided.reason is TapReason.OK:
                    seen.attended[(slot.group, pupil)].append(session_id)
            if session_id:
                hours_of[session_id] = slot.hours
        day += timedelta(days=1)

    rule = FundingRule(min_hours=8, min_sessions=3)
    report = {g.group_id: g for g in month_report(store.conn, OCTOBER, clock.tz, rule)}
    assert set(report) == set(groups.values())
    for name, group_id in groups.items():
        month = report[group_id]
        held = sorted(set(seen.sessions[name]))
        assert month.sessions_held == len(held)
        assert month.hours_held == sum(hours_of[s] for s in held)
        expected_pupils = {p for (g, p) in periods if g == name}
        assert {p.pupil_id for p in month.pupils} == expected_pupils
        for row in month.pupils:
            sessions = seen.attended[(name, row.pupil_id)]
            hours = sum(hours_of[s] for s in sessions)
            assert (row.sessions_attended, row.hours) == (len(sessions), hours), row
            assert row.fundable == (hours >= 8 and len(sessions) >= 3), row
    assert any(not row.fundable for g in report.values() for row in g.pupils), "rule is idle"
    assert any(row.fundable for g in report.values() for row in g.pupils), "rule is idle"
    leaver = next(r for r in report[groups["guitar"]].pupils if r.pupil_id == pupils[3])
    assert leaver.hours < sum(hours_of[s] for s in set(seen.sessions["guitar"]))
    counted = store.conn.execute(
        "SELECT count(*) FROM attendance WHERE pupil_id = ? AND status = 'present'", (outsider,)
    ).fetchone()[0]
    assert counted == 0


def _tap(pipeline: TapPipeline, room: TerminalSpec, card: OnFile) -> TapDecided:
    chip = card.chip()
    read = read_school_card(Tap(room.name, chip.uid, EmulatedChannel(chip)), KEYS)
    return pipeline.decide(room, read)


def _session_of(store: Store, event_id: str) -> int:
    row = store.conn.execute(
        "SELECT session_id FROM attendance WHERE event_id = ?", (event_id,)
    ).fetchone()
    if row is None:  # "already marked" writes no row: the pupil's last mark names the session
        row = store.conn.execute(
            "SELECT a.session_id FROM attendance a JOIN taps t ON t.pupil_id = a.pupil_id"
            " WHERE t.event_id = ? AND a.status = 'present' ORDER BY a.id DESC LIMIT 1",
            (event_id,),
        ).fetchone()
    assert row is not None
    return int(row[0])
