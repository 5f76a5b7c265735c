"""The reading queries of the area pages, on real SQLite: the school's days, months and limits."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from emp_edge.domain.cards import CardState
from emp_edge.store import Store
from emp_edge.store.canteen_days import day_report
from emp_edge.store.canteen_lists import day_bounds, month_days
from emp_edge.store.card_lists import cards_by_state, open_requests
from emp_edge.store.club_lists import funding_marks, month_of, months_between

VILNIUS = ZoneInfo("Europe/Vilnius")


def add_pupil(store: Store) -> int:
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        school = tx.execute("INSERT INTO schools (code, name) VALUES ('1', 'Mokykla')").lastrowid
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, personal_code, first_name, last_name, birth_date,"
            " created_at, updated_at) VALUES (?, '50610050012', 'Aistė', 'Jonaitytė',"
            " '2015-01-01', ?, ?)",
            (school, now, now),
        ).lastrowid
        tx.emit("test.pupil_added", {"pupil_id": pupil})
    return int(pupil or 0)


def add_top_ups(store: Store, pupil: int, moments: list[str]) -> None:
    with store.transaction() as tx:
        for at in moments:
            event = tx.emit("ledger.topup", {"pupil_id": pupil})
            tx.execute(
                "INSERT INTO ledger (pupil_id, kind, amount_cents, at, event_id)"
                " VALUES (?, 'topup', 100, ?, ?)",
                (pupil, at, event),
            )


def test_a_school_day_is_counted_in_the_school_time_zone(store: Store) -> None:
    assert day_bounds(date(2026, 10, 5), VILNIUS) == (
        "2026-10-04T21:00:00+00:00",
        "2026-10-05T21:00:00+00:00",
    )
    # summer time ends on 2026-10-25: that day has 25 hours, the next begins at 22:00 UTC
    assert day_bounds(date(2026, 10, 25), VILNIUS) == (
        "2026-10-24T21:00:00+00:00",
        "2026-10-25T22:00:00+00:00",
    )
    pupil = add_pupil(store)
    add_top_ups(
        store,
        pupil,
        [
            "2026-10-24T20:59:59+00:00",  # 23:59:59 on the 24th
            "2026-10-24T21:00:00+00:00",  # midnight: the 25th
            "2026-10-25T21:30:00+00:00",  # 23:30 on the 25th, in winter time
            "2026-10-25T22:00:00+00:00",  # midnight: the 26th
        ],
    )
    days = [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26), date(2026, 10, 27)]
    counted = [sum(t.top_ups for t in day_report(store.conn, day, VILNIUS)) for day in days]
    assert counted == [1, 2, 1, 0]
    [admin] = day_report(store.conn, date(2026, 10, 25), VILNIUS)
    assert (admin.till, admin.top_ups, admin.top_ups_cents) == ("", 2, 200)


def test_the_days_of_a_month() -> None:
    assert month_days(date(2028, 2, 17))[-1] == date(2028, 2, 29)
    october = month_days(date(2026, 10, 5))
    assert (october[0], october[-1], len(october)) == (date(2026, 10, 1), date(2026, 10, 31), 31)


def test_cards_by_state_names_every_state(store: Store) -> None:
    counts = cards_by_state(store.conn)
    assert list(counts) == list(CardState)
    assert set(counts.values()) == {0}


def test_an_open_request_carries_only_the_end_of_the_chip_uid(store: Store) -> None:
    pupil = add_pupil(store)
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        # a pupil has one open request at a time: the second is a sibling's
        sibling = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, created_at,"
            " updated_at) SELECT school_id, 'Aistė', 'Jonaitytė', '2016-01-01', ?, ? FROM pupils"
            " WHERE id = ?",
            (now, now, pupil),
        ).lastrowid
        for owner, state, uid in (
            (pupil, "personalised", "04a1b2c3d4e5f6"),
            (sibling, "requested", None),
        ):
            tx.execute(
                "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
                " created_at, updated_at) VALUES (?, ?, '2026-09-20', 'pupil', ?, ?, ?)",
                (owner, state, uid, now, now),
            )
        tx.emit("test.cards", {"count": 2})
    found = open_requests(store.conn)
    assert [(r.state, r.chip_tail) for r in found] == [
        (CardState.PERSONALISED, "E5F6"),
        (CardState.REQUESTED, ""),
    ]
    assert all(r.class_label == "" and r.requested_on == date(2026, 9, 20) for r in found)
    assert "50610050012" not in repr(found)


def test_months_of_a_school_year() -> None:
    assert month_of(date(2026, 12, 31)).after == date(2027, 1, 1)
    months = months_between(date(2026, 9, 1), date(2027, 1, 15))
    assert [m.label for m in months] == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert months_between(date(2026, 9, 1), date(2026, 9, 1))[0].label == "2026-09"


def test_funding_marks_read_only_the_kinds_asked_for(store: Store) -> None:
    pupil = add_pupil(store)
    with store.transaction() as tx:
        programme = tx.execute(
            "INSERT INTO programmes (ktprr_code, name, purpose) VALUES ('1', 'Muzika', 'NVŠ')"
        ).lastrowid
        group = tx.execute(
            "INSERT INTO club_groups (programme_id, school_year, name) VALUES (?, 2026, 'A')",
            (programme,),
        ).lastrowid
        enrolment = tx.execute(
            "INSERT INTO enrolments (pupil_id, group_id, first_day, created_at)"
            " VALUES (?, ?, '2026-09-01', ?)",
            (pupil, group, tx.now()),
        ).lastrowid
        for kind in ("basket", "state"):
            tx.execute(
                "INSERT INTO funding_marks (enrolment_id, kind, pupil_id, school_year, state,"
                " event_id, marked_at) VALUES (?, ?, ?, 2026, 'accepted', ?, ?)",
                (enrolment, kind, pupil, f"mark-{kind}", tx.now()),
            )
        tx.emit("test.marks", {"count": 2})
    without_basket = funding_marks(store.conn, 2026, ["municipal", "state", "other"])
    assert list(without_basket) == ["municipal", "state", "other"]
    assert without_basket["state"] == {"local": 0, "accepted": 1, "rejected": 0}
    assert funding_marks(store.conn, 2026, ["basket"]) == {
        "basket": {"local": 0, "accepted": 1, "rejected": 0}
    }
    assert funding_marks(store.conn, 2025, ["basket"])["basket"]["accepted"] == 0
