"""Applying roster pages from the registry to a real store: each kind's rules, tombstones, the
registry winning for personal data, pupils removed upstream keeping their history, idempotency,
skipped items with reasons, and a page that fails half-way leaving neither rows nor cursor.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from card_rows import add_issued_card
from club_rows import add_group, add_programme, add_session, enrol, mark_present
from emp_edge.domain import personal_code
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import SchoolClass
from emp_edge.errors import StoreError
from emp_edge.store import Store
from emp_edge.store.canteen_till import balance
from emp_edge.store.ledger import add_top_up
from emp_edge.store.pupils import PupilData, existing_by_code, upsert
from emp_edge.store.roster_items import (
    Applied,
    Removed,
    RosterClass,
    RosterEntitlement,
    RosterItem,
    RosterProgramme,
    RosterPupil,
    RosterTopUp,
    Unreadable,
)
from emp_edge.store.roster_sync import apply_roster_page, roster_cursor
from emp_edge.store.schools import ensure_class, ensure_school

SCHOOL = "190000000"
CODE = personal_code.build(date(2015, 3, 4), "F", 17)
OTHER_CODE = personal_code.build(date(2014, 6, 1), "M", 18)
CLASS_5B = RosterClass("K-5b", 2026, 5, "b", "5b")


def pupil(key: str = "MR-1", **change: Any) -> RosterPupil:
    fields: dict[str, Any] = {
        "first_name": "Ona",
        "last_name": "Žukauskaitė",
        "birth_date": date(2015, 3, 4),
        "sex": "F",
        "personal_code": None,
        "class_key": "K-5b",
    }
    fields.update(change)
    return RosterPupil(key, **fields)


def apply(store: Store, *items: RosterItem, cursor: str = "c-1") -> Applied:
    with store.transaction(require_event=False) as tx:
        return apply_roster_page(tx, SCHOOL, list(items), cursor)


def row(store: Store, sql: str, *params: object) -> tuple[Any, ...]:
    found = store.conn.execute(sql, params).fetchone()
    assert found is not None, sql
    return tuple(found)


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: store.conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}


def pupil_id(store: Store, key: str) -> int:
    return int(row(store, "SELECT id FROM pupils WHERE registry_id = ?", key)[0])


# ---------------------------------------------------------------- classes


def test_a_class_is_created_with_its_key_and_label_then_updated(store: Store) -> None:
    applied = apply(store, CLASS_5B)
    assert (applied.created, applied.items) == (1, 1)
    assert row(store, "SELECT school_year, grade, letter, label FROM classes") == (
        2026, 5, "b", "5b",
    )  # fmt: skip
    assert row(store, "SELECT code FROM schools") == (SCHOOL,)

    applied = apply(store, RosterClass("K-5b", 2026, 5, "b", "5 B"))
    assert applied.updated == 1
    assert row(store, "SELECT label, registry_key FROM classes") == ("5 B", "K-5b")
    assert count(store, "classes") == 1


def test_a_local_class_is_adopted_by_school_year_grade_and_letter(store: Store) -> None:
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL, "Šaltinio progimnazija")
        local = ensure_class(tx, school, 2026, SchoolClass(5, "b"))
    applied = apply(store, RosterClass("K-5b", 2026, 5, "b", "5b klasė"))
    assert applied.updated == 1
    assert row(store, "SELECT id, registry_key, label FROM classes") == (local, "K-5b", "5b klasė")
    assert row(store, "SELECT name FROM schools") == ("Šaltinio progimnazija",)  # not renamed


def test_a_class_whose_place_another_registry_class_holds_is_skipped(store: Store) -> None:
    applied = apply(store, CLASS_5B, RosterClass("K-other", 2026, 5, "b", "5b"))
    assert (applied.created, applied.skipped) == (1, 1)
    assert applied.skipped_items[0].reason.startswith("another class here has")
    assert count(store, "classes") == 1


def test_a_removed_class_goes_only_when_no_pupil_is_in_it(store: Store) -> None:
    apply(store, CLASS_5B, RosterClass("K-6a", 2026, 6, "a", "6a"), pupil())
    applied = apply(store, Removed("class", "K-5b"), Removed("class", "K-6a"))
    assert (applied.kept, applied.deleted) == (1, 1)
    assert [r[0] for r in store.conn.execute("SELECT registry_key FROM classes")] == ["K-5b"]
    # the kept class is still the registry's: the pupil moved upstream, it is removed again
    apply(store, CLASS_5B, RosterClass("K-7a", 2026, 7, "a", "7a"), pupil(class_key="K-7a"))
    applied = apply(store, Removed("class", "K-5b"))
    assert applied.deleted == 1
    assert [r[0] for r in store.conn.execute("SELECT registry_key FROM classes")] == ["K-7a"]


# ---------------------------------------------------------------- pupils


def test_a_new_pupil_is_created_in_the_box_school_in_their_class(store: Store) -> None:
    applied = apply(store, CLASS_5B, pupil(personal_code=CODE))
    assert applied.created == 2
    found = row(
        store,
        "SELECT p.registry_id, p.first_name, p.last_name, p.birth_date, p.sex, p.personal_code,"
        " c.label, s.code, p.active, p.left_on, p.diet_note FROM pupils p"
        " JOIN classes c ON c.id = p.class_id JOIN schools s ON s.id = p.school_id",
    )
    assert found == (
        "MR-1", "Ona", "Žukauskaitė", "2015-03-04", "F", CODE, "5b", SCHOOL, 1, None, "",
    )  # fmt: skip
    # the name search index follows
    hit = store.conn.execute(
        "SELECT rowid FROM pupils_search WHERE pupils_search MATCH 'zukauskaite'"
    ).fetchall()
    assert hit == [(pupil_id(store, "MR-1"),)]


def test_a_pupil_imported_from_a_class_list_is_adopted_by_personal_code(store: Store) -> None:
    with store.transaction() as tx:
        school = ensure_school(tx, SCHOOL, "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(5, "b"))
        data = PupilData(CODE, "Onutė", "Žukauskaite", date(2015, 3, 4), "F", class_id)
        upsert(tx, school, data, None)
        tx.emit("test.imported", {})
    local = int(existing_by_code(store.conn)[CODE][0])
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET diet_note = 'be riešutų' WHERE id = ?", (local,))
        tx.emit("test.diet", {})

    applied = apply(store, CLASS_5B, pupil(personal_code=CODE))

    assert (applied.created, applied.updated) == (0, 2)  # the class and the pupil adopted
    assert count(store, "pupils") == 1
    # the registry wins for names; the diet note stays local
    assert row(
        store, "SELECT id, registry_id, first_name, last_name, diet_note, class_id FROM pupils"
    ) == (local, "MR-1", "Ona", "Žukauskaitė", "be riešutų", class_id)


def test_the_registry_wins_for_personal_data(store: Store) -> None:
    apply(store, CLASS_5B, RosterClass("K-6a", 2026, 6, "a", "6a"), pupil(personal_code=CODE))
    changed = pupil(
        first_name="Onutė",
        last_name="Petraitienė",
        birth_date=date(2015, 3, 5),
        sex=None,
        personal_code=OTHER_CODE,
        class_key="K-6a",
    )
    applied = apply(store, changed)
    assert applied.updated == 1
    assert row(
        store,
        "SELECT first_name, last_name, birth_date, sex, personal_code, c.label FROM pupils p"
        " JOIN classes c ON c.id = p.class_id",
    ) == ("Onutė", "Petraitienė", "2015-03-05", None, OTHER_CODE, "6a")
    # a personal code not given leaves the one known here
    apply(store, pupil(personal_code=None, class_key="K-6a"))
    assert row(store, "SELECT personal_code, first_name FROM pupils") == (OTHER_CODE, "Ona")


def test_a_pupil_who_is_the_same_is_not_touched(store: Store, clock: FixedClock) -> None:
    apply(store, CLASS_5B, pupil(personal_code=CODE))
    before = row(store, "SELECT updated_at FROM pupils")
    clock.advance(hours=2)
    applied = apply(store, CLASS_5B, pupil(personal_code=CODE))
    assert (applied.unchanged, applied.updated) == (2, 0)
    assert row(store, "SELECT updated_at FROM pupils") == before


def test_a_personal_code_of_another_pupil_here_skips_the_item(store: Store) -> None:
    apply(store, CLASS_5B, pupil("MR-1", personal_code=CODE))
    applied = apply(store, pupil("MR-2", first_name="Kita", personal_code=CODE))
    assert applied.skipped == 1
    skipped = applied.skipped_items[0]
    assert (skipped.kind, skipped.key, skipped.field) == ("pupil", "MR-2", "personal_code")
    assert CODE not in json.dumps(applied.as_dict())
    assert count(store, "pupils") == 1


def test_a_pupil_naming_an_unknown_class_is_skipped_and_the_page_goes_on(store: Store) -> None:
    applied = apply(store, pupil("MR-1", class_key="K-none"), CLASS_5B, pupil("MR-2"))
    assert (applied.skipped, applied.created) == (1, 2)
    assert applied.skipped_items[0].as_dict() == {
        "kind": "pupil",
        "key": "MR-1",
        "reason": "the class is not known here",
        "field": "class_key",
    }
    assert [r[0] for r in store.conn.execute("SELECT registry_id FROM pupils")] == ["MR-2"]
    assert roster_cursor(store.conn) == "c-1"


def test_a_pupil_removed_upstream_keeps_all_local_history(store: Store) -> None:
    apply(store, CLASS_5B, pupil(personal_code=CODE))
    pid = pupil_id(store, "MR-1")
    with store.transaction() as tx:
        add_top_up(tx, pid, 1500, "cash", "K-1", user_id=None, max_cents=20_000)
    card = add_issued_card(store, pid)
    group = add_group(store, add_programme(store))
    enrolment = enrol(store, pid, group)
    session = add_session(
        store,
        group,
        store.clock.now().replace(hour=14, minute=0),
        store.clock.now().replace(hour=15, minute=30),
    )
    mark_present(store, session, [pid])
    kept = {t: count(store, t) for t in ("ledger", "cards", "enrolments", "attendance")}

    applied = apply(store, Removed("pupil", "MR-1"))

    assert applied.deleted == 1
    assert row(store, "SELECT active, left_on, registry_id, first_name FROM pupils") == (
        0, "2026-10-05", "MR-1", "Ona",
    )  # fmt: skip
    assert {t: count(store, t) for t in kept} == kept
    assert balance(store.conn, pid) == 1500
    assert row(store, "SELECT id FROM cards") == (card,)
    assert row(store, "SELECT id FROM enrolments") == (enrolment,)
    # removed again: nothing moves; added again: the same pupil, back in school
    assert apply(store, Removed("pupil", "MR-1")).unchanged == 1
    applied = apply(store, pupil(personal_code=CODE))
    assert applied.updated == 1
    assert row(store, "SELECT id, active, left_on FROM pupils") == (pid, 1, None)


def test_a_removed_pupil_not_known_here_changes_nothing(store: Store) -> None:
    before = dump(store)
    applied = apply(store, Removed("pupil", "MR-9"), cursor="")
    assert applied.unchanged == 1
    after = dump(store)
    after.pop("sync_cursors"), before.pop("sync_cursors")
    assert after == before


# ---------------------------------------------------------------- free meals


def test_a_free_meal_is_added_changed_and_ended_today(store: Store) -> None:
    apply(store, CLASS_5B, pupil())
    lunch = RosterEntitlement("E-1", "MR-1", "lunch", date(2026, 9, 1), None)
    assert apply(store, lunch).created == 1
    assert row(
        store,
        "SELECT pupil_id, meal_type, valid_from, valid_to, source, registry_key"
        " FROM meal_entitlements",
    ) == (pupil_id(store, "MR-1"), "lunch", "2026-09-01", None, "registry", "E-1")
    assert apply(store, lunch).unchanged == 1
    later = RosterEntitlement("E-1", "MR-1", "lunch", date(2026, 9, 1), date(2027, 6, 30))
    assert apply(store, later).updated == 1

    assert apply(store, Removed("meal_entitlement", "E-1")).deleted == 1
    assert row(store, "SELECT valid_to FROM meal_entitlements") == ("2026-10-05",)
    assert apply(store, Removed("meal_entitlement", "E-1")).unchanged == 1


def test_a_removed_free_meal_that_starts_after_today_is_deleted(store: Store) -> None:
    apply(store, CLASS_5B, pupil())
    apply(store, RosterEntitlement("E-2", "MR-1", "breakfast", date(2026, 11, 1), None))
    assert apply(store, Removed("meal_entitlement", "E-2")).deleted == 1
    assert count(store, "meal_entitlements") == 0


def test_free_meals_of_unknown_pupils_or_meal_types_are_skipped(store: Store) -> None:
    apply(store, CLASS_5B, pupil())
    applied = apply(
        store,
        RosterEntitlement("E-1", "MR-404", "lunch", date(2026, 9, 1), None),
        RosterEntitlement("E-2", "MR-1", "dinner", date(2026, 9, 1), None),
    )
    assert applied.skipped == 2
    assert [(s.key, s.field) for s in applied.skipped_items] == [
        ("E-1", "pupil_key"),
        ("E-2", "meal_type"),
    ]
    assert count(store, "meal_entitlements") == 0


# ---------------------------------------------------------------- programmes


def test_a_programme_is_saved_by_its_ktprr_code(store: Store) -> None:
    item = RosterProgramme("120000777", "Robotika", "nvs", ("technologijos",))
    assert apply(store, item).created == 1
    assert apply(store, item).unchanged == 1
    renamed = RosterProgramme("120000777", "Robotika ir IT", "nvs", ("muzika", "technologijos"))
    assert apply(store, renamed).updated == 1
    assert row(store, "SELECT ktprr_code, name, purpose, directions FROM programmes") == (
        "120000777", "Robotika ir IT", "nvs", '["muzika", "technologijos"]',
    )  # fmt: skip


def test_a_programme_with_codes_not_in_the_classifiers_is_skipped(store: Store) -> None:
    applied = apply(
        store,
        RosterProgramme("120000001", "A", "kita", ("muzika",)),
        RosterProgramme("120000002", "B", "nvs", ("muzika", "kulinarija")),
    )
    assert [(s.field, s.reason) for s in applied.skipped_items] == [
        ("purpose", "the purpose is not in the NVŠ classifier"),
        ("directions", "a direction is not in the NVŠ classifier"),
    ]
    assert count(store, "programmes") == 0


def test_a_programme_keeps_the_directions_its_groups_use(store: Store) -> None:
    programme = add_programme(store, code="120000001", directions=("muzika",))
    add_group(store, programme, sub_directions=("muzika.gitara",))
    applied = apply(store, RosterProgramme("120000001", "Šokiai", "nvs", ("sokis",)))
    assert applied.skipped == 1
    assert row(store, "SELECT directions FROM programmes") == ('["muzika"]',)


def test_a_removed_programme_goes_only_when_no_group_uses_it(store: Store) -> None:
    used = add_programme(store, code="120000001")
    add_group(store, used)
    add_programme(store, code="120000002", name="Dailės studija")
    applied = apply(store, Removed("programme", "120000001"), Removed("programme", "120000002"))
    assert (applied.kept, applied.deleted) == (1, 1)
    assert [r[0] for r in store.conn.execute("SELECT ktprr_code FROM programmes")] == ["120000001"]


# ---------------------------------------------------------------- top-ups


def test_a_central_top_up_is_added_to_the_ledger_once(store: Store) -> None:
    apply(store, CLASS_5B, pupil())
    big = RosterTopUp("T-1", "MR-1", 50_000, date(2026, 10, 2), "MOK-2026-0042")
    assert apply(store, big).created == 1
    again = apply(store, big, RosterTopUp("T-1", "MR-1", 50_000, date(2026, 10, 2), "x"))
    assert (again.created, again.unchanged) == (0, 2)
    assert row(
        store,
        "SELECT kind, method, amount_cents, reference, reason, user_id, event_id, at, till"
        " FROM ledger",
    ) == (
        "topup", "bank", 50_000, "MOK-2026-0042", "registry top-up", None, "registry-topup:T-1",
        "2026-10-01T21:00:00+00:00", "",
    )  # fmt: skip
    assert balance(store.conn, pupil_id(store, "MR-1")) == 50_000  # above the box's own limit
    applied = apply(store, Removed("top_up", "T-1"))
    assert applied.skipped == 1
    assert applied.skipped_items[0].reason.startswith("a top-up is never deleted")
    assert count(store, "ledger") == 1
    assert row(store, "SELECT count(*) FROM outbox WHERE type LIKE 'ledger.%'") == (0,)


def test_a_top_up_for_an_unknown_pupil_is_skipped(store: Store) -> None:
    applied = apply(store, RosterTopUp("T-1", "MR-404", 500, date(2026, 10, 2), "R"))
    assert applied.skipped == 1
    assert count(store, "ledger") == 0


# ---------------------------------------------------------------- the page as a whole


def mixed_page() -> list[RosterItem]:
    return [
        CLASS_5B,
        pupil("MR-1", personal_code=CODE),
        RosterEntitlement("E-1", "MR-1", "lunch", date(2026, 9, 1), None),
        RosterProgramme("120000777", "Robotika", "nvs", ("technologijos",)),
        RosterTopUp("T-1", "MR-2", 2000, date(2026, 10, 1), "B-1"),
        Removed("pupil", "MR-2"),
        Removed("class", "K-gone"),
        Unreadable("pupil", "MR-3", "the text is empty", "first_name"),
    ]


def test_the_same_page_applied_twice_changes_nothing(store: Store, clock: FixedClock) -> None:
    apply(store, CLASS_5B, pupil("MR-2", first_name="Jonas", sex="M"))
    first = apply(store, *mixed_page(), cursor="c-7")
    assert (first.created, first.unchanged, first.deleted, first.skipped) == (4, 2, 1, 1)
    before = dump(store)
    clock.advance(minutes=15)
    again = apply(store, *mixed_page(), cursor="c-7")
    after = dump(store)
    # the cursor row notes when it was saved; nothing else moves
    after.pop("sync_cursors"), before.pop("sync_cursors")
    assert after == before
    assert (again.unchanged, again.skipped, again.items) == (7, 1, 8)


def test_nothing_is_written_to_the_outbox(store: Store) -> None:
    apply(store, *mixed_page())
    assert count(store, "outbox") == 1  # only the school the box did not have yet
    assert row(store, "SELECT type FROM outbox") == ("school.added",)


def test_the_cursor_is_saved_with_the_page(store: Store) -> None:
    assert roster_cursor(store.conn) is None
    apply(store, cursor="abc")
    assert roster_cursor(store.conn) == "abc"
    apply(store, CLASS_5B, cursor="def")
    assert row(store, "SELECT name, cursor FROM sync_cursors") == ("roster", "def")


def test_a_failure_in_the_middle_of_a_page_leaves_neither_rows_nor_cursor(store: Store) -> None:
    apply(store, cursor="c-1")
    before = dump(store)
    seen: list[str] = []

    def watch(key: str) -> int:
        seen.append(key)
        if len(seen) == 3:
            raise OSError("disk gone")
        return 0

    store.conn.create_function("watch", 1, watch)
    store.conn.execute(
        "CREATE TEMP TRIGGER watch_pupils AFTER INSERT ON pupils BEGIN"
        " SELECT watch(NEW.registry_id); END"
    )
    page = [CLASS_5B, *(pupil(f"MR-{n}") for n in range(1, 6))]
    with pytest.raises(StoreError):
        apply(store, *page, cursor="c-2")
    assert seen == ["MR-1", "MR-2", "MR-3"]
    assert dump(store) == before
    assert roster_cursor(store.conn) == "c-1"


def test_an_item_the_database_refuses_is_skipped_not_the_page(store: Store) -> None:
    store.conn.execute(
        "CREATE TEMP TRIGGER refuse_mr2 BEFORE INSERT ON pupils WHEN NEW.registry_id = 'MR-2'"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    applied = apply(store, CLASS_5B, pupil("MR-1"), pupil("MR-2"), pupil("MR-3"), cursor="c-9")
    assert (applied.created, applied.skipped) == (3, 1)
    assert applied.skipped_items[0].reason == "the database refused the item"
    assert [r[0] for r in store.conn.execute("SELECT registry_id FROM pupils ORDER BY id")] == [
        "MR-1",
        "MR-3",
    ]
    assert roster_cursor(store.conn) == "c-9"
    # the page's lookups stayed true: MR-2 comes again and is created now
    store.conn.execute("DROP TRIGGER refuse_mr2")
    assert apply(store, pupil("MR-2")).created == 1


def test_skipped_reasons_never_hold_names_or_codes(store: Store) -> None:
    apply(store, CLASS_5B, pupil("MR-1", personal_code=CODE))
    applied = apply(
        store,
        pupil("MR-2", first_name="Slaptas", personal_code=CODE),
        pupil("MR-3", first_name="Slaptas", class_key="K-x"),
        Unreadable("pupil", "MR-4", "the field is not 11 digits or null", "personal_code"),
    )
    text = json.dumps(applied.as_dict(), ensure_ascii=False)
    assert applied.skipped == 3
    assert "Slaptas" not in text
    assert CODE not in text


def test_many_items_are_counted_but_a_bounded_number_of_reasons_kept(store: Store) -> None:
    items = [Unreadable("?", "", "the item is not a JSON object") for _ in range(250)]
    applied = apply(store, *items)
    assert (applied.items, applied.skipped, len(applied.skipped_items)) == (250, 250, 200)
