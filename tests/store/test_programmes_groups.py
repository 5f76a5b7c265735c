"""The clubs' setup in the store: programmes, groups with leaders, weekly schedules, the
classifiers kept in step, and the users' club-leader role.

Every rule is tried on a real SQLite file; every refusal names its field and leaves the database
exactly as it was (compared as a whole SQL dump).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from club_rows import add_session, enrol
from emp_edge.domain.clubs import Slot
from emp_edge.domain.school import SchoolClass
from emp_edge.errors import InputError
from emp_edge.store import Store, classifiers
from emp_edge.store.accounts import (
    Details,
    NewUser,
    add_user,
    groups_led,
    load_account,
    set_disabled,
    update_user,
)
from emp_edge.store.club_setup import save_group, save_programme
from emp_edge.store.club_setup_pages import (
    find_group,
    find_programme,
    group_page,
    group_rows,
    leader_candidates,
    programme_rows,
    schedule,
)
from emp_edge.store.group_schedule import add_slot, remove_slot
from emp_edge.store.outbox import Transaction
from emp_edge.store.schools import ensure_class, ensure_school

VILNIUS = ZoneInfo("Europe/Vilnius")
YEAR = 2026  # the fixed clock's school year (2026-10-05)
CLUB_TERMINALS = ("burelis-1", "burelis-2")


# ---------------------------------------------------------------- helpers


def dump(store: Store) -> list[str]:
    return list(store.conn.iterdump())


def events(store: Store, kind: str) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(row[0]) for row in rows]


def refused(store: Store, change: Callable[[Transaction], object], where: str) -> str:
    """The change is refused at ``where`` and not one byte is written; returns the reason."""
    before = dump(store)
    with pytest.raises(InputError) as caught, store.transaction() as tx:
        change(tx)
    assert caught.value.where == where, caught.value.message
    assert dump(store) == before
    return caught.value.reason


def user(store: Store, username: str, *, leader: bool = True, first: str = "Rūta") -> int:
    details = Details(first_name=first, last_name="Kazlauskaitė", valid_from=date(2025, 9, 1))
    with store.transaction() as tx:
        return add_user(tx, NewUser(username, "Slaptažodis-123", details, club_leader=leader))


def pupil(store: Store) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, YEAR, SchoolClass(5, "a"))
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
            " created_at, updated_at) VALUES (?, 'Jonas', 'Jonaitis', '2015-02-03', ?, ?, ?)",
            (school, class_id, tx.now(), tx.now()),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def programme(
    store: Store,
    code: str = "120000001",
    name: str = "Jaunųjų muzikantų studija",
    directions: tuple[str, ...] = ("muzika",),
) -> int:
    with store.transaction() as tx:
        saved = save_programme(tx, None, code, name, "nvs", directions)
    assert saved is not None
    return saved.id


def group(
    store: Store,
    programme_id: int,
    name: str = "Gitara 1",
    *,
    year: int = YEAR,
    subs: tuple[str, ...] = ("muzika.gitara",),
    leaders: tuple[int, ...] = (),
) -> int:
    with store.transaction() as tx:
        saved = save_group(tx, None, programme_id, year, name, subs, leaders)
    assert saved is not None
    return saved.id


def slot(day: int, starts: str, ends: str, hours: int = 2) -> Slot:
    return Slot(day, time.fromisoformat(starts), time.fromisoformat(ends), hours)


def add(store: Store, group_id: int, the_slot: Slot, terminal: str = "burelis-1") -> int:
    with store.transaction() as tx:
        return add_slot(tx, group_id, the_slot, terminal, CLUB_TERMINALS).id


# ---------------------------------------------------------------- programmes


def test_a_programme_is_saved_with_its_event(store: Store) -> None:
    with store.transaction() as tx:
        saved = save_programme(
            tx, None, " 120 000 001 ", "  Jaunųjų   muzikantų studija ", "nvs", ["muzika", "daile"]
        )
    assert saved is not None
    assert find_programme(store.conn, saved.id) == saved
    assert saved.ktprr_code == "120000001"
    assert saved.name == "Jaunųjų muzikantų studija"
    assert saved.directions == ("daile", "muzika")
    assert events(store, "nvs.programme.saved") == [
        {
            "programme_id": saved.id,
            "ktprr_code": "120000001",
            "name": "Jaunųjų muzikantų studija",
            "purpose": "nvs",
            "directions": ["daile", "muzika"],
            "created": True,
        }
    ]


@pytest.mark.parametrize("code", ["12345", "1234567890123", "12a4567", "", "１２３４５６"])
def test_a_ktprr_code_is_6_to_12_digits(store: Store, code: str) -> None:
    reason = refused(
        store, lambda tx: save_programme(tx, None, code, "Studija", "nvs", ["muzika"]), "ktprr_code"
    )
    assert "6 to 12 digits" in reason


def test_the_shortest_and_longest_ktprr_codes_are_taken(store: Store) -> None:
    assert programme(store, "123456") != programme(store, "123456789012")


def test_a_ktprr_code_is_unique(store: Store) -> None:
    programme(store, "120000001", "Jaunųjų muzikantų studija")
    reason = refused(
        store,
        lambda tx: save_programme(tx, None, "120 000 001", "Kita", "nvs", ["muzika"]),
        "ktprr_code",
    )
    assert "Jaunųjų muzikantų studija" in reason


@pytest.mark.parametrize(
    ("name", "purpose", "directions", "where"),
    [
        ("   ", "nvs", ["muzika"], "name"),
        ("Ž" * 201, "nvs", ["muzika"], "name"),
        ("Studija", "", ["muzika"], "purpose"),
        ("Studija", "nezinoma", ["muzika"], "purpose"),
        ("Studija", "nvs", [], "directions"),
        ("Studija", "nvs", ["  "], "directions"),
        ("Studija", "nvs", ["muzika", "astronomija"], "directions"),
        ("Studija", "nvs", ["muzika.gitara"], "directions"),  # a sub-direction is no direction
    ],
)
def test_a_programme_needs_a_name_a_purpose_and_directions(
    store: Store, name: str, purpose: str, directions: list[str], where: str
) -> None:
    refused(
        store, lambda tx: save_programme(tx, None, "120000001", name, purpose, directions), where
    )


def test_a_programme_unchanged_writes_nothing(store: Store) -> None:
    programme_id = programme(store)
    before = dump(store)
    with store.transaction() as tx:
        assert save_programme(tx, programme_id, "120000001", "Jaunųjų muzikantų studija", "nvs",
                              ["muzika", "muzika"]) is None  # fmt: skip
    assert dump(store) == before


def test_a_programme_changes_and_says_so(store: Store) -> None:
    programme_id = programme(store)
    with store.transaction() as tx:
        saved = save_programme(
            tx, programme_id, "120000002", "Muzikos studija", "papildancios", ["muzika", "sokis"]
        )
    assert saved == find_programme(store.conn, programme_id)
    last = events(store, "nvs.programme.saved")[-1]
    assert last["created"] is False
    assert last["ktprr_code"] == "120000002"
    assert last["directions"] == ["muzika", "sokis"]


def test_a_direction_in_use_by_a_group_stays(store: Store) -> None:
    programme_id = programme(store, directions=("muzika", "sokis"))
    group(store, programme_id, "Liaudies šokis", subs=("sokis.liaudies",))
    reason = refused(
        store,
        lambda tx: save_programme(
            tx, programme_id, "120000001", "Jaunųjų muzikantų studija", "nvs", ["muzika"]
        ),
        "directions",
    )
    assert "Liaudies šokis" in reason
    assert "Liaudies šokis (2026–2027)" in reason


def test_an_unknown_programme_is_refused(store: Store) -> None:
    refused(
        store, lambda tx: save_programme(tx, 999, "120000001", "X", "nvs", ["muzika"]), "programme"
    )


# ---------------------------------------------------------------- groups


def test_a_group_is_saved_with_leaders_and_its_event(store: Store) -> None:
    programme_id = programme(store)
    rita, ona = user(store, "rita"), user(store, "ona", first="Ona")
    with store.transaction() as tx:
        saved = save_group(
            tx,
            None,
            programme_id,
            YEAR,
            " Gitara  1 ",
            ["muzika.gitara", "muzika.smuikas", "muzika.gitara"],
            [ona, rita, ona],
        )
    assert saved is not None
    assert find_group(store.conn, saved.id) == saved
    assert saved.name == "Gitara 1"
    assert saved.sub_directions == ("muzika.gitara", "muzika.smuikas")
    assert saved.leader_ids == tuple(sorted((rita, ona)))
    assert events(store, "nvs.group.saved") == [
        {
            "group_id": saved.id,
            "programme_id": programme_id,
            "ktprr_code": "120000001",
            "school_year": YEAR,
            "name": "Gitara 1",
            "sub_directions": ["muzika.gitara", "muzika.smuikas"],
            "leader_user_ids": sorted((rita, ona)),
            "created": True,
        }
    ]


def test_a_group_name_is_unique_in_its_programme_and_year(store: Store) -> None:
    programme_id = programme(store)
    other = programme(store, "120000002", "Kita studija")
    group(store, programme_id, "Gitara 1")
    reason = refused(
        store,
        lambda tx: save_group(tx, None, programme_id, YEAR, "GITARA 1", ["muzika.gitara"], []),
        "name",
    )
    assert "Gitara 1" in reason
    group(store, programme_id, "Gitara 1", year=YEAR + 1)
    group(store, other, "Gitara 1")


def test_a_sub_direction_must_be_of_the_programmes_directions(store: Store) -> None:
    programme_id = programme(store, directions=("muzika",))
    reason = refused(
        store,
        lambda tx: save_group(
            tx, None, programme_id, YEAR, "Robotai", ["muzika.gitara", "technologijos.robotika"], []
        ),
        "sub_directions",
    )
    assert "Robotika (Technologijos)" in reason
    assert "Muzika" in reason


@pytest.mark.parametrize("subs", [[], ["muzika.bugnai"], ["muzika"]])
def test_sub_directions_are_current_codes_and_at_least_one(store: Store, subs: list[str]) -> None:
    programme_id = programme(store)
    refused(
        store,
        lambda tx: save_group(tx, None, programme_id, YEAR, "Gitara 1", subs, []),
        "sub_directions",
    )


def test_leaders_are_enabled_club_leaders(store: Store) -> None:
    programme_id = programme(store)
    plain = user(store, "jonas", leader=False, first="Jonas")
    gone = user(store, "petras", first="Petras")
    with store.transaction() as tx:
        set_disabled(tx, gone, True)
    for leader, where, words in (
        (plain, "leaders", "Jonas Kazlauskaitė is not a club leader"),
        (gone, "leaders", "Petras Kazlauskaitė's account is disabled"),
        (999, "leaders", "no user number 999"),
    ):
        reason = refused(
            store,
            lambda tx, leader=leader: save_group(
                tx, None, programme_id, YEAR, "Gitara 1", ["muzika.gitara"], [leader]
            ),
            where,
        )
        assert words in reason


def test_a_group_is_made_for_last_this_or_next_school_year(store: Store) -> None:
    programme_id = programme(store)
    for year in (YEAR - 2, YEAR + 2):
        refused(
            store,
            lambda tx, year=year: save_group(
                tx, None, programme_id, year, "Gitara", ["muzika.gitara"], []
            ),
            "school_year",
        )
    for year in (YEAR - 1, YEAR, YEAR + 1):
        group(store, programme_id, f"Gitara {year}", year=year)


def test_a_group_changes_leaders_and_name(store: Store) -> None:
    programme_id = programme(store)
    rita, ona = user(store, "rita"), user(store, "ona", first="Ona")
    group_id = group(store, programme_id, leaders=(rita,))
    with store.transaction() as tx:
        saved = save_group(tx, group_id, programme_id, YEAR, "Gitara A", ["muzika.gitara"], [ona])
    assert saved is not None
    assert find_group(store.conn, group_id) == saved
    assert saved.leader_ids == (ona,)
    last = events(store, "nvs.group.saved")[-1]
    assert (last["created"], last["leader_user_ids"], last["name"]) == (False, [ona], "Gitara A")
    before = dump(store)
    with store.transaction() as tx:
        assert save_group(tx, group_id, programme_id, YEAR, "Gitara A", ["muzika.gitara"],
                          [ona]) is None  # fmt: skip
    assert dump(store) == before


def test_a_group_with_pupils_keeps_its_programme_and_year(store: Store) -> None:
    programme_id = programme(store)
    other = programme(store, "120000002", "Kita studija")
    group_id = group(store, programme_id)
    enrol(store, pupil(store), group_id, date(2026, 9, 1))
    refused(
        store,
        lambda tx: save_group(tx, group_id, other, YEAR, "Gitara 1", ["muzika.gitara"], []),
        "programme",
    )
    refused(
        store,
        lambda tx: save_group(
            tx, group_id, programme_id, YEAR + 1, "Gitara 1", ["muzika.gitara"], []
        ),
        "school_year",
    )


def test_a_group_without_pupils_may_move_to_another_programme(store: Store) -> None:
    programme_id = programme(store)
    other = programme(store, "120000002", "Kita studija")
    group_id = group(store, programme_id)
    with store.transaction() as tx:
        save_group(tx, group_id, other, YEAR + 1, "Gitara 1", ["muzika.gitara"], [])
    found = find_group(store.conn, group_id)
    assert found is not None
    assert (found.programme_id, found.school_year) == (other, YEAR + 1)


def test_an_unknown_group_or_programme_is_refused(store: Store) -> None:
    programme_id = programme(store)
    refused(
        store,
        lambda tx: save_group(tx, 999, programme_id, YEAR, "G", ["muzika.gitara"], []),
        "group",
    )
    refused(
        store, lambda tx: save_group(tx, None, 999, YEAR, "G", ["muzika.gitara"], []), "programme"
    )


# ---------------------------------------------------------------- the weekly schedule


def test_a_slot_is_added_with_the_groups_week_in_its_event(store: Store) -> None:
    group_id = group(store, programme(store))
    first = add(store, group_id, slot(1, "15:00", "16:30"))
    second = add(store, group_id, slot(3, "14:00", "14:45", 1), "burelis-2")
    assert [(r.id, r.slot, r.terminal) for r in schedule(store.conn, group_id)] == [
        (first, slot(1, "15:00", "16:30"), "burelis-1"),
        (second, slot(3, "14:00", "14:45", 1), "burelis-2"),
    ]
    last = events(store, "nvs.group.schedule_changed")[-1]
    assert last == {
        "group_id": group_id,
        "school_year": YEAR,
        "change": "added",
        "slot_id": second,
        "slots": [
            {"slot_id": first, "weekday": 1, "starts": "15:00", "ends": "16:30",
             "academic_hours": 2, "terminal": "burelis-1"},
            {"slot_id": second, "weekday": 3, "starts": "14:00", "ends": "14:45",
             "academic_hours": 1, "terminal": "burelis-2"},
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("the_slot", "terminal", "where"),
    [
        (slot(1, "16:00", "17:00", 1), "burelis-1", "starts"),  # overlaps the group's own
        (slot(1, "14:00", "15:30", 1), "burelis-2", "starts"),  # the group's own, elsewhere
        (slot(8, "10:00", "11:00", 1), "burelis-1", "weekday"),
        (slot(2, "11:00", "10:00", 1), "burelis-1", "ends"),
        (slot(2, "10:00", "11:00", 0), "burelis-1", "academic_hours"),
        (slot(2, "10:00", "11:00", 2), "burelis-1", "academic_hours"),  # 90 minutes in 60
        (slot(2, "10:00", "11:00", 1), "valgykla-1", "terminal"),
        (slot(2, "10:00", "11:00", 1), "", "terminal"),
    ],
)
def test_a_slot_that_does_not_fit_is_refused(
    store: Store, the_slot: Slot, terminal: str, where: str
) -> None:
    group_id = group(store, programme(store))
    add(store, group_id, slot(1, "15:00", "16:30"))
    refused(store, lambda tx: add_slot(tx, group_id, the_slot, terminal, CLUB_TERMINALS), where)


def test_slots_that_touch_do_not_overlap(store: Store) -> None:
    group_id = group(store, programme(store))
    add(store, group_id, slot(1, "15:00", "16:30"))
    add(store, group_id, slot(1, "16:30", "18:00"))
    assert len(schedule(store.conn, group_id)) == 2


def test_no_club_terminal_means_no_slot(store: Store) -> None:
    group_id = group(store, programme(store))
    reason = refused(
        store,
        lambda tx: add_slot(tx, group_id, slot(1, "15:00", "16:30"), "burelis-1", ()),
        "terminal",
    )
    assert "terminal.readers" in reason


def test_two_groups_never_share_a_terminal_at_once(store: Store) -> None:
    programme_id = programme(store)
    guitar = group(store, programme_id, "Gitara 1")
    violin = group(store, programme_id, "Smuikas 1", subs=("muzika.smuikas",))
    add(store, guitar, slot(1, "15:00", "16:30"))
    reason = refused(
        store,
        lambda tx: add_slot(tx, violin, slot(1, "16:00", "17:30"), "burelis-1", CLUB_TERMINALS),
        "starts",
    )
    assert "Gitara 1" in reason
    assert "burelis-1" in reason
    assert "15:00–16:30" in reason
    add(store, violin, slot(1, "16:00", "17:30"), "burelis-2")  # another room
    add(store, violin, slot(2, "15:00", "16:30"))  # another day
    next_year = group(store, programme_id, "Gitara 1", year=YEAR + 1)
    add(store, next_year, slot(1, "15:00", "16:30"))  # another school year


def test_a_group_moving_year_keeps_its_terminals_free(store: Store) -> None:
    programme_id = programme(store)
    guitar = group(store, programme_id, "Gitara 1")
    add(store, guitar, slot(1, "15:00", "16:30"))
    later = group(store, programme_id, "Gitara 2", year=YEAR + 1)
    add(store, later, slot(1, "16:00", "17:30"))
    reason = refused(
        store,
        lambda tx: save_group(
            tx, guitar, programme_id, YEAR + 1, "Gitara 1", ["muzika.gitara"], []
        ),
        "school_year",
    )
    assert "Gitara 2" in reason


def test_a_slot_is_removed_and_its_sessions_stay(store: Store) -> None:
    group_id = group(store, programme(store))
    keep = add(store, group_id, slot(3, "15:00", "16:30"))
    gone = add(store, group_id, slot(1, "15:00", "16:30"))
    held = add_session(
        store,
        group_id,
        datetime(2026, 9, 28, 15, 0, tzinfo=VILNIUS),
        datetime(2026, 9, 28, 16, 30, tzinfo=VILNIUS),
    )
    with store.transaction() as tx:
        tx.execute("UPDATE club_sessions SET schedule_id = ? WHERE id = ?", (gone, held))
        tx.emit("test.linked", {})
    with store.transaction() as tx:
        removed = remove_slot(tx, group_id, gone)
    assert removed.slot == slot(1, "15:00", "16:30")
    assert [r.id for r in schedule(store.conn, group_id)] == [keep]
    session = store.conn.execute(
        "SELECT schedule_id, academic_hours FROM club_sessions WHERE id = ?", (held,)
    ).fetchone()
    assert session == (None, 2)
    last = events(store, "nvs.group.schedule_changed")[-1]
    assert (last["change"], last["slot_id"], [s["slot_id"] for s in last["slots"]]) == (
        "removed",
        gone,
        [keep],
    )


def test_a_slot_with_an_open_session_stays(store: Store) -> None:
    group_id = group(store, programme(store))
    slot_id = add(store, group_id, slot(1, "10:00", "11:30"))
    now = datetime(2026, 10, 5, 10, 0, tzinfo=VILNIUS)
    session = add_session(store, group_id, now, now.replace(hour=11, minute=30), closed=False)
    with store.transaction() as tx:
        tx.execute("UPDATE club_sessions SET schedule_id = ? WHERE id = ?", (slot_id, session))
        tx.emit("test.linked", {})
    reason = refused(store, lambda tx: remove_slot(tx, group_id, slot_id), "slot")
    assert "open" in reason
    other = group(store, programme(store, "120000002", "Kita"), "Kita")
    refused(store, lambda tx: remove_slot(tx, other, slot_id), "slot")
    refused(store, lambda tx: remove_slot(tx, 999, slot_id), "group")


# ---------------------------------------------------------------- the pages' reading


def test_the_pages_read_counts_leaders_and_enrolled(store: Store) -> None:
    programme_id = programme(store)
    programme(store, "120000002", "Dailės studija", directions=("daile",))
    rita = user(store, "rita")
    user(store, "jonas", leader=False)
    gone = user(store, "petras")
    with store.transaction() as tx:
        set_disabled(tx, gone, True)
    group_id = group(store, programme_id, "Gitara 1", leaders=(rita,))
    group(store, programme_id, "Gitara 2", year=YEAR + 1)
    add(store, group_id, slot(1, "15:00", "16:30"))
    enrol(store, pupil(store), group_id, date(2026, 9, 1))
    enrol(store, pupil(store), group_id, date(2026, 9, 1), left_on=date(2026, 10, 5))
    rows = {
        row.programme.name: (row.groups, row.all_groups) for row in programme_rows(store.conn, YEAR)
    }
    assert rows == {"Dailės studija": (0, 0), "Jaunųjų muzikantų studija": (1, 2)}
    [row] = group_rows(store.conn, year=YEAR)
    assert (row.name, row.leaders, row.slots) == ("Gitara 1", ("Rūta Kazlauskaitė",), 1)
    assert len(group_rows(store.conn, programme_id=programme_id)) == 2
    page = group_page(store.conn, group_id, date(2026, 10, 5))
    assert page is not None
    assert page.enrolled == 1  # the one who left on 10-05 is no longer in the lists that day
    assert [leader.user_id for leader in page.leaders] == [rita]
    assert [c.user_id for c in leader_candidates(store.conn)] == [rita]
    assert {c.user_id for c in leader_candidates(store.conn, (gone,))} == {rita, gone}
    assert group_page(store.conn, 999, date(2026, 10, 5)) is None


# ---------------------------------------------------------------- classifiers kept in step


def test_an_entry_no_longer_shipped_is_retired_and_no_longer_offered(store: Store) -> None:
    shipped = classifiers.shipped()
    without_guitar = [e for e in shipped if e.code != "muzika.gitara"]
    with store.transaction(require_event=False) as tx:
        assert classifiers.refresh(tx.conn, without_guitar) == 1
    offered = [e.code for e in classifiers.entries(store.conn, "sub_direction")]
    assert "muzika.gitara" not in offered
    assert "muzika.smuikas" in offered
    assert classifiers.names(store.conn, "sub_direction")["muzika.gitara"] == "Gitara"
    retired = classifiers.entries(store.conn, "sub_direction", with_retired=True)
    assert [e.retired for e in retired if e.code == "muzika.gitara"] == [True]
    programme_id = programme(store)
    reason = refused(
        store,
        lambda tx: save_group(tx, None, programme_id, YEAR, "Gitara 1", ["muzika.gitara"], []),
        "sub_directions",
    )
    assert "muzika.gitara" in reason
    with store.transaction(require_event=False) as tx:
        assert classifiers.refresh(tx.conn, shipped) == 1  # shipped again: offered again
    group(store, programme_id, "Gitara 1")


def test_a_renamed_entry_takes_its_new_name_and_a_retired_direction_is_refused(
    store: Store,
) -> None:
    shipped = classifiers.shipped()
    renamed = [
        classifiers.Entry(e.kind, e.code, "Vaizduojamoji dailė", e.parent)
        if (e.kind, e.code) == ("direction", "daile")
        else e
        for e in shipped
        if (e.kind, e.code) != ("direction", "turizmas") and e.parent != "turizmas"
    ]
    with store.transaction(require_event=False) as tx:
        classifiers.refresh(tx.conn, renamed)
    assert classifiers.names(store.conn, "direction")["daile"] == "Vaizduojamoji dailė"
    refused(
        store,
        lambda tx: save_programme(tx, None, "120000001", "Žygiai", "nvs", ["turizmas"]),
        "directions",
    )


# ---------------------------------------------------------------- the club-leader role


def test_the_club_leader_role_stays_while_the_user_leads_this_years_groups(store: Store) -> None:
    programme_id = programme(store)
    rita = user(store, "rita")
    group(store, programme_id, "Gitara 1", leaders=(rita,))
    group(store, programme_id, "Gitara 2", year=YEAR + 1, leaders=(rita,))
    account = load_account(store.conn, rita)
    assert account is not None
    assert account.club_leader
    assert groups_led(store.conn, rita, YEAR) == 2
    details, levels = account.details, dict(account.grants.levels)
    reason = refused(
        store,
        lambda tx: update_user(tx, rita, details, levels, is_admin=False, club_leader=False),
        "club_leader",
    )
    assert "groups: 2" in reason
    assert "Rūta Kazlauskaitė" in reason
    with store.transaction() as tx:  # None keeps the role as it is
        update_user(tx, rita, details, levels, is_admin=False)
    assert load_account(store.conn, rita).club_leader  # type: ignore[union-attr]


def test_leading_only_past_groups_lets_the_role_go(store: Store) -> None:
    programme_id = programme(store)
    rita = user(store, "rita")
    group(store, programme_id, "Gitara 1", year=YEAR - 1, leaders=(rita,))
    account = load_account(store.conn, rita)
    assert account is not None
    with store.transaction() as tx:
        update_user(tx, rita, account.details, {}, is_admin=False, club_leader=False)
    after = load_account(store.conn, rita)
    assert after is not None
    assert not after.club_leader
    last = store.conn.execute(
        "SELECT payload FROM outbox WHERE type = 'user.changed' ORDER BY seq DESC LIMIT 1"
    ).fetchone()[0]
    assert json.loads(last) == {"user_id": rita, "is_admin": False, "club_leader": False}
    assert find_group(store.conn, 1) is not None  # the past group keeps its leader on record
    assert store.conn.execute("SELECT user_id FROM group_leaders").fetchall() == [(rita,)]
