"""Screenshots of the admin pages (1280×800, Lithuanian) on a demo school with a day's data.

    .venv/bin/python tests/browser/screens.py docs/screenshots

builds a throw-away demo school, serves it on 127.0.0.1, drives the Debian Chromium through the
pages and saves one PNG per page in the folder given. ``test_screens.py`` runs the same code
into a temporary folder, so the script cannot rot.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from demo_site import (
    ADMIN,
    SURNAME,
    TOUCH_SCREEN,
    ChromiumMissingError,
    DemoSchool,
    launch_chromium,
    open_school,
    sign_in,
)
from playwright.sync_api import Browser, Page, sync_playwright

from emp_edge.demo_school import stock_demo_canteen
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import TapDecided
from emp_edge.store.devices import DeviceKind, DeviceState, report

#: file name (without .png) and what the screenshot shows, in the order they are taken
SCREENS = (
    ("login", "the login page"),
    ("dashboard", "the overview with devices and today's counts"),
    ("pupils", "the pupils list"),
    ("pupil", "one pupil's page"),
    ("users", "the users list"),
    ("audit", "the audit trail"),
    ("kiosk", "a terminal's kiosk screen after a good tap"),
    ("kiosk-refused", "the kiosk screen refusing a copied card"),
    ("till", "a canteen till after a free lunch with a paid juice, the next tap's pick ready"),
)


def fill_the_day(school: DemoSchool) -> None:
    """Devices that reported, a few top-ups and sales at the till, one card issued today."""
    store = school.store
    report(store, "valgykla-kasa-1", DeviceKind.TILL, DeviceState.OK, "")
    report(store, "valgykla-1", DeviceKind.READER, DeviceState.OK, "ACS ACR1252U")
    report(store, "nvs-salė-1", DeviceKind.READER, DeviceState.ERROR, "nėra ryšio")
    report(store, "kortelių-spausdintuvas", DeviceKind.PRINTER, DeviceState.WARNING,
           "baigiasi dažų juostelė")  # fmt: skip
    pupils = [
        row[0] for row in store.conn.execute("SELECT id FROM pupils ORDER BY last_name, id LIMIT 7")
    ]
    with store.transaction() as tx:
        for number, pupil in enumerate(pupils):
            for kind, cents in (("topup", 2000), ("sale", -250 - 40 * number)):
                event = tx.emit("ledger.written", {"pupil_id": pupil, "kind": kind, "cents": cents})
                tx.execute(
                    "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
                    " VALUES (?, ?, ?, ?, 'valgykla-kasa-1', ?)",
                    (pupil, kind, cents, tx.now(), event),
                )
    featured = store.conn.execute(
        "SELECT id FROM pupils WHERE last_name = ? ORDER BY id LIMIT 1", (SURNAME,)
    ).fetchone()[0]
    today = store.clock.today()
    with store.transaction() as tx:
        card = tx.execute(
            "INSERT INTO cards (pupil_id, state, requested_on, requested_by, barcode,"
            " registration_number, grade_at_issue, valid_until, personalised_on, issued_on,"
            " received_by, created_at, updated_at)"
            " VALUES (?, 'issued', ?, 'parent', '4770000123457', 'EMP-2026-0042', 5, ?, ?, ?,"
            " 'Rūta Žukauskienė (mama)', ?, ?)",
            (
                featured,
                (today - timedelta(days=12)).isoformat(),
                f"{today.year + (3 if today.month >= 9 else 2)}-08-31",
                (today - timedelta(days=3)).isoformat(),
                today.isoformat(),
                tx.now(),
                tx.now(),
            ),
        ).lastrowid
        tx.execute(
            "INSERT INTO card_events (card_id, from_state, to_state, at) VALUES"
            " (?, 'personalised', 'issued', ?)",
            (card, tx.now()),
        )
        tx.emit("card.recorded", {"card_id": card, "state": "issued"})


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # let the live stream fill the page
    page.screenshot(path=str(path), full_page=False)
    return path


def shoot_kiosk(page: Page, school: DemoSchool, folder: Path) -> list[Path]:
    """The kiosk screen of burelis-1, green for a pupil's card, then red for a copy of it."""
    page.goto(school.at("/kiosk/burelis-1"))
    kiosk = page.locator("[data-test=kiosk]")
    kiosk.and_(page.locator("[data-connection=open]")).wait_for()
    saved = []
    for name, reason in (("kiosk", TapReason.OK), ("kiosk-refused", TapReason.NOT_GENUINE)):
        good = reason is TapReason.OK
        school.services.bus.publish(
            TapDecided(
                terminal="burelis-1",
                event_id=f"screenshot-{name}",
                at=school.services.clock.now(),
                result=TapResult.ACCEPTED if good else TapResult.DENIED,
                reason=reason,
                pupil_name="Žygimantas Žukauskas" if good else "",
                class_label="5a" if good else "",
                shown={"valid_until": "2029-08-31"} if good else {},
            )
        )
        kiosk.and_(page.locator(f"[data-state={'accepted' if good else 'denied'}]")).wait_for()
        saved.append(shoot(page, folder, name))
    return saved


def shoot_till(page: Page, school: DemoSchool, folder: Path) -> Path:
    """The till screen of valgykla-1: a free lunch and a paid juice, and a bun picked next."""
    page.goto(school.at("/kiosk/valgykla-1"))
    kiosk = page.locator("[data-test=kiosk]")
    kiosk.and_(page.locator("[data-connection=open]")).wait_for()
    page.locator("[data-test=item]", has_text="Bandelė su varške").click()
    page.locator("[data-test=picked] li").first.wait_for()
    school.services.bus.publish(
        TapDecided(
            terminal="valgykla-1",
            event_id="screenshot-till",
            at=school.services.clock.now(),
            result=TapResult.ACCEPTED,
            reason=TapReason.OK,
            pupil_name="Žygimantas Žukauskas",
            class_label="5a",
            shown={
                "meal": "Pietūs",
                "items": [
                    {"name": "Pietūs", "price": "0,00 €", "free": True},
                    {"name": "Sultys", "price": "0,90 €", "free": False},
                ],
                "free_meal": True,
                "paid": "0,90 €",
                "balance": "4,10 €",
            },
        )
    )
    kiosk.and_(page.locator("[data-event-id=screenshot-till]")).wait_for()
    return shoot(page, folder, "till")


def take_screens(browser: Browser, school: DemoSchool, folder: Path) -> list[Path]:
    """Visit the pages as the school's administrator and save a PNG of each."""
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport=TOUCH_SCREEN, locale="lt-LT", timezone_id="Europe/Vilnius"
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(school.at("/login"))
        page.locator("#username").fill(ADMIN.username)
        saved = [shoot(page, folder, "login")]
        sign_in(page, school, ADMIN)
        saved.append(shoot(page, folder, "dashboard"))
        page.goto(school.at("/pupils/"))
        saved.append(shoot(page, folder, "pupils"))
        page.goto(school.at("/pupils/?q=" + SURNAME))
        page.locator("table.pupils tbody a").first.click()
        saved.append(shoot(page, folder, "pupil"))
        page.goto(school.at("/users/"))
        saved.append(shoot(page, folder, "users"))
        page.goto(school.at("/audit/"))
        saved.append(shoot(page, folder, "audit"))
        saved += shoot_kiosk(page, school, folder)
        saved.append(shoot_till(page, school, folder))
    finally:
        context.close()
    return saved


def make_screens(browser: Browser, folder: Path) -> list[Path]:
    """A fresh demo school, its day filled in, and the screenshots of its pages."""
    with tempfile.TemporaryDirectory(prefix="emp-edge-screens-") as tmp:
        school = open_school(Path(tmp))
        try:
            stock_demo_canteen(school.store, school.services.clock.today())
            fill_the_day(school)
            return take_screens(browser, school, folder)
        finally:
            school.stop()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: screens.py FOLDER   (for example docs/screenshots)", file=sys.stderr)
        return 2
    with sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except ChromiumMissingError as missing:
            print(f"error: {missing}", file=sys.stderr)
            return 1
        try:
            for path in make_screens(browser, Path(argv[0])):
                print(f"{path}  {path.stat().st_size // 1024} KB")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
