"""The users pages: add, edit, rights, disable/enable and password reset, by an admin only."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from visitor import PASSWORD, Visitor, every_right, make_user, signed_in

from emp_edge.domain.access import Area, Level
from emp_edge.domain.personal_code import build, mask
from emp_edge.services import Services
from emp_edge.store.accounts import find_account, load_account, verify_password
from emp_edge.store.audit import verify

#: a valid personal code, and its masked form
CODE = build(date(1985, 3, 14), "F", 123)
NEW_PASSWORD = "Naujas-slaptažodis-2026"

FULL_FORM: dict[str, str] = {
    "username": "rasa",
    "password": PASSWORD,
    "password_again": PASSWORD,
    "personal_code": CODE,
    "first_name": "Rasa",
    "last_name": "Čiurlionytė",
    "email": "rasa@mokykla.lt",
    "phone": "+370 600 00000",
    "position": "EMP atsakinga darbuotoja",
    "institution_code": "190000000",
    "institution_name": "Šaltinio progimnazija",
    "workplace_address": "Šaltinio g. 1, Vilnius",
    "valid_from": "2026-09-01",
    "valid_to": "2027-08-31",
    "pledge_signed_on": "2026-08-30",
    "right_personal_data": "viewer",
    "right_cards": "manager",
}


def _counts(services: Services) -> dict[str, int]:
    conn = services.store.conn
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("users", "user_rights", "outbox", "audit_log")
    }


def _audit_rows(services: Services, action: str) -> list[tuple[Any, ...]]:
    return services.store.conn.execute(
        "SELECT actor, subject, detail, source, user_id FROM audit_log WHERE action = ?"
        " ORDER BY id",
        (action,),
    ).fetchall()


def _events(services: Services, type_: str) -> list[str]:
    rows = services.store.conn.execute("SELECT payload FROM outbox WHERE type = ?", (type_,))
    return [r[0] for r in rows]


def _error_for(page: str, field: str) -> str:
    found = re.search(rf'data-error-for="{field}">([^<]*)<', page)
    assert found, f"no error next to {field}"
    return found[1]


def _in(app: Flask, language: str, message: str, **params: Any) -> str:
    """``message`` as a reader of ``language`` sees it."""
    with app.test_request_context(), force_locale(language):
        return str(gettext(message, **params)) if params else str(gettext(message))


@pytest.fixture
def admin_id(services: Services) -> int:
    return make_user(services.store, "admin", admin=True, first_name="Aldona", last_name="Admė")


@pytest.fixture
def admin(app: Flask, admin_id: int) -> Visitor:
    return signed_in(app, "admin")


def _english(browser: Visitor) -> None:
    assert browser.post("/language", {"language": "en", "back": "/"}).status_code == 302


# ---------------------------------------------------------------------------- who may


@pytest.mark.parametrize(
    "levels", [{}, every_right(Level.MANAGER)], ids=["no rights", "every area manager"]
)
def test_only_admins_see_or_change_users(
    app: Flask, services: Services, admin_id: int, levels: dict[Area, Level]
) -> None:
    make_user(services.store, "ona", levels=levels)
    browser = signed_in(app, "ona")
    before = _counts(services)
    for path in ("/users/", "/users/new", f"/users/{admin_id}"):
        assert browser.get(path).status_code == 403, path
    for path in (f"/users/{admin_id}/disable", f"/users/{admin_id}/password", "/users/new"):
        assert browser.post(path, {"password": NEW_PASSWORD}).status_code == 403, path
    assert _counts(services) == before
    assert 'href="/users/"' not in browser.get("/").get_data(as_text=True)


def test_a_form_without_its_csrf_token_changes_nothing(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    target = make_user(services.store, "ona")
    before = _counts(services)
    response = admin.client.post(f"/users/{target}/disable", data={})
    assert response.status_code == 400
    assert _counts(services) == before
    assert not load_account(services.store.conn, target).disabled  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- the list


def test_the_list_shows_each_account_with_its_state(admin: Visitor, services: Services) -> None:
    store = services.store
    make_user(store, "ona", levels={Area.PERSONAL_DATA: Level.VIEWER, Area.LISTS: Level.MANAGER})
    make_user(store, "jonas", first_name="Jonas", disabled=True)
    make_user(store, "petras", first_name="Petras", valid_to=date(2026, 8, 31))
    make_user(store, "vida", first_name="Vida", valid_from=date(2026, 11, 1))
    _english(admin)
    response = admin.get("/users/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = dict(re.findall(r'data-user="([^"]+)">(.*?)</tr>', page, flags=re.DOTALL))
    assert set(rows) == {"admin", "ona", "jonas", "petras", "vida"}
    assert "pupil personal data: viewer" in rows["ona"]
    assert "lists: manager" in rows["ona"]
    assert "active" in rows["ona"]
    assert "disabled" in rows["jonas"]
    assert "outside validity: expired" in rows["petras"]
    assert "2026-08-31" in rows["petras"]
    assert "outside validity: not yet valid" in rows["vida"]
    assert "2026-11-01" in rows["vida"]
    assert re.search(r"<td>yes</td>", rows["admin"])


# ---------------------------------------------------------------------------- adding


def test_adding_a_user_saves_every_field_of_the_form(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    assert admin.get("/users/new").status_code == 200
    response = admin.post("/users/new", FULL_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    found = find_account(services.store.conn, "rasa")
    assert found is not None
    account, password_hash = found
    assert response.headers["Location"] == f"/users/{account.id}"
    assert verify_password(password_hash, PASSWORD)
    details = account.details
    assert (details.first_name, details.last_name) == ("Rasa", "Čiurlionytė")
    assert details.email == "rasa@mokykla.lt"
    assert details.phone == "+370 600 00000"
    assert details.position == "EMP atsakinga darbuotoja"
    assert details.institution_code == "190000000"
    assert details.institution_name == "Šaltinio progimnazija"
    assert details.workplace_address == "Šaltinio g. 1, Vilnius"
    assert details.valid_from == date(2026, 9, 1)
    assert details.valid_to == date(2027, 8, 31)
    assert details.pledge_signed_on == date(2026, 8, 30)
    assert details.personal_code == CODE
    assert account.grants.levels == {Area.PERSONAL_DATA: Level.VIEWER, Area.CARDS: Level.MANAGER}
    assert not account.grants.is_admin
    [added] = [e for e in _events(services, "user.added") if f'"user_id":{account.id}' in e]
    assert "rasa" not in added  # the registry gets the account's number, not its name
    [row] = _audit_rows(services, "user.added")
    assert row == (
        "admin",
        f"user:{account.id}",
        "admin=no; personal_data=viewer, cards=manager",
        "127.0.0.1",
        admin_id,
    )
    assert verify(services.store.conn).ok


def test_the_personal_code_is_never_shown_or_logged_unmasked(
    admin: Visitor, services: Services
) -> None:
    admin.post("/users/new", FULL_FORM)
    account = find_account(services.store.conn, "rasa")[0]  # type: ignore[index]
    edit = admin.get(f"/users/{account.id}").get_data(as_text=True)
    assert mask(CODE) in edit
    pages = [edit, admin.get("/users/").get_data(as_text=True)]
    pages.append(admin.get("/audit/").get_data(as_text=True))
    for page in pages:
        assert CODE not in page
    conn = services.store.conn
    logged = conn.execute("SELECT group_concat(detail || subject, ' ') FROM audit_log").fetchone()
    events = conn.execute("SELECT group_concat(payload, ' ') FROM outbox").fetchone()
    assert CODE not in logged[0]
    assert CODE not in events[0]
    assert PASSWORD not in logged[0] + events[0]


BAD_INPUT = [
    ("first_name", {"first_name": "  "}, "This field is needed."),
    ("last_name", {"last_name": ""}, "This field is needed."),
    ("email", {"email": "rasa.mokykla.lt"}, "this is not an e-mail address"),
    ("valid_to", {"valid_to": "2026-08-31"}, "the account cannot end before it begins"),
    ("valid_from", {"valid_from": "2026-9-1"}, "Enter the date as yyyy-mm-dd, e.g. 2026-09-01."),
    ("valid_from", {"valid_from": ""}, "Enter the first day of the account."),
    ("pledge_signed_on", {"pledge_signed_on": "31.08.2026"}, None),
    ("personal_code", {"personal_code": CODE[:-1] + str((int(CODE[-1]) + 1) % 10)}, None),
    ("personal_code", {"personal_code": "12345"}, None),
    ("password", {"password": "trumpas", "password_again": "trumpas"}, None),
    ("password_again", {"password_again": PASSWORD + "x"}, "The two passwords differ."),
    ("username", {"username": "admin"}, None),
    ("username", {"username": "ras a"}, "a user name is letters, digits and . - _ only"),
    ("right_cards", {"right_cards": "owner"}, "Choose one of the rights offered."),
]


@pytest.mark.parametrize(
    ("field", "change", "message"), BAD_INPUT, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_INPUT)]
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(
    admin: Visitor,
    services: Services,
    app: Flask,
    field: str,
    change: dict[str, str],
    message: str | None,
) -> None:
    before = _counts(services)
    response = admin.post("/users/new", {**FULL_FORM, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    shown = _error_for(page, field)
    assert shown
    if message is not None:
        assert shown == _in(app, "lt", message)  # the admin reads Lithuanian
    assert _counts(services) == before
    assert CODE not in page, "the typed personal code is not echoed back"
    assert 'value="Šaltinio g. 1, Vilnius"' in page, "what was typed is kept"


def test_errors_are_in_the_readers_language(admin: Visitor, services: Services) -> None:
    _english(admin)
    page = admin.post("/users/new", {**FULL_FORM, "username": "admin"}).get_data(as_text=True)
    assert _error_for(page, "username") == "the user name admin is taken"
    page = admin.post("/users/new", {**FULL_FORM, "password": "trumpas"}).get_data(as_text=True)
    assert _error_for(page, "password_again") == "The two passwords differ."
    page = admin.post(
        "/users/new", {**FULL_FORM, "password": "trumpas", "password_again": "trumpas"}
    ).get_data(as_text=True)
    assert _error_for(page, "password") == "the password must have at least 10 characters"
    bad_code = {**FULL_FORM, "personal_code": "7" + CODE[1:]}
    page = admin.post("/users/new", bad_code).get_data(as_text=True)
    assert _error_for(page, "personal_code").startswith("personal code cannot start with 7")


# ---------------------------------------------------------------------------- editing


def _edit_form(services: Services, user_id: int, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it, with ``changes``."""
    account = load_account(services.store.conn, user_id)
    assert account is not None
    d = account.details
    form = {
        "first_name": d.first_name,
        "last_name": d.last_name,
        "email": d.email,
        "phone": d.phone,
        "position": d.position,
        "institution_code": d.institution_code,
        "institution_name": d.institution_name,
        "workplace_address": d.workplace_address,
        "valid_from": d.valid_from.isoformat(),
        "valid_to": d.valid_to.isoformat() if d.valid_to else "",
        "pledge_signed_on": d.pledge_signed_on.isoformat() if d.pledge_signed_on else "",
        **{f"right_{a.value}": account.grants.level(a).name.lower() for a in Area},
    }
    if account.grants.is_admin:
        form["is_admin"] = "y"
    form.update(changes)
    return {k: v for k, v in form.items() if v != "-"}


def test_editing_changes_details_and_rights_in_one_audited_change(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    user_id = make_user(services.store, "ona", levels={Area.LISTS: Level.VIEWER})
    page = admin.get(f"/users/{user_id}").get_data(as_text=True)
    assert 'value="Ona"' in page
    assert re.search(r'name="right_lists" value="viewer"[^>]*checked', page)
    changed = _edit_form(
        services,
        user_id,
        email="ona@mokykla.lt",
        position="raštvedė",
        personal_code=CODE,
        valid_to="2027-08-31",
        pledge_signed_on="2026-09-02",
        right_personal_data="viewer",
        right_lists="manager",
    )
    response = admin.post(f"/users/{user_id}", changed)
    assert response.status_code == 302, response.get_data(as_text=True)
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert account.details.email == "ona@mokykla.lt"
    assert account.details.position == "raštvedė"
    assert account.details.personal_code == CODE
    assert account.details.valid_to == date(2027, 8, 31)
    assert account.details.pledge_signed_on == date(2026, 9, 2)
    assert account.grants.levels == {Area.PERSONAL_DATA: Level.VIEWER, Area.LISTS: Level.MANAGER}
    assert len(_events(services, "user.changed")) == 1
    [(actor, subject, detail, _source, _uid)] = _audit_rows(services, "user.changed")
    assert (actor, subject) == ("admin", f"user:{user_id}")
    assert detail == (
        "fields: valid_to, email, position, pledge_signed_on, personal_code; "
        "personal_data: none→viewer; lists: viewer→manager"
    )
    assert "ona@mokykla.lt" not in detail


def test_an_edit_that_changes_nothing_writes_nothing(admin: Visitor, services: Services) -> None:
    user_id = make_user(services.store, "ona")
    before = _counts(services)
    response = admin.post(f"/users/{user_id}", _edit_form(services, user_id))
    assert response.status_code == 302
    assert _counts(services) == before


def test_the_stored_personal_code_stays_unless_removed(admin: Visitor, services: Services) -> None:
    admin.post("/users/new", FULL_FORM)
    user_id = find_account(services.store.conn, "rasa")[0].id  # type: ignore[index]
    admin.post(f"/users/{user_id}", _edit_form(services, user_id, phone="+370 611 11111"))
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert (account.details.phone, account.details.personal_code) == ("+370 611 11111", CODE)
    admin.post(f"/users/{user_id}", _edit_form(services, user_id, clear_personal_code="y"))
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert account.details.personal_code == ""


def test_a_bad_edit_changes_nothing(admin: Visitor, services: Services, app: Flask) -> None:
    user_id = make_user(services.store, "ona")
    before = _counts(services)
    form = _edit_form(services, user_id, valid_to="2020-01-01", right_cards="manager")
    response = admin.post(f"/users/{user_id}", form)
    assert response.status_code == 400
    message = _in(app, "lt", "the account cannot end before it begins")
    assert _error_for(response.get_data(as_text=True), "valid_to") == message
    assert _counts(services) == before
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert account.grants.levels == {}


def test_an_unknown_user_is_not_found(admin: Visitor) -> None:
    assert admin.get("/users/999").status_code == 404
    assert admin.post("/users/999/disable").status_code == 404


def test_rights_given_on_the_page_take_effect_at_once(
    app: Flask, admin: Visitor, services: Services
) -> None:
    user_id = make_user(services.store, "ona")
    ona = signed_in(app, "ona")
    assert ona.get("/users/").status_code == 403
    admin.post(f"/users/{user_id}", _edit_form(services, user_id, right_personal_data="viewer"))
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert account.grants.level(Area.PERSONAL_DATA) is Level.VIEWER
    assert ona.get("/users/").status_code == 403  # a viewer of personal data is no admin
    admin.post(f"/users/{user_id}", _edit_form(services, user_id, is_admin="y"))
    assert ona.get("/users/").status_code == 200  # the same session, the new right
    admin.post(f"/users/{user_id}", _edit_form(services, user_id, is_admin="-"))
    assert ona.get("/users/").status_code == 403


def test_an_admin_cannot_take_their_own_admin_right_away(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    _english(admin)
    before = _counts(services)
    response = admin.post(f"/users/{admin_id}", _edit_form(services, admin_id, is_admin="-"))
    assert response.status_code == 400
    assert "You cannot take your own administrator right away" in _error_for(
        response.get_data(as_text=True), "is_admin"
    )
    assert _counts(services) == before
    assert load_account(services.store.conn, admin_id).grants.is_admin  # type: ignore[union-attr]


def test_an_admin_cannot_end_their_own_validity(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    before = _counts(services)
    for change in ({"valid_to": "2026-10-04"}, {"valid_from": "2026-10-06"}):
        response = admin.post(f"/users/{admin_id}", _edit_form(services, admin_id, **change))
        assert response.status_code == 400
        assert _error_for(response.get_data(as_text=True), "valid_to")
    assert _counts(services) == before
    today = _edit_form(services, admin_id, valid_to="2026-10-05")
    assert admin.post(f"/users/{admin_id}", today).status_code == 302


# ---------------------------------------------------------------------------- disable, enable


def test_a_disabled_user_cannot_sign_in_and_is_told_why(
    app: Flask, admin: Visitor, services: Services
) -> None:
    user_id = make_user(services.store, "ona")
    ona = signed_in(app, "ona")
    page = admin.get(f"/users/{user_id}").get_data(as_text=True)
    assert re.search(
        rf'<form method="post" action="/users/{user_id}/disable"\s+data-confirm=', page
    )
    response = admin.post(f"/users/{user_id}/disable")
    assert response.status_code == 302
    account = load_account(services.store.conn, user_id)
    assert account is not None
    assert account.disabled
    assert len(_events(services, "user.disabled")) == 1
    assert [r[:2] for r in _audit_rows(services, "user.disabled")] == [("admin", f"user:{user_id}")]
    assert ona.get("/").status_code == 302, "the open session ends at once"
    stranger = Visitor(app.test_client())
    _english(stranger)
    refused = stranger.sign_in("ona")
    assert refused.status_code == 403
    assert "disabled" in refused.get_data(as_text=True)

    assert admin.post(f"/users/{user_id}/enable").status_code == 302
    assert not load_account(services.store.conn, user_id).disabled  # type: ignore[union-attr]
    assert [r[1] for r in _audit_rows(services, "user.enabled")] == [f"user:{user_id}"]
    assert stranger.sign_in("ona").status_code == 302
    assert verify(services.store.conn).ok


def test_an_admin_cannot_disable_themself(
    admin: Visitor, services: Services, admin_id: int
) -> None:
    _english(admin)
    assert f"/users/{admin_id}/disable" not in admin.get(f"/users/{admin_id}").get_data(
        as_text=True
    )
    before = _counts(services)
    response = admin.post(f"/users/{admin_id}/disable")
    assert response.status_code == 400
    assert "you cannot disable your own account" in response.get_data(as_text=True)
    assert _counts(services) == before
    assert not load_account(services.store.conn, admin_id).disabled  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- password


def test_resetting_a_password(app: Flask, admin: Visitor, services: Services) -> None:
    user_id = make_user(services.store, "ona")
    before = _counts(services)
    differ = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "!"}
    response = admin.post(f"/users/{user_id}/password", differ)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _error_for(page, "password_again") == _in(app, "lt", "The two passwords differ.")
    short = {"password": "trumpas", "password_again": "trumpas"}
    response = admin.post(f"/users/{user_id}/password", short)
    assert response.status_code == 400
    assert _error_for(response.get_data(as_text=True), "password")
    assert _counts(services) == before

    good = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert admin.post(f"/users/{user_id}/password", good).status_code == 302
    found = find_account(services.store.conn, "ona")
    assert found is not None
    assert verify_password(found[1], NEW_PASSWORD)
    assert not verify_password(found[1], PASSWORD)
    [(actor, subject, detail, _s, _u)] = _audit_rows(services, "user.password_reset")
    assert (actor, subject, detail) == ("admin", f"user:{user_id}", "")
    assert NEW_PASSWORD not in "".join(_events(services, "user.password_reset"))
    assert Visitor(app.test_client()).sign_in("ona").status_code == 401
    assert Visitor(app.test_client()).sign_in("ona", NEW_PASSWORD).status_code == 302
