"""The canteen's setup pages: meal types with serving windows and default items, and the items.

Viewers see, managers change; every change writes its row, its outbox event and its audit row;
every refused input says why on the page and leaves the database exactly as it was.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from emp_edge.domain.access import Area, Level
from emp_edge.store import Store
from emp_edge.store.audit import verify
from emp_edge.store.canteen_setup import add_item
from emp_edge.store.canteen_till import items_by_id, meal_windows

CANTEEN = Area.CANTEEN


@pytest.fixture
def manager(app: Flask, store: Store) -> Visitor:
    make_user(store, "rasa", levels={CANTEEN: Level.MANAGER}, first_name="Rasa")
    return signed_in(app, "rasa")


@pytest.fixture
def viewer(app: Flask, store: Store) -> Visitor:
    make_user(store, "vida", levels={CANTEEN: Level.VIEWER}, first_name="Vida")
    return signed_in(app, "vida")


@pytest.fixture
def outsider(app: Flask, store: Store) -> Visitor:
    """Manages everything but the canteen."""
    levels = {area: Level.MANAGER for area in Area if area is not CANTEEN}
    make_user(store, "jonas", levels=levels, first_name="Jonas", admin=True)
    return signed_in(app, "jonas")


def item(store: Store, name: str, cents: int, meal: str | None = None, active: bool = True) -> int:
    with store.transaction() as tx:
        return add_item(tx, name, cents, meal, active).id


def counts(store: Store) -> dict[str, int]:
    return {
        table: store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("meal_types", "canteen_items", "outbox", "audit_log")
    }


def refused(
    app: Flask, store: Store, browser: Visitor, path: str, form: dict[str, str], message: str
) -> str:
    """Send a bad form: 400, the message on the page, and not one byte written."""
    token = browser.token()
    before = dump(store)
    response = browser.post(path, {**form, "csrf_token": token})
    page = text_of(response)
    assert response.status_code == 400, page
    assert message in page, f"{message!r} not on the page"
    assert 'data-test="form-has-errors"' in page or 'data-test="form-error"' in page
    assert dump(store) == before
    return page


# ---------------------------------------------------------------- who may


def test_a_viewer_sees_meals_and_items_but_changes_nothing(
    app: Flask, store: Store, viewer: Visitor
) -> None:
    pizza = item(store, "Picos gabalas", 180)
    for path in ("/canteen/meals", "/canteen/items"):
        response = viewer.get(path)
        assert response.status_code == 200, path
        page = text_of(response)
        assert "/canteen/meals/new" not in page
        assert "/canteen/items/new" not in page
        assert 'data-test="canteen-subnav"' in page
    assert "Pietūs" in text_of(viewer.get("/canteen/meals"))
    assert "Picos gabalas" in text_of(viewer.get("/canteen/items"))
    token = viewer.token()
    before = dump(store)
    for path in (
        "/canteen/meals/new",
        "/canteen/meals/lunch",
        "/canteen/items/new",
        f"/canteen/items/{pizza}",
    ):
        assert viewer.get(path).status_code == 403, path
        form = {"csrf_token": token, "name": "X", "price": "1,00", "code": "x"}
        assert viewer.post(path, form).status_code == 403, path
    assert dump(store) == before


def test_without_a_canteen_right_nothing_opens(store: Store, outsider: Visitor) -> None:
    for path in ("/canteen/meals", "/canteen/items", "/canteen/meals/new", "/canteen/items/new"):
        assert outsider.get(path).status_code == 403, path
    assert 'href="/canteen/pupils/"' not in outsider.get("/").get_data(as_text=True)


def test_a_manager_sees_the_links_to_change(manager: Visitor) -> None:
    assert 'href="/canteen/meals/new"' in text_of(manager.get("/canteen/meals"))
    assert 'href="/canteen/meals/lunch"' in text_of(manager.get("/canteen/meals"))
    assert 'href="/canteen/items/new"' in text_of(manager.get("/canteen/items"))
    assert manager.get("/canteen/meals/new").status_code == 200
    assert manager.get("/canteen/meals/lunch").status_code == 200
    assert manager.get("/canteen/meals/dinner").status_code == 404
    assert manager.get("/canteen/items/999").status_code == 404


# ---------------------------------------------------------------- meal types


def test_adding_a_meal_type_writes_it_with_its_event_and_audit_row(
    store: Store, manager: Visitor
) -> None:
    soup = item(store, "Sriuba", 90)
    before = counts(store)
    form = {
        "code": "snack",
        "name": "Užkandžiai",
        "serves_from": "10:00",
        "serves_until": "10:20",
        "default_item": str(soup),
    }
    response = manager.post("/canteen/meals/new", form)
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"] == "/canteen/meals"
    assert counts(store) == {
        **before,
        "meal_types": before["meal_types"] + 1,
        "outbox": before["outbox"] + 1,
        "audit_log": before["audit_log"] + 1,
    }
    row = store.conn.execute(
        "SELECT name, serves_from, serves_until, default_item_id FROM meal_types"
        " WHERE code = 'snack'"
    ).fetchone()
    assert row == ("Užkandžiai", "10:00", "10:20", soup)
    assert events(store, "canteen.meal_type.saved") == [
        {
            "code": "snack",
            "name": "Užkandžiai",
            "serves_from": "10:00",
            "serves_until": "10:20",
            "default_item_id": soup,
        }
    ]
    [(actor, subject, detail)] = audit_rows(store, "canteen.meal_type.added")
    assert (actor, subject) == ("rasa", "meal_type:snack")
    assert "10:00-10:20" in detail
    assert verify(store.conn).ok
    assert "Užkandžiai" in text_of(manager.get("/canteen/meals"))


def test_choosing_the_default_item_of_lunch(store: Store, manager: Visitor) -> None:
    lunch_item = item(store, "Pietūs: cepelinai", 320, "lunch")
    page = text_of(manager.get("/canteen/meals/lunch"))
    assert f'value="{lunch_item}"' in page
    form = {
        "name": "Pietūs",
        "serves_from": "11:00",
        "serves_until": "14:00",
        "default_item": str(lunch_item),
        "code": "ignored",
    }
    response = manager.post("/canteen/meals/lunch", form)
    assert response.status_code == 302
    lunch = next(w for w in meal_windows(store.conn) if w.code == "lunch")
    assert lunch.default_item_id == lunch_item
    assert [e["default_item_id"] for e in events(store, "canteen.meal_type.saved")] == [lunch_item]
    [(_, subject, _detail)] = audit_rows(store, "canteen.meal_type.changed")
    assert subject == "meal_type:lunch"
    # the same form again changes nothing, and writes nothing
    before = dump(store)
    again = manager.post("/canteen/meals/lunch", form)
    assert again.status_code == 302
    assert dump(store) == before


def test_an_unknown_or_inactive_default_item_is_refused(
    app: Flask, store: Store, manager: Visitor
) -> None:
    old = item(store, "Senas patiekalas", 200, active=False)
    form = {"name": "Pietūs", "serves_from": "11:00", "serves_until": "14:00"}
    page = refused(
        app,
        store,
        manager,
        "/canteen/meals/lunch",
        {**form, "default_item": "999"},
        seen(app, "there is no item number {item}", item=999),
    )
    assert 'data-error-for="default_item"' in page
    refused(
        app,
        store,
        manager,
        "/canteen/meals/lunch",
        {**form, "default_item": "x'; --"},
        seen(app, "there is no item {item!r}", item="x'; --"),
    )
    refused(
        app,
        store,
        manager,
        "/canteen/meals/lunch",
        {**form, "default_item": str(old)},
        seen(app, "{name} is not sold any more: choose an active item", name="Senas patiekalas"),
    )


@pytest.mark.parametrize(
    ("change", "message", "params"),
    [
        (
            {"serves_from": "14:00", "serves_until": "11:00"},
            "serving must end after it starts: {start}–{end}",
            {"start": "14:00", "end": "11:00"},
        ),
        (
            {"serves_from": "11:00", "serves_until": "11:00"},
            "serving must end after it starts: {start}–{end}",
            {"start": "11:00", "end": "11:00"},
        ),
        (
            {"serves_from": "25:00"},
            "serving starts: {text!r} is not a time like 11:30",
            {"text": "25:00"},
        ),
        (
            {"serves_until": "11.30"},
            "serving ends: {text!r} is not a time like 14:00",
            {"text": "11.30"},
        ),
        (
            {"serves_from": ""},
            "serving starts: {text!r} is not a time like 11:30",
            {"text": ""},
        ),
        ({"name": "   "}, "the meal name is empty", {}),
        (
            {"code": "Lunch!"},
            "meal code {code!r} must be lower-case Latin letters, digits or _ (e.g. lunch)",
            {"code": "Lunch!"},
        ),
        ({"code": "lunch"}, "there is a meal type {code} already", {"code": "lunch"}),
    ],
    ids=[
        "ends before it starts",
        "empty window",
        "no such hour",
        "dot not colon",
        "no start",
        "no name",
        "bad code",
        "code taken",
    ],
)
def test_a_bad_meal_type_is_refused_and_nothing_written(
    app: Flask,
    store: Store,
    manager: Visitor,
    change: dict[str, str],
    message: str,
    params: dict[str, str],
) -> None:
    form = {
        "code": "snack",
        "name": "Užkandžiai",
        "serves_from": "10:00",
        "serves_until": "10:20",
        "default_item": "",
    }
    refused(
        app, store, manager, "/canteen/meals/new", {**form, **change}, seen(app, message, **params)
    )


def test_overlapping_windows_are_allowed_with_a_note(store: Store, manager: Visitor) -> None:
    page = text_of(manager.get("/canteen/meals"))
    assert 'data-test="overlap"' not in page
    form = {
        "code": "allday",
        "name": "Bufetas",
        "serves_from": "12:00",
        "serves_until": "15:00",
        "default_item": "",
    }
    assert manager.post("/canteen/meals/new", form).status_code == 302
    page = text_of(manager.get("/canteen/meals"))
    notes = re.findall(r'data-test="overlap">([^<]*)<', page)
    # Bufetas overlaps lunch (11:00–14:00) and the afternoon meal (15:00: no, it ends at 15:00)
    assert len(notes) == 1
    assert "Pietūs (11:00–14:00)" in notes[0]
    assert "Bufetas (12:00–15:00)" in notes[0]
    assert "12:00" in notes[0]
    assert "14:00" in notes[0]


# ---------------------------------------------------------------- items


def test_adding_an_item_with_a_lithuanian_price(store: Store, manager: Visitor) -> None:
    before = counts(store)
    form = {
        "name": "Šaltibarščiai su bulvėmis",
        "price": "2,50",
        "meal_type": "lunch",
        "active": "y",
    }
    response = manager.post("/canteen/items/new", form)
    assert response.status_code == 302, text_of(response)
    assert counts(store) == {
        **before,
        "canteen_items": before["canteen_items"] + 1,
        "outbox": before["outbox"] + 1,
        "audit_log": before["audit_log"] + 1,
    }
    item_id = store.conn.execute("SELECT max(id) FROM canteen_items").fetchone()[0]
    saved = items_by_id(store.conn, [item_id])[item_id]
    assert (saved.name, saved.price_cents, saved.meal_type, saved.active) == (
        "Šaltibarščiai su bulvėmis",
        250,
        "lunch",
        True,
    )
    assert events(store, "canteen.item.saved") == [
        {
            "item_id": item_id,
            "name": "Šaltibarščiai su bulvėmis",
            "price_cents": 250,
            "meal_type": "lunch",
            "active": True,
        }
    ]
    [(actor, subject, detail)] = audit_rows(store, "canteen.item.added")
    assert (actor, subject) == ("rasa", f"item:{item_id}")
    assert "price_cents=250" in detail
    page = text_of(manager.get("/canteen/items"))
    assert "Šaltibarščiai su bulvėmis" in page
    assert "2,50 €" in page


@pytest.mark.parametrize(
    ("change", "message", "params", "field"),
    [
        (
            {"price": "-1,00"},
            "amount cannot be negative here: {text!r}",
            {"text": "-1,00"},
            "price",
        ),
        (
            {"price": "150,00"},
            "a price above {limit} cents is surely a typing slip",
            {"limit": 10_000},
            "price",
        ),
        (
            {"price": "99999999999999999"},
            "amount {text!r} is too large",
            {"text": "99999999999999999"},
            "price",
        ),
        (
            {"price": "du eurai"},
            "amount cannot contain letters: {char!r} in {text!r}",
            {"char": "d", "text": "du eurai"},
            "price",
        ),
        ({"price": ""}, "amount is empty", {}, "price"),
        ({"name": " "}, "the item name is empty", {}, "name"),
        ({"name": "Sriuba"}, "there is an item named {name} already", {"name": "Sriuba"}, "name"),
        ({"name": "sriuba"}, "there is an item named {name} already", {"name": "Sriuba"}, "name"),
        ({"meal_type": "dinner"}, "there is no meal type {code}", {"code": "dinner"}, "meal_type"),
    ],
    ids=[
        "negative",
        "absurd",
        "huge",
        "letters",
        "empty price",
        "no name",
        "name taken",
        "name taken in other case",
        "unknown meal",
    ],
)
def test_a_bad_item_is_refused_next_to_its_field(
    app: Flask,
    store: Store,
    manager: Visitor,
    change: dict[str, str],
    message: str,
    params: dict[str, Any],
    field: str,
) -> None:
    item(store, "Sriuba", 90)
    form = {"name": "Blynai", "price": "1,20", "meal_type": "", "active": "y"}
    page = refused(
        app, store, manager, "/canteen/items/new", {**form, **change}, seen(app, message, **params)
    )
    assert f'data-error-for="{field}"' in page


def test_an_item_is_made_inactive_never_deleted(store: Store, manager: Visitor) -> None:
    pizza = item(store, "Pica", 180)
    page = text_of(manager.get(f"/canteen/items/{pizza}"))
    assert "Pica" in page
    assert "1,80 €" in page
    response = manager.post(f"/canteen/items/{pizza}", {"name": "Pica", "price": "1,90"})
    assert response.status_code == 302
    saved = items_by_id(store.conn, [pizza])[pizza]
    assert (saved.price_cents, saved.active) == (190, False)
    assert events(store, "canteen.item.saved")[-1]["active"] is False
    row = re.search(
        rf'data-item="{pizza}">(.*?)</tr>', text_of(manager.get("/canteen/items")), flags=re.DOTALL
    )
    assert row
    assert "ne, neaktyvi" in row[1]  # "no, inactive"
    assert "1,90 €" in row[1]
    assert manager.client.delete(f"/canteen/items/{pizza}").status_code == 405


def test_the_default_item_of_a_meal_cannot_be_made_inactive(
    app: Flask, store: Store, manager: Visitor
) -> None:
    cepelinai = item(store, "Cepelinai", 320, "lunch")
    form = {
        "name": "Pietūs",
        "serves_from": "11:00",
        "serves_until": "14:00",
        "default_item": str(cepelinai),
    }
    assert manager.post("/canteen/meals/lunch", form).status_code == 302
    page = refused(
        app,
        store,
        manager,
        f"/canteen/items/{cepelinai}",
        {"name": "Cepelinai", "price": "3,20", "meal_type": "lunch"},
        seen(
            app,
            "{name} is the default item of {meals}: choose another default item"
            " there before making it inactive",
            name="Cepelinai",
            meals="Pietūs",
        ),
    )
    assert 'data-error-for="active"' in page


def test_a_default_item_not_of_its_meal_is_pointed_out(store: Store, manager: Visitor) -> None:
    bun = item(store, "Bandelė", 60)
    form = {
        "name": "Pietūs",
        "serves_from": "11:00",
        "serves_until": "14:00",
        "default_item": str(bun),
    }
    assert manager.post("/canteen/meals/lunch", form).status_code == 302
    page = text_of(manager.get("/canteen/meals"))
    lunch_row = re.search(r'data-meal="lunch">(.*?)</tr>', page, flags=re.DOTALL)
    assert lunch_row
    assert "Bandelė" in lunch_row[1]
    assert 'data-test="default-not-meal"' in lunch_row[1]
