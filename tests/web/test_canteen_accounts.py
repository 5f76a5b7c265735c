"""A pupil's canteen account: search, balance and history, and the managers' actions.

Each action writes exactly its rows, its outbox event and its audit row; each bad input is
refused with its reason on the page and leaves the database exactly as it was.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from canteen_pages import audit_rows, dump, events, seen, text_of
from flask import Flask
from visitor import Visitor, make_user, signed_in

from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Level
from emp_edge.domain.canteen import Sale, SaleLine
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import SchoolClass
from emp_edge.domain.taps import TapReason
from emp_edge.store import Store
from emp_edge.store.audit import verify
from emp_edge.store.canteen_setup import add_item, find_item
from emp_edge.store.canteen_till import balance, purse, write_sale
from emp_edge.store.ledger import add_top_up
from emp_edge.store.outbox import new_event_id
from emp_edge.store.schools import ensure_class, ensure_school

CANTEEN = Area.CANTEEN
CODE = personal_code.build(date(2015, 7, 2), "M", 202)


# ---------------------------------------------------------------- a small school


def add_pupil(store: Store, first: str, last: str, label: str = "5a", code: str = "") -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija")
        class_id = ensure_class(tx, school, 2026, SchoolClass(int(label[:-1]), label[-1]))
        now = tx.now()
        cursor = tx.execute(
            "INSERT INTO pupils (school_id, personal_code, first_name, last_name, birth_date,"
            " class_id, created_at, updated_at) VALUES (?, ?, ?, ?, '2015-07-02', ?, ?, ?)",
            (school, code or None, first, last, class_id, now, now),
        )
        tx.emit("test.pupil_added", {})
        return int(cursor.lastrowid or 0)


def item(store: Store, name: str, cents: int, meal: str | None = None) -> int:
    with store.transaction() as tx:
        return add_item(tx, name, cents, meal).id


def top_up(store: Store, pupil: int, cents: int) -> None:
    with store.transaction() as tx:
        add_top_up(tx, pupil, cents, "cash", "K-1", user_id=None, max_cents=100_000)


def sell(store: Store, pupil: int, lines: list[tuple[int, bool]], till: str = "valgykla-1") -> str:
    """A till's sale of these (item, free) lines; returns its event id."""
    found = [(find_item(store.conn, item_id), free) for item_id, free in lines]
    sale_lines = tuple(SaleLine(i, 0 if free else i.price_cents, free) for i, free in found if i)
    paid = sum(line.price_cents for line in sale_lines)
    event_id = new_event_id()
    with store.transaction() as tx:
        after = balance(tx.conn, pupil) - paid
        write_sale(
            tx,
            event_id=event_id,
            till=till,
            pupil_id=pupil,
            meal_type="lunch",
            day=store.clock.today(),
            sale=Sale(TapReason.OK, sale_lines, paid, after),
        )
        tx.emit("tap.decided", {"pupil_id": pupil}, event_id=event_id)
    return event_id


def add_registry_entitlement(store: Store, pupil: int) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(
            "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from, source, note,"
            " created_at) VALUES (?, 'lunch', '2026-09-01', 'registry', '', ?)",
            (pupil, tx.now()),
        )
        tx.emit("test.entitlement", {})
        return int(cursor.lastrowid or 0)


@pytest.fixture
def jonas(store: Store) -> int:
    return add_pupil(store, "Jonas", "Žukauskas", "5a", CODE)


@pytest.fixture
def ula(store: Store) -> int:
    return add_pupil(store, "Ūla", "Šimkutė", "7b")


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
    levels = {area: Level.MANAGER for area in Area if area is not CANTEEN}
    make_user(store, "jonas", levels=levels, admin=True)
    return signed_in(app, "jonas")


# ---------------------------------------------------------------- looking at the database


TABLES = ("ledger", "canteen_limits", "no_buy_items", "meal_entitlements", "outbox", "audit_log")


def state(store: Store) -> dict[str, int]:
    conn = store.conn
    found = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    found["ledger_sum"] = conn.execute(
        "SELECT coalesce(sum(amount_cents), 0) FROM ledger"
    ).fetchone()[0]
    return found


def grew(before: dict[str, int], **more: int) -> dict[str, int]:
    """``before`` with these tables grown by one row each (or by the number given)."""
    return {key: value + more.get(key, 0) for key, value in before.items()}


def done(browser: Visitor, path: str, form: dict[str, Any], pupil: int) -> None:
    response = browser.post(path, form)
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"] == f"/canteen/pupils/{pupil}"


def refused(
    app: Flask, store: Store, browser: Visitor, path: str, form: dict[str, Any], message: str
) -> str:
    """Send a bad form: 400, the reason on the page, and not one byte written."""
    token = browser.token()
    before, counted = dump(store), state(store)
    response = browser.post(path, {**form, "csrf_token": token})
    page = text_of(response)
    assert response.status_code == 400, page
    top = re.search(r'data-test="refused">(.*?)</div>', page, flags=re.DOTALL)
    assert top, "no refusal at the top of the page"
    assert message in top[1], f"{message!r} not at the top"
    assert state(store) == counted
    assert dump(store) == before
    return page


# ---------------------------------------------------------------- who may


ACTIONS = (
    "top-up",
    "refund",
    "correction",
    "limit",
    "no-buy",
    "diet-note",
    "entitlements",
    "entitlements/end",
)


def test_a_viewer_sees_the_account_but_changes_nothing(
    app: Flask, store: Store, viewer: Visitor, jonas: int
) -> None:
    top_up(store, jonas, 500)
    assert viewer.get("/canteen/pupils/").status_code == 200
    page = text_of(viewer.get(f"/canteen/pupils/{jonas}"))
    assert "5,00 €" in page
    assert "-form" not in page  # no form of any action
    token = viewer.token()
    before = dump(store)
    for action in ACTIONS:
        form = {
            "csrf_token": token,
            "amount": "5,00",
            "reference": "K-2",
            "method": "cash",
            "reason": "x",
            "limit_note": "x",
            "diet_note": "x",
        }
        response = viewer.post(f"/canteen/pupils/{jonas}/{action}", form)
        assert response.status_code == 403, action
    assert dump(store) == before


def test_without_a_canteen_right_no_account_opens(
    store: Store, outsider: Visitor, jonas: int
) -> None:
    assert outsider.get("/canteen/pupils/").status_code == 403
    assert outsider.get(f"/canteen/pupils/{jonas}").status_code == 403
    token = outsider.token()
    before = dump(store)
    for action in ACTIONS:
        form = {"csrf_token": token, "amount": "5,00", "reference": "K-2", "method": "cash"}
        assert outsider.post(f"/canteen/pupils/{jonas}/{action}", form).status_code == 403
    assert dump(store) == before
    # their pupil page has no link to an account they may not open
    assert 'data-test="canteen-account"' not in outsider.get(f"/pupils/{jonas}").get_data(
        as_text=True
    )


def test_a_manager_sees_every_form_and_the_menu_link(manager: Visitor, jonas: int) -> None:
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    for form in ("topup", "correction", "limit", "diet-note", "no-buy", "entitlement"):
        assert f'data-test="{form}-form"' in page, form
    assert 'href="/canteen/pupils/"' in text_of(manager.get("/"))


def test_an_unknown_pupil_is_not_found(manager: Visitor) -> None:
    assert manager.get("/canteen/pupils/999").status_code == 404
    assert manager.post("/canteen/pupils/999/top-up", {"amount": "1"}).status_code == 404


# ---------------------------------------------------------------- finding and reading


def test_search_by_name_or_class_shows_balances_never_codes(
    store: Store, viewer: Visitor, jonas: int, ula: int
) -> None:
    top_up(store, jonas, 1250)
    page = text_of(viewer.get("/canteen/pupils/", query_string={"q": "zuk"}))
    assert re.findall(r'data-pupil="(\d+)"', page) == [str(jonas)]
    assert "12,50 €" in page
    page = text_of(viewer.get("/canteen/pupils/", query_string={"q": "7b"}))
    assert re.findall(r'data-pupil="(\d+)"', page) == [str(ula)]
    everyone = text_of(viewer.get("/canteen/pupils/"))
    assert set(re.findall(r'data-pupil="(\d+)"', everyone)) == {str(jonas), str(ula)}
    assert CODE not in everyone
    assert CODE[-4:] not in everyone
    assert audit_rows(store, "canteen.accounts.listed")[0][2].startswith("names: zuk")


def test_the_account_shows_balance_history_free_meals_limit_no_buy_and_note(
    app: Flask, store: Store, manager: Visitor, jonas: int
) -> None:
    lunch = item(store, "Pietūs: cepelinai", 320, "lunch")
    juice = item(store, "Sultys", 80)
    top_up(store, jonas, 1000)
    paid = sell(store, jonas, [(juice, False), (lunch, False)])
    free = sell(store, jonas, [(lunch, True)], till="valgykla-2")
    with store.transaction() as tx:
        tx.execute("UPDATE pupils SET diet_note = 'Alergija riešutams' WHERE id = ?", (jonas,))
        tx.execute(
            "INSERT INTO canteen_limits VALUES (?, 500, 'Mama, 09-01', ?)", (jonas, tx.now())
        )
        tx.execute("INSERT INTO no_buy_items VALUES (?, ?)", (jonas, juice))
        tx.emit("test.setup", {})
    add_registry_entitlement(store, jonas)
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    assert re.search(r'data-test="balance">6,00 €<', page)
    sale_row = re.search(rf'data-event="{paid}" data-kind="sale">(.*?)</tr>', page, re.DOTALL)
    assert sale_row
    assert "Sultys — 0,80 €" in sale_row[1]
    assert "Pietūs: cepelinai — 3,20 €" in sale_row[1]
    assert "-4,00 €" in sale_row[1]
    assert 'data-test="refund-form"' in sale_row[1]
    free_row = re.search(rf'data-event="{free}" data-kind="served">(.*?)</tr>', page, re.DOTALL)
    assert free_row
    assert "valgykla-2" in free_row[1]
    assert "Pietūs: cepelinai — " + seen(app, "free") in free_row[1]
    assert 'data-test="refund-form"' not in free_row[1]
    assert re.search(r'data-test="daily-limit">5,00 €<', page)
    assert "Mama, 09-01" in page
    assert re.search(r'data-test="no-buy"><li>Sultys</li>', page)
    assert 'data-test="diet-note">Alergija riešutams<' in page
    meals = re.search(r'id="free-meals">(.*?)</section>', page, re.DOTALL)
    assert meals
    assert "Pietūs" in meals[1]
    assert "2026-09-01" in meals[1]
    assert seen(app, "registry") in meals[1]
    assert seen(app, "changed in the registry only") in meals[1]
    assert CODE not in page
    [(actor, subject, _)] = audit_rows(store, "canteen.account.viewed")
    assert (actor, subject) == ("rasa", f"pupil:{jonas}")


def test_the_pupil_page_links_to_the_canteen_account(app: Flask, store: Store, jonas: int) -> None:
    make_user(store, "ona", levels={CANTEEN: Level.VIEWER, Area.PERSONAL_DATA: Level.VIEWER})
    browser = signed_in(app, "ona")
    page = browser.get(f"/pupils/{jonas}").get_data(as_text=True)
    assert f'href="/canteen/pupils/{jonas}" data-test="canteen-account"' in page
    assert f'href="/pupils/{jonas}"' in browser.get(f"/canteen/pupils/{jonas}").get_data(
        as_text=True
    )


# ---------------------------------------------------------------- money


def test_a_top_up_writes_its_ledger_row_event_and_audit_row(
    store: Store, manager: Visitor, jonas: int
) -> None:
    before = state(store)
    form = {"amount": "12,50", "method": "bank", "reference": "SEB mokėjimas Nr. 77"}
    done(manager, f"/canteen/pupils/{jonas}/top-up", form, jonas)
    assert state(store) == {
        **grew(before, ledger=1, outbox=1, audit_log=1),
        "ledger_sum": before["ledger_sum"] + 1250,
    }
    row = store.conn.execute(
        "SELECT kind, amount_cents, method, reference, user_id, event_id FROM ledger"
    ).fetchone()
    rasa = store.conn.execute("SELECT id FROM users WHERE username = 'rasa'").fetchone()[0]
    assert row[:5] == ("topup", 1250, "bank", "SEB mokėjimas Nr. 77", rasa)
    assert events(store, "ledger.topup") == [
        {"pupil_id": jonas, "amount_cents": 1250, "refund_of": None}
    ]
    [(actor, subject, detail)] = audit_rows(store, "canteen.topup")
    assert (actor, subject) == ("rasa", f"pupil:{jonas}")
    assert detail == f"amount_cents=1250; method=bank; event={row[5]}"
    assert verify(store.conn).ok
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    assert re.search(r'data-test="balance">12,50 €<', page)
    assert "SEB mokėjimas Nr. 77" in page


@pytest.mark.parametrize(
    ("form", "message", "params"),
    [
        (
            {"amount": "10,00", "method": "cash", "reference": "  "},
            "a top-up needs a reference: the cash receipt number or the bank transfer's reference",
            {},
        ),
        (
            {"amount": "-5,00", "method": "cash", "reference": "K-9"},
            "amount cannot be negative here: {text!r}",
            {"text": "-5,00"},
        ),
        (
            {"amount": "0,00", "method": "cash", "reference": "K-9"},
            "a top-up must be more than 0",
            {},
        ),
        (
            {"amount": "5000,00", "method": "bank", "reference": "K-9"},
            "a top-up above {limit} cents is surely a typing slip",
            {"limit": 20_000},
        ),
        (
            {"amount": "penki", "method": "cash", "reference": "K-9"},
            "amount cannot contain letters: {char!r} in {text!r}",
            {"char": "p", "text": "penki"},
        ),
        (
            {"amount": "5,00", "method": "bitcoin", "reference": "K-9"},
            "a top-up is paid in cash or by bank, not {method!r}",
            {"method": "bitcoin"},
        ),
    ],
    ids=["no reference", "negative", "zero", "absurd", "letters", "unknown method"],
)
def test_a_bad_top_up_is_refused(
    app: Flask,
    store: Store,
    manager: Visitor,
    jonas: int,
    form: dict[str, str],
    message: str,
    params: dict[str, Any],
) -> None:
    refused(
        app, store, manager, f"/canteen/pupils/{jonas}/top-up", form, seen(app, message, **params)
    )


def test_refunding_part_of_a_paid_sale(store: Store, manager: Visitor, jonas: int) -> None:
    juice = item(store, "Sultys", 80)
    soup = item(store, "Sriuba", 120)
    top_up(store, jonas, 1000)
    sale = sell(store, jonas, [(juice, False), (soup, False)])
    before = state(store)
    form = {"sale": sale, "amount": "1,20", "reason": "Sriuba buvo šalta"}
    done(manager, f"/canteen/pupils/{jonas}/refund", form, jonas)
    assert state(store) == {
        **grew(before, ledger=1, outbox=1, audit_log=1),
        "ledger_sum": before["ledger_sum"] + 120,
    }
    row = store.conn.execute(
        "SELECT kind, amount_cents, refund_of, reason FROM ledger WHERE kind = 'refund'"
    ).fetchone()
    assert row == ("refund", 120, sale, "Sriuba buvo šalta")
    assert events(store, "ledger.refund") == [
        {"pupil_id": jonas, "amount_cents": 120, "refund_of": sale}
    ]
    [(_, subject, detail)] = audit_rows(store, "canteen.refund")
    assert subject == f"pupil:{jonas}"
    assert f"sale={sale}" in detail
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    sale_row = re.search(rf'data-event="{sale}" data-kind="sale">(.*?)</tr>', page, re.DOTALL)
    assert sale_row
    assert 'value="0,80 €"' in sale_row[1]  # what is left to refund


def test_a_bad_refund_is_refused(
    app: Flask, store: Store, manager: Visitor, jonas: int, ula: int
) -> None:
    soup = item(store, "Sriuba", 120)
    top_up(store, jonas, 1000)
    top_up(store, ula, 1000)
    sale = sell(store, jonas, [(soup, False)])
    others = sell(store, ula, [(soup, False)])
    path = f"/canteen/pupils/{jonas}/refund"
    refused(
        app,
        store,
        manager,
        path,
        {"sale": sale, "amount": "1,21", "reason": "per daug"},
        seen(app, "this sale has {left} cents left to refund, not {cents}", left=120, cents=121),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"sale": sale, "amount": "1,00", "reason": " "},
        seen(app, "a refund needs its reason"),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"sale": sale, "amount": "-1,00", "reason": "x"},
        seen(app, "amount cannot be negative here: {text!r}", text="-1,00"),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"sale": others, "amount": "1,00", "reason": "x"},
        seen(app, "the sale {event!r} is not this pupil's", event=others),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"sale": "no-such-sale", "amount": "1,00", "reason": "x"},
        seen(app, "there is no paid sale {event!r} to refund", event="no-such-sale"),
    )


def test_a_correction_with_its_reason(store: Store, manager: Visitor, jonas: int) -> None:
    top_up(store, jonas, 500)
    before = state(store)
    form = {"amount": "-2,00", "reason": "Dvigubai įvestas papildymas"}
    done(manager, f"/canteen/pupils/{jonas}/correction", form, jonas)
    assert state(store) == {
        **grew(before, ledger=1, outbox=1, audit_log=1),
        "ledger_sum": before["ledger_sum"] - 200,
    }
    row = store.conn.execute(
        "SELECT amount_cents, reason FROM ledger WHERE kind = 'correction'"
    ).fetchone()
    assert row == (-200, "Dvigubai įvestas papildymas")
    assert events(store, "ledger.correction") == [
        {"pupil_id": jonas, "amount_cents": -200, "refund_of": None}
    ]
    assert audit_rows(store, "canteen.correction")[0][1] == f"pupil:{jonas}"
    assert balance(store.conn, jonas) == 300


@pytest.mark.parametrize(
    ("form", "message", "params"),
    [
        ({"amount": "2,00", "reason": ""}, "a correction needs its reason", {}),
        (
            {"amount": "-5,01", "reason": "klaida"},
            "the correction would take the balance to {after} cents, below the limit of −{limit}",
            {"after": -1, "limit": 0},
        ),
        ({"amount": "0", "reason": "klaida"}, "a correction of 0 changes nothing", {}),
        (
            {"amount": "9999,00", "reason": "klaida"},
            "a correction above {limit} cents is surely a typing slip",
            {"limit": 20_000},
        ),
        ({"amount": "", "reason": "klaida"}, "amount is empty", {}),
    ],
    ids=["no reason", "below the overdraft limit", "zero", "absurd", "no amount"],
)
def test_a_bad_correction_is_refused(
    app: Flask,
    store: Store,
    manager: Visitor,
    jonas: int,
    form: dict[str, str],
    message: str,
    params: dict[str, Any],
) -> None:
    top_up(store, jonas, 500)
    refused(
        app,
        store,
        manager,
        f"/canteen/pupils/{jonas}/correction",
        form,
        seen(app, message, **params),
    )


# ---------------------------------------------------------------- limits, no-buy, diet note


def test_setting_and_clearing_the_daily_limit(
    app: Flask, store: Store, manager: Visitor, jonas: int
) -> None:
    path = f"/canteen/pupils/{jonas}/limit"
    before = state(store)
    done(manager, path, {"daily_limit": "3,00", "limit_note": "Mama prašė 2026-10-05"}, jonas)
    assert state(store) == grew(before, canteen_limits=1, outbox=1, audit_log=1)
    row = store.conn.execute("SELECT daily_limit_cents, note FROM canteen_limits").fetchone()
    assert row == (300, "Mama prašė 2026-10-05")
    assert purse(store.conn, jonas, None, store.clock.today()).daily_limit_cents == 300
    done(manager, path, {"daily_limit": "", "limit_note": "Tėtis: be ribos"}, jonas)
    row = store.conn.execute("SELECT daily_limit_cents, note FROM canteen_limits").fetchone()
    assert row == (None, "Tėtis: be ribos")
    assert events(store, "canteen.limit.set") == [
        {"pupil_id": jonas, "daily_limit_cents": 300},
        {"pupil_id": jonas, "daily_limit_cents": None},
    ]
    details = [r[2] for r in audit_rows(store, "canteen.limit.set")]
    assert details == ["daily_limit_cents=300", "daily_limit_cents=none"]
    assert seen(app, "no limit") in text_of(manager.get(f"/canteen/pupils/{jonas}"))


@pytest.mark.parametrize(
    ("form", "message", "params"),
    [
        (
            {"daily_limit": "3,00", "limit_note": ""},
            "a limit needs its note: who asked for it, and when",
            {},
        ),
        (
            {"daily_limit": "-1,00", "limit_note": "Mama"},
            "amount cannot be negative here: {text!r}",
            {"text": "-1,00"},
        ),
        (
            {"daily_limit": "5000,00", "limit_note": "Mama"},
            "a daily limit must be between 0 and {most} cents",
            {"most": 200_000},
        ),
    ],
    ids=["no note", "negative", "absurd"],
)
def test_a_bad_limit_is_refused(
    app: Flask,
    store: Store,
    manager: Visitor,
    jonas: int,
    form: dict[str, str],
    message: str,
    params: dict[str, Any],
) -> None:
    refused(
        app, store, manager, f"/canteen/pupils/{jonas}/limit", form, seen(app, message, **params)
    )


def test_the_no_buy_items(app: Flask, store: Store, manager: Visitor, jonas: int) -> None:
    juice = item(store, "Sultys", 80)
    cake = item(store, "Pyragėlis", 90)
    item(store, "Sriuba", 120)
    before = state(store)
    done(manager, f"/canteen/pupils/{jonas}/no-buy", {"items": [str(cake), str(juice)]}, jonas)
    assert state(store) == grew(before, no_buy_items=2, outbox=1, audit_log=1)
    assert purse(store.conn, jonas, None, store.clock.today()).no_buy == {juice, cake}
    assert events(store, "canteen.no_buy.set") == [
        {"pupil_id": jonas, "item_ids": sorted([juice, cake])}
    ]
    done(manager, f"/canteen/pupils/{jonas}/no-buy", {}, jonas)
    assert purse(store.conn, jonas, None, store.clock.today()).no_buy == frozenset()
    assert [r[2] for r in audit_rows(store, "canteen.no_buy.set")] == [
        f"items={min(juice, cake)},{max(juice, cake)}",
        "items=none",
    ]
    path = f"/canteen/pupils/{jonas}/no-buy"
    refused(
        app,
        store,
        manager,
        path,
        {"items": [str(juice), "999"]},
        seen(app, "there is no item number {item}", item=999),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"items": ["sultys"]},
        seen(app, "there is no item {item!r}", item="sultys"),
    )


def test_the_diet_note_stays_at_school(
    app: Flask, store: Store, manager: Visitor, jonas: int
) -> None:
    note = "Alergija riešutams ir pienui — jokių žemės riešutų"
    before = state(store)
    done(manager, f"/canteen/pupils/{jonas}/diet-note", {"diet_note": note}, jonas)
    assert state(store) == grew(before, outbox=1, audit_log=1)
    stored = store.conn.execute("SELECT diet_note FROM pupils WHERE id = ?", (jonas,))
    assert stored.fetchone()[0] == note
    assert events(store, "pupil.diet_note.set") == [{"pupil_id": jonas, "has_note": True}]
    [(_, subject, detail)] = audit_rows(store, "pupil.diet_note.set")
    assert subject == f"pupil:{jonas}"
    assert "riešut" not in detail
    assert note in text_of(manager.get(f"/canteen/pupils/{jonas}"))
    refused(
        app,
        store,
        manager,
        f"/canteen/pupils/{jonas}/diet-note",
        {"diet_note": "x" * 501},
        seen(app, "the note is longer than {n} characters", n=500),
    )
    done(manager, f"/canteen/pupils/{jonas}/diet-note", {"diet_note": "  "}, jonas)
    assert events(store, "pupil.diet_note.set")[-1] == {"pupil_id": jonas, "has_note": False}


# ---------------------------------------------------------------- free meals


def test_adding_and_ending_a_staff_entitlement(
    store: Store, clock: FixedClock, manager: Visitor, jonas: int
) -> None:
    before = state(store)
    form = {
        "meal_type": "lunch",
        "valid_from": "2026-10-01",
        "valid_to": "",
        "entitlement_note": "Direktoriaus įsakymas Nr. V-12",
    }
    done(manager, f"/canteen/pupils/{jonas}/entitlements", form, jonas)
    assert state(store) == grew(before, meal_entitlements=1, outbox=1, audit_log=1)
    entitlement, *row = store.conn.execute(
        "SELECT id, meal_type, valid_from, valid_to, source, note FROM meal_entitlements"
    ).fetchone()
    assert row == ["lunch", "2026-10-01", None, "staff", "Direktoriaus įsakymas Nr. V-12"]
    assert purse(store.conn, jonas, "lunch", store.clock.today()).entitled
    assert events(store, "meal_entitlement.added") == [
        {
            "entitlement_id": entitlement,
            "pupil_id": jonas,
            "meal_type": "lunch",
            "valid_from": "2026-10-01",
            "valid_to": None,
            "source": "staff",
        }
    ]  # the note stays on the box
    assert audit_rows(store, "meal_entitlement.added")[0][1] == f"pupil:{jonas}"
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    assert 'data-test="end-form"' in page
    before = state(store)
    end = {"entitlement": str(entitlement), "valid_to": "2026-10-05"}
    done(manager, f"/canteen/pupils/{jonas}/entitlements/end", end, jonas)
    assert state(store) == grew(before, outbox=1, audit_log=1)
    valid_to = store.conn.execute("SELECT valid_to FROM meal_entitlements").fetchone()[0]
    assert valid_to == "2026-10-05"
    assert events(store, "meal_entitlement.ended") == [
        {
            "entitlement_id": entitlement,
            "pupil_id": jonas,
            "meal_type": "lunch",
            "valid_to": "2026-10-05",
        }
    ]
    assert audit_rows(store, "meal_entitlement.ended")[0][2] == (
        f"entitlement={entitlement}; last_day=2026-10-05"
    )
    clock.advance(days=1)
    assert not purse(store.conn, jonas, "lunch", store.clock.today()).entitled


@pytest.mark.parametrize(
    ("change", "message", "params"),
    [
        (
            {"entitlement_note": "  "},
            "a free meal entered by staff needs its note: why the pupil gets it"
            " (e.g. the director's order)",
            {},
        ),
        ({"meal_type": "dinner"}, "there is no meal type {code}", {"code": "dinner"}),
        (
            {"valid_to": "2026-09-30"},
            "the last day {to} comes before the first day {start}",
            {"to": "2026-09-30", "start": "2026-10-01"},
        ),
        ({"valid_from": "2026-13-01"}, "Enter the date as yyyy-mm-dd, e.g. 2026-09-01.", {}),
        ({"valid_from": ""}, "Enter the first day.", {}),
    ],
    ids=["no note", "unknown meal", "ends before it starts", "no such date", "no first day"],
)
def test_a_bad_entitlement_is_refused(
    app: Flask,
    store: Store,
    manager: Visitor,
    jonas: int,
    change: dict[str, str],
    message: str,
    params: dict[str, Any],
) -> None:
    form = {
        "meal_type": "lunch",
        "valid_from": "2026-10-01",
        "valid_to": "",
        "entitlement_note": "Įsakymas V-12",
    }
    refused(
        app,
        store,
        manager,
        f"/canteen/pupils/{jonas}/entitlements",
        {**form, **change},
        seen(app, message, **params),
    )


def test_ending_an_entitlement_that_may_not_be_ended_is_refused(
    app: Flask, store: Store, manager: Visitor, jonas: int, ula: int
) -> None:
    registry = add_registry_entitlement(store, jonas)
    others = add_registry_entitlement(store, ula)
    form = {
        "meal_type": "lunch",
        "valid_from": "2026-10-01",
        "valid_to": "2026-12-31",
        "entitlement_note": "Įsakymas V-12",
    }
    done(manager, f"/canteen/pupils/{jonas}/entitlements", form, jonas)
    staff = store.conn.execute("SELECT max(id) FROM meal_entitlements").fetchone()[0]
    page = text_of(manager.get(f"/canteen/pupils/{jonas}"))
    registry_row = re.search(rf'data-entitlement="{registry}">(.*?)</tr>', page, re.DOTALL)
    assert registry_row
    assert 'data-test="end-form"' not in registry_row[1]
    path = f"/canteen/pupils/{jonas}/entitlements/end"
    refused(
        app,
        store,
        manager,
        path,
        {"entitlement": str(registry), "valid_to": "2026-10-05"},
        seen(
            app,
            "this entitlement comes from the registry: it changes there, and sync brings it here",
        ),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"entitlement": str(others), "valid_to": "2026-10-05"},
        seen(app, "the pupil has no entitlement number {entitlement}", entitlement=others),
    )
    page = refused(
        app,
        store,
        manager,
        path,
        {"entitlement": str(staff), "valid_to": "2026-09-01"},
        seen(
            app,
            "the last day {to} comes before the first day {start}",
            to="2026-09-01",
            start="2026-10-01",
        ),
    )
    assert re.search(rf'data-entitlement="{staff}">.*?data-error-for="valid_to"', page, re.DOTALL)
    refused(
        app,
        store,
        manager,
        path,
        {"entitlement": str(staff), "valid_to": "2027-01-31"},
        seen(app, "the entitlement already ends on {to}", to="2026-12-31"),
    )
    refused(
        app,
        store,
        manager,
        path,
        {"entitlement": "abc", "valid_to": "2026-10-05"},
        seen(app, "there is no entitlement {entitlement!r}", entitlement="abc"),
    )


def test_no_payload_holds_a_personal_code_or_a_note_of_health(
    store: Store, manager: Visitor, jonas: int
) -> None:
    base = f"/canteen/pupils/{jonas}"
    done(manager, f"{base}/top-up", {"amount": "5", "method": "cash", "reference": "K-1"}, jonas)
    done(manager, f"{base}/limit", {"daily_limit": "2,00", "limit_note": "Mama Petraitienė"}, jonas)
    done(manager, f"{base}/diet-note", {"diet_note": "Celiakija"}, jonas)
    payloads = " ".join(r[0] for r in store.conn.execute("SELECT payload FROM outbox"))
    trail = " ".join(r[0] for r in store.conn.execute("SELECT detail FROM audit_log"))
    for text in (payloads, trail):
        assert CODE not in text
        assert "Celiakija" not in text
        assert "Petraitienė" not in text
