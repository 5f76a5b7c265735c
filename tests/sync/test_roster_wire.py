"""Reading roster pages from the wire: strict on the page, lenient per item, fuzzed with
Hypothesis (arbitrary bytes and JSON-ish structures give a page or RegistryAnswerError, nothing
else), and fuzzed-but-readable pages applied to a real store never corrupt it: the counts and the
cursor move together or not at all.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emp_edge.domain.clock import FixedClock
from emp_edge.errors import RegistryAnswerError, StoreError
from emp_edge.store import Store
from emp_edge.store.roster_items import (
    Removed,
    RosterClass,
    RosterEntitlement,
    RosterProgramme,
    RosterPupil,
    RosterTopUp,
    Unreadable,
)
from emp_edge.store.roster_sync import apply_roster_page, roster_cursor
from emp_edge.sync.roster_wire import RosterPage, parse_roster_page

VILNIUS = ZoneInfo("Europe/Vilnius")


def page(*items: Any, next_cursor: str = "c-2", more: bool = False) -> bytes:
    return json.dumps({"items": list(items), "next_cursor": next_cursor, "more": more}).encode()


PUPIL = {
    "kind": "pupil",
    "key": "MR-1",
    "deleted": False,
    "first_name": " Ona  Marija ",
    "last_name": "Žukauskaitė",
    "birth_date": "2015-03-04",
    "sex": "F",
    "personal_code": "61503040017",
    "class_key": "K-5b",
}


def test_a_page_of_every_kind_is_read() -> None:
    body = page(
        {"kind": "class", "key": "K-5b", "deleted": False, "school_year": 2026, "grade": 5,
         "letter": "B", "label": "5b"},
        PUPIL,
        {"kind": "meal_entitlement", "key": "E-1", "deleted": False, "pupil_key": "MR-1",
         "meal_type": "lunch", "valid_from": "2026-09-01", "valid_to": None},
        {"kind": "programme", "key": "120 000 777", "deleted": False, "name": "Robotika",
         "purpose": "nvs", "directions": ["technologijos", "muzika", "muzika"]},
        {"kind": "top_up", "key": "T-1", "deleted": False, "pupil_key": "MR-1",
         "amount_cents": 2500, "paid_on": "2026-10-02", "reference": "MOK-1"},
        {"kind": "pupil", "key": "MR-2", "deleted": True},
        {"kind": "programme", "key": "120000778", "deleted": True},
        next_cursor="opaque/cursor==",
        more=True,
    )  # fmt: skip
    assert parse_roster_page(body) == RosterPage(
        [
            RosterClass("K-5b", 2026, 5, "b", "5b"),
            RosterPupil(
                "MR-1", "Ona Marija", "Žukauskaitė", date(2015, 3, 4), "F", "61503040017", "K-5b"
            ),
            RosterEntitlement("E-1", "MR-1", "lunch", date(2026, 9, 1), None),
            RosterProgramme("120000777", "Robotika", "nvs", ("muzika", "technologijos")),
            RosterTopUp("T-1", "MR-1", 2500, date(2026, 10, 2), "MOK-1"),
            Removed("pupil", "MR-2"),
            Removed("programme", "120000778"),
        ],
        "opaque/cursor==",
        True,
    )


def test_a_personal_code_is_not_shown_when_an_item_is_printed() -> None:
    item = parse_roster_page(page(PUPIL)).items[0]
    assert "61503040017" not in repr(item)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b'{"items": [], "next_cursor": "x", "more": fal',  # half-received
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"items"',
        b'{"next_cursor": "x", "more": false}',
        b'{"items": {}, "next_cursor": "x", "more": false}',
        b'{"items": [], "more": false}',
        b'{"items": [], "next_cursor": 7, "more": false}',
        b'{"items": [], "next_cursor": "x", "more": "no"}',
        b'{"items": [], "next_cursor": "x", "more": 0}',
        b'{"items": [], "next_cursor": "x"}',
        json.dumps({"items": [], "next_cursor": "c" * 201, "more": False}).encode(),
        b'{"items": [], "next_cursor": "a\\nb", "more": false}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_a_page_that_is_not_a_roster_page_is_refused(body: bytes) -> None:
    with pytest.raises(RegistryAnswerError):
        parse_roster_page(body)


def test_an_empty_cursor_is_allowed() -> None:
    assert parse_roster_page(page(next_cursor="")) == RosterPage([], "", False)


def bad(**change: Any) -> dict[str, Any]:
    item = dict(PUPIL)
    for field, value in change.items():
        if value is ...:
            del item[field]
        else:
            item[field] = value
    return item


@pytest.mark.parametrize(
    ("raw", "kind", "key", "field", "reason"),
    [
        ([1, 2], "?", "", "", "the item is not a JSON object"),
        ({"kind": "teacher", "key": "T", "deleted": False}, "teacher", "T", "kind",
         "the kind of item is not known"),
        ({"kind": 7, "key": "T"}, "?", "T", "kind", "the kind of item is not known"),
        (bad(key=...), "pupil", "", "key", "the field is missing"),
        (bad(key=""), "pupil", "", "key", "the text is empty"),
        (bad(key=12), "pupil", "", "key", "the field is not a text"),
        (bad(key="k" * 201), "pupil", "", "key", "the text is too long"),
        (bad(deleted=...), "pupil", "MR-1", "deleted", "the field is missing"),
        (bad(deleted="yes"), "pupil", "MR-1", "deleted", "the field is not true or false"),
        (bad(first_name="  "), "pupil", "MR-1", "first_name", "the text is empty"),
        (bad(first_name="O\u0000na"), "pupil", "MR-1", "first_name",
         "the text has characters that cannot be shown"),
        (bad(last_name="\ud800"), "pupil", "MR-1", "last_name",
         "the text has characters that cannot be shown"),
        (bad(birth_date="2015-02-30"), "pupil", "MR-1", "birth_date",
         "the field is not a day (yyyy-mm-dd)"),
        (bad(birth_date="20150304"), "pupil", "MR-1", "birth_date",
         "the field is not a day (yyyy-mm-dd)"),
        (bad(sex="X"), "pupil", "MR-1", "sex", "the field is not M, F or null"),
        (bad(sex=...), "pupil", "MR-1", "sex", "the field is missing"),
        (bad(personal_code="6150304001"), "pupil", "MR-1", "personal_code",
         "the field is not 11 digits or null"),
        (bad(personal_code=61503040017), "pupil", "MR-1", "personal_code",
         "the field is not 11 digits or null"),
        (bad(class_key=5), "pupil", "MR-1", "class_key", "the field is not a text"),
        ({"kind": "class", "key": "K", "deleted": False, "school_year": 2026, "grade": 13,
          "letter": "a", "label": "13a"}, "class", "K", "grade", "the number is out of range"),
        ({"kind": "class", "key": "K", "deleted": False, "school_year": 2026, "grade": True,
          "letter": "a", "label": "1a"}, "class", "K", "grade", "the field is not a whole number"),
        ({"kind": "class", "key": "K", "deleted": False, "school_year": 2026, "grade": 5,
          "letter": "ab", "label": "5ab"}, "class", "K", "letter",
         "the class letter is not one letter"),
        ({"kind": "meal_entitlement", "key": "E", "deleted": False, "pupil_key": "MR-1",
          "meal_type": "Lunch!", "valid_from": "2026-09-01", "valid_to": None},
         "meal_entitlement", "E", "meal_type", "the field is not a meal type code"),
        ({"kind": "meal_entitlement", "key": "E", "deleted": False, "pupil_key": "MR-1",
          "meal_type": "lunch", "valid_from": "2026-09-01", "valid_to": "2026-08-31"},
         "meal_entitlement", "E", "valid_to", "the entitlement ends before it starts"),
        ({"kind": "programme", "key": "12-AB", "deleted": True}, "programme", "12-AB", "key",
         "the key is not a KTPRR code"),
        ({"kind": "programme", "key": "120000777", "deleted": False, "name": "R",
          "purpose": "nvs", "directions": []}, "programme", "120000777", "directions",
         "the field is not a list of classifier codes"),
        ({"kind": "top_up", "key": "T", "deleted": False, "pupil_key": "MR-1",
          "amount_cents": 0, "paid_on": "2026-10-02", "reference": ""}, "top_up", "T",
         "amount_cents", "the number is out of range"),
        ({"kind": "top_up", "key": "T", "deleted": False, "pupil_key": "MR-1",
          "amount_cents": 25.5, "paid_on": "2026-10-02", "reference": ""}, "top_up", "T",
         "amount_cents", "the field is not a whole number"),
        ({"kind": "top_up", "key": "T", "deleted": False, "pupil_key": "MR-1",
          "amount_cents": 10**30, "paid_on": "2026-10-02", "reference": ""}, "top_up", "T",
         "amount_cents", "the number is out of range"),
    ],
)  # fmt: skip
def test_a_bad_item_is_kept_as_unreadable_and_the_page_still_reads(
    raw: Any, kind: str, key: str, field: str, reason: str
) -> None:
    read = parse_roster_page(page(raw, PUPIL))
    assert read.items[0] == Unreadable(kind, key, reason, field)
    assert isinstance(read.items[1], RosterPupil)


def test_a_reason_never_repeats_what_the_registry_sent() -> None:
    raw = bad(personal_code="6150304001X", first_name="Slaptas\u0007")
    text = repr(parse_roster_page(page(raw)).items)
    assert "6150304001X" not in text
    assert "Slaptas" not in text


# ---------------------------------------------------------------- fuzzing

json_ish = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["pupil", "class", "top_up", "MR-1", "2026-10-05", "lunch", "nvs"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_page_or_an_answer_error(body: bytes) -> None:
    try:
        result = parse_roster_page(body)
    except RegistryAnswerError:
        return
    assert isinstance(result, RosterPage)


@settings(max_examples=300, deadline=None)
@given(json_ish, json_ish, json_ish)
def test_json_ish_structures_give_a_page_or_an_answer_error(
    items: Any, cursor: Any, more: Any
) -> None:
    for data in (items, {"items": items, "next_cursor": cursor, "more": more}):
        try:
            result = parse_roster_page(json.dumps(data).encode())
        except RegistryAnswerError:
            continue
        assert isinstance(result, RosterPage)


KEYS = {
    "class": ["K-1", "K-2", "K-3"],
    "pupil": ["MR-1", "MR-2", "MR-3", "MR-4"],
    "meal_entitlement": ["E-1", "E-2"],
    "programme": ["120000001", "120000002", "12x"],
    "top_up": ["T-1", "T-2"],
}
junk = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=4) | st.just([])
day = st.dates(date(2014, 1, 1), date(2027, 12, 31)).map(date.isoformat)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a good value, sometimes junk."""
    return st.integers(0, 9).flatmap(lambda n: junk if n == 9 else strategy)


def fields_of(kind: str) -> dict[str, st.SearchStrategy[Any]]:
    pupil_key = st.sampled_from(KEYS["pupil"] + ["MR-9"])
    if kind == "class":
        return {
            "school_year": maybe(st.sampled_from([2025, 2026])),
            "grade": maybe(st.integers(1, 12)),
            "letter": maybe(st.sampled_from(["", "a", "B"])),
            "label": maybe(st.sampled_from(["5a", "IIb", "7"])),
        }
    if kind == "pupil":
        return {
            "first_name": maybe(st.sampled_from(["Ona", "Jonas", "Žilvinas"])),
            "last_name": maybe(st.sampled_from(["Kairė", "Dešinys"])),
            "birth_date": maybe(day),
            "sex": maybe(st.sampled_from(["M", "F", None])),
            "personal_code": maybe(st.sampled_from([None, "61503040017", "51503040018"])),
            "class_key": maybe(st.sampled_from([None, *KEYS["class"], "K-9"])),
        }
    if kind == "meal_entitlement":
        return {
            "pupil_key": maybe(pupil_key),
            "meal_type": maybe(st.sampled_from(["lunch", "breakfast", "dinner"])),
            "valid_from": maybe(day),
            "valid_to": maybe(st.none() | day),
        }
    if kind == "programme":
        return {
            "name": maybe(st.sampled_from(["Robotika", "Šokiai"])),
            "purpose": maybe(st.sampled_from(["nvs", "papildancios", "kita"])),
            "directions": maybe(st.lists(st.sampled_from(["muzika", "sokis", "x"]), max_size=3)),
        }
    return {
        "pupil_key": maybe(pupil_key),
        "amount_cents": maybe(st.integers(1, 10**9)),
        "paid_on": maybe(day),
        "reference": maybe(st.text(max_size=8)),
    }


@st.composite
def roster_item(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(sorted(KEYS)))
    item: dict[str, Any] = {"kind": kind, "key": draw(st.sampled_from(KEYS[kind]))}
    item["deleted"] = draw(st.sampled_from([False, False, False, True]))
    if not item["deleted"]:
        for field, strategy in fields_of(kind).items():
            if draw(st.integers(0, 20)) < 20:  # now and then a field is missing
                item[field] = draw(strategy)
    return item if draw(st.integers(0, 9)) < 9 else draw(json_ish)


def dump(store: Store) -> dict[str, list[Any]]:
    tables = [
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: store.conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}


@pytest.fixture(scope="module")
def fuzz_store() -> Any:
    folder = Path(tempfile.mkdtemp(prefix="roster-fuzz-"))
    clock = FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS), tz=VILNIUS)
    store = Store(folder / "emp-edge.db", clock)
    store.migrate()
    yield store
    store.close()
    shutil.rmtree(folder)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(roster_item(), max_size=12), st.text(max_size=8))
def test_a_fuzzed_page_never_corrupts_the_store(
    fuzz_store: Store, items: list[Any], cursor: str
) -> None:
    """One store takes every example in turn, so each page meets what the others left."""
    store = fuzz_store
    try:
        read = parse_roster_page(page(*items, next_cursor=cursor))
    except RegistryAnswerError:
        return
    before = dump(store)
    try:
        with store.transaction(require_event=False) as tx:
            applied = apply_roster_page(tx, "190000000", read.items, read.next_cursor)
    except StoreError:
        assert dump(store) == before  # not at all
        return
    assert roster_cursor(store.conn) == (read.next_cursor or None)  # together
    assert applied.items == len(read.items)
    done = applied.created + applied.updated + applied.unchanged + applied.deleted
    assert done + applied.kept + applied.skipped == applied.items
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    left = store.conn.execute(
        "SELECT count(*) FROM pupils WHERE (active = 1) <> (left_on IS NULL)"
    ).fetchone()[0]
    assert left == 0
