"""The clubs' monthly report against hand-made data: sessions by the school's month (one at 00:30
on the 1st), only presence marks, only on enrolled days, the rule's hours and sessions, the
basket, and sending a month to the registry (again, as a correction)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from club_rows import add_group, add_programme, add_session, enrol, mark_present
from club_school import add_attendance, add_pupil, set_mark_state
from emp_edge.domain.clubs import FundingRule
from emp_edge.domain.lithuanian import name_order
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.club_lists import month_of
from emp_edge.store.club_report import (
    ATTENDANCE_MONTHLY,
    GroupMonth,
    last_sent,
    month_report,
    parse_month,
    send_month,
)
from emp_edge.store.club_report_table import ReportHeads, month_table

VILNIUS = ZoneInfo("Europe/Vilnius")
OCTOBER = month_of(date(2026, 10, 1))
RULE = FundingRule(min_hours=4)


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VILNIUS)


def session(store: Store, group: int, starts: datetime, hours: int = 2) -> int:
    return add_session(store, group, starts, starts + timedelta(minutes=45 * hours), hours=hours)


class October:
    """One group's October, by hand; the figures each pupil should get are in the tests."""

    def __init__(self, store: Store) -> None:
        programme = add_programme(store, name="Gitaros studija")
        self.group = add_group(store, programme, name="Gitara 1")
        p = {
            "aiste": add_pupil(store, "Aistė", "Jonaitytė", label="5b", registry_id="MR-1"),
            "jonas": add_pupil(store, "Jonas", "Petraitis", registry_id="MR-2"),
            "rokas": add_pupil(store, "Rokas", "Sabonis", label=None),
            "ema": add_pupil(store, "Ema", "Šimkutė"),
            "tomas": add_pupil(store, "Tomas", "Tamošaitis"),
            "gone": add_pupil(store, "Gintė", "Išėjusi"),
            "later": add_pupil(store, "Vėlius", "Vėlesnis"),
            "ula": add_pupil(store, "Ūla", "Žemaitytė"),
        }
        self.pupils = p
        enrol(store, p["aiste"], self.group, funding=["basket"])
        jonas = enrol(store, p["jonas"], self.group, left_on=date(2026, 10, 15), funding=["basket"])
        set_mark_state(store, jonas, "basket", "rejected")
        enrol(store, p["rokas"], self.group)
        enrol(store, p["ema"], self.group, date(2026, 10, 12))
        enrol(store, p["tomas"], self.group)
        enrol(store, p["gone"], self.group, left_on=date(2026, 10, 1))  # no day in October
        enrol(store, p["later"], self.group, date(2026, 11, 2))
        enrol(store, p["ula"], self.group, left_on=date(2026, 10, 2))  # only 1 October
        g = self.group
        self.september = session(store, g, at(30, 23, 30, month=9))  # 20:30 UTC: September
        self.first = session(store, g, at(1, 0, 30))  # 21:30 UTC on 30 September: October
        self.s6 = session(store, g, at(6, 15))
        self.s13 = session(store, g, at(13, 15))
        self.s20 = session(store, g, at(20, 15), hours=1)
        self.s27 = session(store, g, at(27, 15))
        self.last = session(store, g, at(31, 23, 30))  # after the clocks went back: October
        self.november = session(store, g, at(1, 0, 30, month=11))
        mark_present(store, self.september, [p["aiste"], p["rokas"]])
        mark_present(store, self.first, [p["aiste"], p["ula"]])
        mark_present(store, self.s6, [p["aiste"], p["jonas"], p["rokas"]])
        add_attendance(store, self.s13, p["aiste"], "not_in_group")  # never counted
        add_attendance(store, self.s6, p["ema"], "not_in_group")  # before her first day
        mark_present(store, self.s13, [p["ema"]])
        mark_present(store, self.s20, [p["ema"], p["rokas"]])
        mark_present(store, self.s27, [p["rokas"], p["jonas"]])  # Jonas had left on the 15th
        mark_present(store, self.november, [p["aiste"], p["tomas"]])


def only(report: list[GroupMonth]) -> GroupMonth:
    assert len(report) == 1
    return report[0]


def by_name(group: GroupMonth) -> dict[str, tuple[int, int, bool, bool]]:
    return {p.name: (p.sessions_attended, p.hours, p.fundable, p.basket) for p in group.pupils}


def test_sessions_count_in_the_school_month_they_started_in(store: Store) -> None:
    october = October(store)
    group = only(month_report(store.conn, OCTOBER, VILNIUS, RULE))
    assert (group.group_id, group.group_name, group.programme_name, group.month) == (
        october.group,
        "Gitara 1",
        "Gitaros studija",
        "2026-10",
    )
    # 1st at 00:30, 6th, 13th, 20th, 27th; nobody came on the 31st at 23:30: not held
    assert group.sessions_held == 5
    assert group.hours_held == 2 + 2 + 2 + 1 + 2
    mark_present(store, october.last, [october.pupils["tomas"]])
    group = only(month_report(store.conn, OCTOBER, VILNIUS, RULE))
    assert (group.sessions_held, group.hours_held) == (6, 11)  # after the clocks went back
    september = only(month_report(store.conn, month_of(date(2026, 9, 1)), VILNIUS, RULE))
    assert (september.sessions_held, september.hours_held) == (1, 2)
    november = only(month_report(store.conn, month_of(date(2026, 11, 1)), VILNIUS, RULE))
    assert november.sessions_held == 1


def test_hours_sessions_fundable_and_basket_per_pupil(store: Store) -> None:
    October(store)
    group = only(month_report(store.conn, OCTOBER, VILNIUS, RULE))
    assert by_name(group) == {
        "Aistė Jonaitytė": (2, 4, True, True),  # the 1st at 00:30 and the 6th; a not_in_group tap
        "Jonas Petraitis": (1, 2, False, False),  # left on the 15th; basket rejected
        "Rokas Sabonis": (3, 5, True, False),
        "Ema Šimkutė": (2, 3, False, False),  # from the 12th
        "Tomas Tamošaitis": (0, 0, False, False),  # enrolled, never came: listed
        "Ūla Žemaitytė": (1, 2, False, False),  # in the lists on the 1st only
    }
    classes = {p.name: p.class_label for p in group.pupils}
    assert classes["Aistė Jonaitytė"] == "5b"
    assert classes["Rokas Sabonis"] == ""


def test_pupils_are_in_lithuanian_alphabetical_order(store: Store) -> None:
    October(store)
    names = [p.name for p in only(month_report(store.conn, OCTOBER, VILNIUS, RULE)).pupils]
    # Š after S and before T; Ū before Ž (a byte order would put Š and Ū after T)
    assert names == [
        "Aistė Jonaitytė",
        "Jonas Petraitis",
        "Rokas Sabonis",
        "Ema Šimkutė",
        "Tomas Tamošaitis",
        "Ūla Žemaitytė",
    ]
    assert name_order("Šimkutė", "Ema") < name_order("Tamošaitis", "Tomas")
    assert name_order("ąžuolaitė", "A") > name_order("Azaraitė", "A")
    assert name_order("Jonaitis", "Ona") < name_order("Jonaitis-Petraitis", "Ona")


def test_the_rule_can_count_sessions_too(store: Store) -> None:
    October(store)
    strict = FundingRule(min_hours=4, min_sessions=3)
    group = only(month_report(store.conn, OCTOBER, VILNIUS, strict))
    fundable = {p.name for p in group.pupils if p.fundable}
    assert fundable == {"Rokas Sabonis"}  # Aistė has 4 hours but only 2 sessions
    lenient = FundingRule(min_hours=2)
    group = only(month_report(store.conn, OCTOBER, VILNIUS, lenient))
    assert {p.name for p in group.pupils if p.fundable} == {
        "Aistė Jonaitytė",
        "Jonas Petraitis",
        "Rokas Sabonis",
        "Ema Šimkutė",
        "Ūla Žemaitytė",
    }
    assert group.funded == 1  # Aistė: basket and fundable


def test_groups_of_the_school_year_or_the_one_asked_for(store: Store) -> None:
    october = October(store)
    other = add_group(store, add_programme(store, code="120000002", name="Akordeono klasė"))
    last_year = add_group(store, add_programme(store, code="120000003"), school_year=2025)
    report = month_report(store.conn, OCTOBER, VILNIUS, RULE)
    assert [g.group_id for g in report] == [other, october.group]  # by programme name
    assert report[0].pupils == []
    assert report[0].sessions_held == 0
    assert last_year not in [g.group_id for g in report]
    assert [g.group_id for g in month_report(store.conn, OCTOBER, VILNIUS, RULE, other)] == [other]
    assert month_report(store.conn, OCTOBER, VILNIUS, RULE, 999) == []


def test_a_month_of_random_taps_adds_up(store: Store) -> None:
    """Hours and fundable flags recomputed from the taps as they were made."""
    draw = random.Random(20261005)
    group = add_group(store, add_programme(store))
    pupils = [add_pupil(store, f"Vaikas{n}", f"Pavardė{n}") for n in range(12)]
    for pupil in pupils:
        enrol(store, pupil, group)
    expected = dict.fromkeys(pupils, (0, 0))
    for day in range(1, 32):
        if draw.random() < 0.5:
            continue
        hours = draw.randint(1, 3)
        session_id = session(store, group, at(day, draw.choice([0, 9, 16, 23])), hours)
        came = [p for p in pupils if draw.random() < 0.4]
        mark_present(store, session_id, came)
        for pupil in came:
            sessions, total = expected[pupil]
            expected[pupil] = (sessions + 1, total + hours)
    report = only(month_report(store.conn, OCTOBER, VILNIUS, RULE))
    found = {p.pupil_id: (p.sessions_attended, p.hours) for p in report.pupils}
    assert found == expected
    assert {p.pupil_id for p in report.pupils if p.fundable} == {
        pupil for pupil, (_, hours) in expected.items() if hours >= 4
    }


def test_month_written_yyyy_mm() -> None:
    assert parse_month(" 2026-10 ") == OCTOBER
    for bad in ("2026-13", "2026-1", "spalis", "2026-00", ""):
        with pytest.raises(InputError):
            parse_month(bad)


def test_the_report_as_rows(store: Store) -> None:
    October(store)
    rows = month_table(month_report(store.conn, OCTOBER, VILNIUS, RULE), ReportHeads(yes="taip"))
    assert rows[0][:3] == ["Month", "Programme", "Group"]
    assert rows[1] == ["2026-10", "Gitaros studija", "Gitara 1", "5", "9", "Aistė Jonaitytė",
                       "5b", "2", "4", "taip", "taip"]  # fmt: skip
    assert len(rows) == 7


# ---------------------------------------------------------------- sending


def events(store: Store) -> list[dict[str, object]]:
    rows = store.conn.execute(
        "SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (ATTENDANCE_MONTHLY,)
    )
    return [json.loads(payload) for (payload,) in rows]


def test_sending_a_month_writes_its_event_without_names(store: Store) -> None:
    october = October(store)
    p = october.pupils
    assert last_sent(store.conn, october.group, OCTOBER) is None
    with store.transaction() as tx:
        sending = send_month(tx, october.group, OCTOBER, tz=VILNIUS, rule=RULE, user_id=None)
    assert sending.before is None
    (payload,) = events(store)
    assert payload == {
        "group_id": october.group,
        "ktprr_code": "120000001",
        "school_year": 2026,
        "month": "2026-10",
        "sessions_held": 5,
        "hours_held": 9,
        "rule": {"min_hours": 4, "min_sessions": 0},
        "corrects": None,
        "pupils": [
            {"pupil_id": p["aiste"], "registry_id": "MR-1", "sessions_attended": 2, "hours": 4,
             "fundable": True, "basket": True},
            {"pupil_id": p["jonas"], "registry_id": "MR-2", "sessions_attended": 1, "hours": 2,
             "fundable": False, "basket": False},
            {"pupil_id": p["rokas"], "registry_id": None, "sessions_attended": 3, "hours": 5,
             "fundable": True, "basket": False},
            {"pupil_id": p["ema"], "registry_id": None, "sessions_attended": 2, "hours": 3,
             "fundable": False, "basket": False},
            {"pupil_id": p["tomas"], "registry_id": None, "sessions_attended": 0, "hours": 0,
             "fundable": False, "basket": False},
            {"pupil_id": p["ula"], "registry_id": None, "sessions_attended": 1, "hours": 2,
             "fundable": False, "basket": False},
        ],
    }  # fmt: skip
    text = store.conn.execute("SELECT payload FROM outbox WHERE type = ?", (ATTENDANCE_MONTHLY,))
    raw = text.fetchone()[0]
    for name in ("Aistė", "Jonaitytė", "Petraitis"):
        assert name not in raw
    sent = last_sent(store.conn, october.group, OCTOBER)
    assert sent is not None
    assert (sent.event_id, sent.times, sent.acked_at) == (sending.sent.event_id, 1, None)


def test_a_month_sent_again_is_a_correction(store: Store) -> None:
    october = October(store)
    with store.transaction() as tx:
        first = send_month(tx, october.group, OCTOBER, tz=VILNIUS, rule=RULE).sent
    mark_present(store, october.s27, [october.pupils["tomas"]])  # a mark added by hand later
    with store.transaction() as tx:
        again = send_month(tx, october.group, OCTOBER, tz=VILNIUS, rule=RULE)
    assert again.before == first
    assert again.sent.times == 2
    one, two = events(store)
    assert one["corrects"] is None
    assert two["corrects"] == first.event_id
    tomas = [p for p in two["pupils"] if p["pupil_id"] == october.pupils["tomas"]]  # type: ignore[attr-defined,index]
    assert tomas[0]["hours"] == 2
    latest = last_sent(store.conn, october.group, OCTOBER)
    assert latest is not None
    assert (latest.event_id, latest.times) == (again.sent.event_id, 2)
    rows = store.conn.execute("SELECT count(*) FROM club_month_reports").fetchone()[0]
    assert rows == 2


@pytest.mark.parametrize(
    ("month", "group", "message"),
    [
        (date(2026, 11, 1), None, "has not begun yet"),  # today is 2026-10-05
        (date(2026, 8, 1), None, "is not in the group's school year"),
        (date(2026, 10, 1), 999, "there is no club group"),
    ],
)
def test_refused_sendings_write_nothing(
    store: Store, month: date, group: int | None, message: str
) -> None:
    october = October(store)
    before = list(store.conn.iterdump())
    with pytest.raises(InputError, match=message), store.transaction() as tx:
        send_month(tx, group or october.group, month_of(month), tz=VILNIUS, rule=RULE)
    assert list(store.conn.iterdump()) == before
