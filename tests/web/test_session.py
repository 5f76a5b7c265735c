"""Signing in and out: lockout, validity dates, timeouts, CSRF, cookies, headers, error pages."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from visitor import PASSWORD, Visitor, make_user, signed_in

from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store.audit import verify
from emp_edge.web import create_app


def _audit_actions(services: Services) -> list[str]:
    return [r[0] for r in services.store.conn.execute("SELECT action FROM audit_log ORDER BY id")]


def test_sign_in_lands_on_the_dashboard_and_is_audited(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    assert browser.get("/").status_code == 302
    response = browser.sign_in("ona")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200
    assert "Ona Žukauskienė" in page.get_data(as_text=True)
    row = services.store.conn.execute(
        "SELECT actor, action, source, user_id FROM audit_log WHERE action = 'login'"
    ).fetchone()
    assert row == ("ona", "login", "127.0.0.1", 1)


def test_unknown_page_after_login_goes_to_next(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    first = browser.get("/sync/")
    assert first.status_code == 302
    assert "next=/sync/" in first.headers["Location"]
    done = browser.post("/login?next=/sync/", {"username": "ona", "password": PASSWORD})
    assert done.headers["Location"] == "/sync/"
    outside = browser.post(
        "/login?next=//evil.example/x", {"username": "ona", "password": PASSWORD}
    )
    assert outside.headers["Location"] == "/"


def test_wrong_password_says_so_and_counts(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    response = Visitor(app.test_client()).sign_in("ona", "not-the-password")
    assert response.status_code == 401
    assert "Neteisingas" in response.get_data(as_text=True) or "Wrong user name" in (
        response.get_data(as_text=True)
    )
    count = services.store.conn.execute("SELECT count(*) FROM login_failures").fetchone()[0]
    assert count == 1
    assert "login.failed" in _audit_actions(services)


def test_ten_failures_lock_for_fifteen_minutes_and_survive_a_restart(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    for attempt in range(9):
        assert browser.sign_in("ona", f"wrong-{attempt}-password").status_code == 401
        clock.advance(seconds=30)
    tenth = browser.sign_in("ona", "wrong-10-password")
    assert tenth.status_code == 429
    until = (clock.now() + timedelta(minutes=15)).astimezone(services.settings.tz)
    assert until.strftime("%H:%M") in tenth.get_data(as_text=True)
    # a restart: a new app on the same database still refuses, even the right password
    restarted = create_app(services, {"TESTING": True, "SECRET_KEY": "r" * 32})
    again = Visitor(restarted.test_client()).sign_in("ona")
    assert again.status_code == 429
    assert "login.locked" in _audit_actions(services)
    clock.advance(minutes=14)
    assert Visitor(restarted.test_client()).sign_in("ona").status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert Visitor(restarted.test_client()).sign_in("ona").status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    for attempt in range(12):
        assert browser.sign_in("ona", f"wrong-{attempt}-password").status_code == 401
        clock.advance(minutes=2)
    assert browser.sign_in("ona").status_code == 302


def test_a_good_login_clears_the_count(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    for attempt in range(9):
        browser.sign_in("ona", f"wrong-{attempt}-password")
    assert browser.sign_in("ona").status_code == 302
    other = Visitor(app.test_client())
    for attempt in range(9):
        assert other.sign_in("ona", f"again-{attempt}-wrong").status_code == 401


def test_unknown_user_names_lock_too(app: Flask) -> None:
    browser = Visitor(app.test_client())
    statuses = [browser.sign_in("nobody", "whatever-password").status_code for _ in range(10)]
    assert statuses == [401] * 9 + [429]


def test_account_outside_its_validity_cannot_sign_in_and_is_told_why(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    today = clock.today()
    make_user(services.store, "early", valid_from=today + timedelta(days=3))
    make_user(
        services.store, "late", valid_from=date(2025, 9, 1), valid_to=today - timedelta(days=1)
    )
    make_user(services.store, "off", disabled=True)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    early = Visitor(app.test_client())
    with early.client.session_transaction() as session:
        session["lang"] = "en"
    response = early.sign_in("early")
    assert response.status_code == 403
    assert f"valid from {(today + timedelta(days=3)).isoformat()}" in response.get_data(
        as_text=True
    )
    late = Visitor(app.test_client())
    with late.client.session_transaction() as session:
        session["lang"] = "en"
    text = late.sign_in("late").get_data(as_text=True)
    assert f"valid until {(today - timedelta(days=1)).isoformat()}" in text
    off = Visitor(app.test_client())
    with off.client.session_transaction() as session:
        session["lang"] = "en"
    assert "disabled" in off.sign_in("off").get_data(as_text=True)
    refused = services.store.conn.execute(
        "SELECT detail FROM audit_log WHERE action = 'login.refused' ORDER BY id"
    ).fetchall()
    assert [r[0] for r in refused] == ["not_yet_valid", "expired", "disabled"]


def test_an_account_that_expires_while_signed_in_is_out_at_once(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    make_user(services.store, "ona", valid_to=clock.today())
    browser = signed_in(app, "ona")
    assert browser.get("/").status_code == 200
    clock.advance(days=1)
    assert browser.get("/").status_code == 302


def test_idle_timeout_after_fifteen_minutes(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    clock.advance(minutes=14)
    assert browser.get("/").status_code == 200
    clock.advance(minutes=14)  # 14 minutes after the last request: still in
    assert browser.get("/").status_code == 200
    clock.advance(minutes=15, seconds=1)
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?expired=idle")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "15" in page
    assert "session.expired" in _audit_actions(services)


def test_absolute_timeout_after_eight_hours(
    app: Flask, services: Services, clock: FixedClock
) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    for _ in range(8 * 6 - 1):  # busy all day, never idle
        clock.advance(minutes=10)
        assert browser.get("/").status_code == 200
    clock.advance(minutes=10, seconds=1)
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?expired=absolute")


def test_state_changing_request_without_csrf_token_is_refused(
    app: Flask, services: Services
) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    response = browser.client.post("/logout", data={})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert browser.get("/").status_code == 200  # still signed in: nothing happened
    forged = browser.client.post("/language", data={"language": "en", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert services.store.conn.execute("SELECT language FROM users").fetchone()[0] == "lt"


def test_cookie_flags_and_secure_over_tls(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = Visitor(app.test_client())
    response = browser.sign_in("ona")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    tls = Visitor(app.test_client())
    token_page = tls.client.get("/login", base_url="https://localhost")
    token = token_page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    over_tls = tls.client.post(
        "/login",
        data={"username": "ona", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # CSRF checks the referrer over TLS
    )
    assert over_tls.status_code == 302
    assert "Secure" in over_tls.headers["Set-Cookie"]


def test_security_headers(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    page = signed_in(app, "ona").get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<script>" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_forbidden_page_names_the_right_needed(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    browser.post("/language", {"language": "en"})
    response = browser.get("/users/")
    assert response.status_code == 403
    assert "administrator" in response.get_data(as_text=True)


def test_server_error_page_has_no_stack_trace(services: Services) -> None:
    app = create_app(services, {"SECRET_KEY": "s" * 32})

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    boom.access_rule = app.view_functions["session.login"].access_rule  # type: ignore[attr-defined]
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text


def test_not_found_page(app: Flask) -> None:
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_language_is_remembered_per_user(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    assert 'lang="lt"' in browser.get("/").get_data(as_text=True)
    switched = browser.post("/language", {"language": "en", "back": "/sync/"})
    assert switched.headers["Location"] == "/sync/"
    assert 'lang="en"' in browser.get("/").get_data(as_text=True)
    elsewhere = signed_in(app, "ona")  # another browser, same person
    assert 'lang="en"' in elsewhere.get("/").get_data(as_text=True)
    assert "user.language_set" in _audit_actions(services)
    assert verify(services.store.conn).ok


def test_logout_ends_the_session(app: Flask, services: Services) -> None:
    make_user(services.store, "ona")
    browser = signed_in(app, "ona")
    out = browser.post("/logout")
    assert out.status_code == 302
    assert browser.get("/").status_code == 302
    assert "logout" in _audit_actions(services)


def test_healthz_stays_public(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
