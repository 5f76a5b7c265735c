"""The demo school's clubs (NVŠ): programmes, groups with a weekly schedule in the club room,
enrolled pupils with contracts and funding marks, and the sessions held since 1 September with
their attendance, so the lists, the monthly report and its chart have something to show.

Everything is invented and seeded. A session of the guitar group is open in the club room right
now, so a tap at ``burelis-1`` in the demo marks attendance whatever the hour.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final

from emp_edge.domain.school import school_year, school_year_bounds
from emp_edge.store import Store
from emp_edge.store.outbox import Transaction

ROOM: Final = "burelis-1"
#: KTPRR code, name, purpose, directions
PROGRAMMES: Final = (
    ("120100101", "Jaunųjų muzikantų studija", "papildancios", ("muzika",)),
    ("120100202", "Robotikos akademija", "nvs", ("technologijos",)),
    ("120100303", "Krepšinio mokykla", "nvs", ("sportas",)),
)
#: programme number, group name, sub-directions, weekly slots (weekday, starts, ends, hours)
GROUPS: Final = (
    (0, "Gitara 1", ("muzika.gitara",), ((1, "14:00", "15:30", 2), (3, "14:00", "15:30", 2))),
    (0, "Fortepijonas", ("muzika.fortepijonas",), ((2, "14:00", "15:30", 2),)),
    (0, "Choras „Vyturėliai“", ("muzika.choras",), ((4, "13:00", "14:30", 2),)),
    (1, "Robotika pradedantiesiems", ("technologijos.robotika",), ((2, "16:00", "17:30", 2),)),
    (2, "Krepšinis 5–6 kl.", ("sportas.krepsinis",), ((1, "16:00", "17:30", 2),)),
)
PER_GROUP: Final = 12
REJECTED_BY_REGISTRY: Final = "NVŠ krepšelį šiam mokiniui jau pažymėjo kitas teikėjas"


def stock_demo_clubs(store: Store, now: datetime, leader: str = "admin") -> int:
    """Write the demo's clubs as of ``now`` (aware, school time); ``leader`` (a username) leads
    the music groups. Returns how many attendance marks the past sessions hold."""
    tz = now.tzinfo
    assert tz is not None, "the demo's clubs need the school's time"
    today = now.date()
    rng = random.Random(11)  # noqa: S311 - made-up attendance, not secrets
    year = school_year(today)
    first_day, _ = school_year_bounds(year)
    pupils = [row[0] for row in store.conn.execute("SELECT id FROM pupils ORDER BY id")]
    marks = 0
    with store.transaction() as tx:
        leader_row = tx.execute("SELECT id FROM users WHERE username = ?", (leader,)).fetchone()
        programme_ids = [
            _insert(
                tx,
                "INSERT INTO programmes (ktprr_code, name, purpose, directions) VALUES (?,?,?,?)",
                (code, name, purpose, json.dumps(list(directions))),
            )
            for code, name, purpose, directions in PROGRAMMES
        ]
        if leader_row is not None:
            tx.execute("UPDATE users SET club_leader = 1 WHERE id = ?", (leader_row[0],))
        for number, (programme, name, subs, slots) in enumerate(GROUPS):
            group = _insert(
                tx,
                "INSERT INTO club_groups (programme_id, school_year, name, sub_directions)"
                " VALUES (?, ?, ?, ?)",
                (programme_ids[programme], year, name, json.dumps(list(subs))),
            )
            if leader_row is not None and programme == 0:
                tx.execute("INSERT INTO group_leaders VALUES (?, ?)", (group, leader_row[0]))
            slot_ids = [
                (
                    _insert(
                        tx,
                        "INSERT INTO group_schedule (group_id, weekday, starts, ends,"
                        " academic_hours, terminal) VALUES (?, ?, ?, ?, ?, ?)",
                        (group, weekday, starts, ends, hours, ROOM),
                    ),
                    weekday,
                    time.fromisoformat(starts),
                    time.fromisoformat(ends),
                    hours,
                )
                for weekday, starts, ends, hours in slots
            ]
            members = pupils[number * PER_GROUP : (number + 1) * PER_GROUP]
            _enrol(tx, group, year, members, first_day, number)
            marks += _past_sessions(tx, rng, group, slot_ids, members, first_day, today, tz)
            if number == 0:
                _open_now(tx, group, now)
        tx.emit("demo.clubs_stocked", {"groups": len(GROUPS), "marks": marks})
    return marks


def _insert(tx: Transaction, sql: str, params: tuple[object, ...]) -> int:
    return int(tx.execute(sql, params).lastrowid or 0)


def _enrol(
    tx: Transaction, group: int, year: int, members: list[int], first_day: date, number: int
) -> None:
    """Contracts for everyone; the basket for most, municipal money for some; in the first
    group one basket the registry rejected and one pupil who left in October."""
    now = tx.now()
    for place, pupil in enumerate(members):
        left_on = date(year, 10, 20) if number == 0 and place == PER_GROUP - 1 else None
        enrolment = _insert(
            tx,
            "INSERT INTO enrolments (pupil_id, group_id, first_day, contract_type, contract_date,"
            " contract_number, left_on, departure_order, departure_reason, created_at)"
            " VALUES (?, ?, ?, 'bilateral', ?, ?, ?, ?, ?, ?)",
            (
                pupil,
                group,
                first_day.isoformat(),
                first_day.isoformat(),
                f"NVŠ-{year}-{group:02d}{place + 1:02d}",
                left_on.isoformat() if left_on else None,
                "V-112" if left_on else None,
                "own_wish" if left_on else None,
                now,
            ),
        )
        kinds = ["basket"] if place % 4 else ["basket", "municipal"]
        for kind in kinds:
            rejected = number == 0 and place == 2 and kind == "basket"
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, pupil_id, school_year, state,"
                " registry_reason, event_id, marked_at, ended_on) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    enrolment,
                    kind,
                    pupil,
                    year,
                    "rejected" if rejected else "accepted",
                    REJECTED_BY_REGISTRY if rejected else "",
                    f"demo-mark-{enrolment}-{kind}",
                    now,
                    left_on.isoformat() if left_on else None,
                ),
            )


def _past_sessions(
    tx: Transaction,
    rng: random.Random,
    group: int,
    slots: list[tuple[int, int, time, time, int]],
    members: list[int],
    first_day: date,
    today: date,
    tz: tzinfo,
) -> int:
    """The sessions held by the schedule from the first day to yesterday, with their marks."""
    marks = 0
    day = first_day
    while day < today:
        for slot_id, weekday, starts, ends, hours in slots:
            if day.isoweekday() != weekday:
                continue
            start = datetime.combine(day, starts, tzinfo=tz).astimezone(UTC)
            end = datetime.combine(day, ends, tzinfo=tz).astimezone(UTC)
            session = _insert(
                tx,
                "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours,"
                " terminal, schedule_id, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (group, start.isoformat(), end.isoformat(), hours, ROOM, slot_id, end.isoformat()),
            )
            for place, pupil in enumerate(members):
                left = place == PER_GROUP - 1 and day >= date(first_day.year, 10, 20)
                if left or rng.random() > 0.82:
                    continue
                at = start + timedelta(minutes=rng.randint(-8, 6))
                tx.execute(
                    "INSERT INTO attendance (session_id, pupil_id, at, status, source, event_id)"
                    " VALUES (?, ?, ?, 'present', 'tap', ?)",
                    (session, pupil, at.isoformat(), f"demo-tap-{session}-{pupil}"),
                )
                marks += 1
        day += timedelta(days=1)
    return marks


def _open_now(tx: Transaction, group: int, now: datetime) -> None:
    """An extra session of the group in the club room from now for up to two hours, opened by
    the leader, so the demo's taps at the room's terminal count at once. It ends before the
    room's next scheduled session and is not opened while one is on or at the day's end."""
    tz, today = now.tzinfo, now.date()
    end = min(now + timedelta(hours=2), datetime.combine(today, time(23, 59), tzinfo=tz))
    for starts, ends in tx.execute(
        "SELECT starts, ends FROM group_schedule WHERE terminal = ? AND weekday = ?",
        (ROOM, today.isoweekday()),
    ):
        slot_start = datetime.combine(today, time.fromisoformat(starts), tzinfo=tz)
        slot_end = datetime.combine(today, time.fromisoformat(ends), tzinfo=tz)
        if slot_start - timedelta(minutes=30) <= now < slot_end:
            return  # the schedule opens the room's session itself
        if now < slot_start:
            end = min(end, slot_start - timedelta(minutes=30))
    if end - now < timedelta(minutes=20):
        return
    tx.execute(
        "INSERT INTO club_sessions (group_id, starts_at, ends_at, academic_hours, terminal)"
        " VALUES (?, ?, ?, 2, ?)",
        (group, now.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat(), ROOM),
    )
