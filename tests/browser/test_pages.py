"""What a person sees in a real browser: signing in, languages, search, rights, live updates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from demo_site import (
    ADMIN,
    DESKTOP,
    LOCKED,
    PASSWORD,
    SCHOOL_NAME,
    SURNAME,
    SWITCHER,
    TOUCH_SCREEN,
    VIEWER,
    DemoSchool,
    Problems,
    sign_in,
)
from playwright.sync_api import Browser, Page, ViewportSize, expect

from emp_edge.store.devices import DeviceKind, DeviceState, report

VILNIUS = ZoneInfo("Europe/Vilnius")
WRONG = "ne-tas-slaptažodis"


def submit_login(page: Page, username: str, password: str) -> int:
    """Fill in the login form and send it; returns the HTTP status of the page it led to."""
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("section.login button[type=submit]").click()
    response = navigation.value
    assert response is not None
    return response.status


# ------------------------------------------------------------------ 1. signing in


def test_sign_in_in_lithuanian_wrong_password_then_right(page: Page, school: DemoSchool) -> None:
    page.goto(school.at("/"))
    assert page.url.startswith(school.at("/login")), "a visitor is sent to the login page"
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    expect(page.locator("section.login button[type=submit]")).to_have_text("Prisijungti")
    expect(page.get_by_role("button", name="Prisijungti")).to_be_visible()

    assert submit_login(page, ADMIN.username, "ne-tas") == 401
    expect(page.locator("[data-test=login-error]")).to_have_text(
        "Neteisingas naudotojo vardas arba slaptažodis."
    )
    expect(page.locator("#username")).to_have_value(ADMIN.username)
    expect(page.locator("[data-test=signed-in-as]")).to_have_count(0)

    assert submit_login(page, ADMIN.username, PASSWORD) == 200
    assert page.url == school.at("/")
    expect(page.locator("[data-test=signed-in-as]")).to_have_text(ADMIN.full_name)
    expect(page.locator("main h1")).to_have_text(SCHOOL_NAME)
    expect(page.get_by_role("button", name="Atsijungti")).to_be_visible()


# ------------------------------------------------------------------ 2. language


def test_language_switch_is_remembered_for_the_user(
    page: Page, chromium: Browser, school: DemoSchool
) -> None:
    sign_in(page, school, SWITCHER)
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("nav.menu")).to_contain_text("Overview")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert "/login" in page.url

    later = chromium.new_context(viewport=TOUCH_SCREEN)
    try:
        again = later.new_page()
        sign_in(again, school, SWITCHER)
        expect(again.locator("html")).to_have_attribute("lang", "en")
        expect(again.get_by_role("button", name="Sign out")).to_be_visible()
        expect(again.locator("header button[value=en]")).to_have_attribute("aria-pressed", "true")

        with again.expect_navigation():
            again.locator("header").get_by_role("button", name="LT", exact=True).click()
        expect(again.locator("html")).to_have_attribute("lang", "lt")
        expect(again.get_by_role("button", name="Atsijungti")).to_be_visible()
        expect(again.locator("nav.menu")).to_contain_text("Apžvalga")
        assert again.url == school.at("/"), "the switch comes back to the page it was pressed on"
    finally:
        later.close()


# ------------------------------------------------------------------ 3. pupils search


def test_search_finds_a_pupil_without_lithuanian_letters_and_a_class(
    page: Page, school: DemoSchool
) -> None:
    sign_in(page, school, ADMIN)
    page.goto(school.at("/pupils/"))
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    box = page.get_by_role("searchbox")
    box.fill("zukauskas")
    with page.expect_navigation():
        box.press("Enter")
    rows = page.locator("table.pupils tbody tr")
    expect(rows.first).to_be_visible()
    names = rows.locator("td:nth-child(1)").all_inner_texts()
    assert names, "the search found nobody"
    assert all(name.startswith(SURNAME + " ") for name in names), names
    expect(page.locator("table.pupils")).to_contain_text(SURNAME)

    box = page.get_by_role("searchbox")
    expect(box).to_have_value("zukauskas")
    box.fill("5a")
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").click()
    classes = page.locator("table.pupils tbody tr td:nth-child(2)").all_inner_texts()
    assert classes, "class 5a is empty"
    assert set(classes) == {"5a"}, classes
    expect(page.locator("[data-test=pupil-total]")).to_contain_text(str(len(classes)))


# ------------------------------------------------------------------ 4. rights


def test_a_viewer_is_refused_a_managers_page_and_sees_no_users_menu(
    page: Page, school: DemoSchool
) -> None:
    sign_in(page, school, VIEWER)
    menu = page.locator("nav.menu")
    expect(menu.locator("a[href='/pupils/']")).to_be_visible()
    expect(menu.locator("a[href='/users/']")).to_have_count(0)
    expect(menu).not_to_contain_text("Naudotojai")
    expect(page.locator("a.button[href='/pupils/import']")).to_have_count(0)

    response = page.goto(school.at("/pupils/import"))
    assert response is not None
    assert response.status == 403
    expect(page).to_have_title(re.compile("^Neleidžiama"))
    expect(page.locator("main h1")).to_have_text("Neleidžiama")
    problem = page.locator("section.problem")
    expect(problem).to_have_attribute("data-status", "403")
    expect(problem).to_contain_text("mokinio asmens duomenys")
    expect(problem).to_contain_text("tvarkytojas")

    page.goto(school.at("/pupils/"))
    expect(page.locator("a.button[href='/pupils/import']")).to_have_count(0)


# ------------------------------------------------------------------ 5. lockout


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(
    page: Page, school: DemoSchool
) -> None:
    page.goto(school.at("/login"))
    for attempt in range(1, 10):
        assert submit_login(page, LOCKED.username, WRONG) == 401, attempt
        expect(page.locator("[data-test=login-error]")).to_have_text(
            "Neteisingas naudotojo vardas arba slaptažodis."
        )
    assert submit_login(page, LOCKED.username, WRONG) == 429
    locked = page.locator("[data-test=login-error]").inner_text()
    found = re.search(r"užrakinta iki (\d\d):(\d\d)", locked)
    assert found, locked
    expected = datetime.now(VILNIUS) + timedelta(minutes=15)
    apart = (int(found[1]) * 60 + int(found[2]) - expected.hour * 60 - expected.minute) % 1440
    assert min(apart, 1440 - apart) <= 1, (locked, expected)  # minutes, across midnight too

    assert submit_login(page, LOCKED.username, PASSWORD) == 429
    expect(page.locator("[data-test=login-error]")).to_have_text(locked)
    expect(page.locator("[data-test=signed-in-as]")).to_have_count(0)
    page.goto(school.at("/"))
    assert "/login" in page.url


# ------------------------------------------------------------------ 6. live dashboard


def test_dashboard_shows_a_new_device_fault_without_a_reload(
    page: Page, school: DemoSchool
) -> None:
    sign_in(page, school, ADMIN)
    devices = page.locator("table.devices")
    expect(page.locator("[data-live-source]")).to_have_attribute("data-live-state", "open")
    expect(devices).not_to_contain_text("valgykla-1")
    page.evaluate("window.__marker = 1")

    report(school.store, "valgykla-1", DeviceKind.READER, DeviceState.ERROR, "nėra ryšio")

    row = devices.locator("tbody tr", has_text="valgykla-1")
    expect(row).to_contain_text("nėra ryšio", timeout=5_000)
    expect(row).to_have_class("state-error")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"
    expect(page.locator("[data-live-empty=devices]")).to_be_hidden()


# ------------------------------------------------------------------ 7. screen sizes


@pytest.mark.parametrize("viewport", [TOUCH_SCREEN, DESKTOP], ids=["1280x800", "1920x1080"])
def test_pages_fit_the_screen_without_horizontal_scrolling(
    page: Page, school: DemoSchool, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, school, ADMIN)
    for path in ("/", "/pupils/", "/users/"):
        response = page.goto(school.at(path))
        assert response is not None
        assert response.status == 200, path
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways at {viewport}: {widths}"


# ------------------------------------------------------------------ 8. console and CSP


def test_main_pages_have_no_console_errors_or_csp_violations(
    page: Page, problems: Problems, school: DemoSchool
) -> None:
    page.goto(school.at("/login"))
    seen = problems.csp_violations()
    sign_in(page, school, ADMIN)
    seen += problems.csp_violations()
    links = page.locator("nav.menu a").evaluate_all("links => links.map(a => a.href)")
    assert school.at("/users/") in links, links
    page.goto(school.at("/pupils/?q=" + SURNAME))
    pupil = page.locator("table.pupils tbody a").first.get_attribute("href")
    assert pupil
    forms = [school.at("/users/new"), school.at("/pupils/import")]
    for address in [*links, school.at(pupil), *forms]:
        response = page.goto(address)
        assert response is not None
        assert response.status == 200, address
        page.wait_for_timeout(200)  # let the page's script run and its live stream connect
        seen += problems.csp_violations()
    assert problems.seen + seen == []


def test_page_icon(page: Page, school: DemoSchool) -> None:
    page.goto(school.at("/login"))
    icon = page.locator("link[rel~=icon]")
    address = (
        icon.first.evaluate("link => link.href") if icon.count() else school.at("/favicon.ico")
    )
    if not address.startswith("data:"):
        response = page.request.get(address)
        assert response.status == 200, address
