"""The till screen in a real browser: staff pick items, a card tapped through the tap simulator
runs the real terminal role, and the screen shows the sale, a diet note that stays until
"Acknowledged", a second free meal refused with when and where it was served, a receipt that
did not print, and the pupil's photo where the school switched photos on.

The demo school's canteen is used as the demo makes it, at 12:03 on a school day (lunch).
"""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from demo_site import DemoSchool, Problems, open_school, serve_until_closed
from PIL import Image
from playwright.sync_api import Locator, Page, ViewportSize, expect

from emp_edge.app import build_terminals, ensure_master_key, web_app
from emp_edge.demo_school import demo_role, issue_demo_cards, stock_demo_canteen
from emp_edge.domain.clock import FixedClock
from emp_edge.events import ReceiptPrinted
from emp_edge.services import Services
from emp_edge.store.canteen_till import balance, till_state
from emp_edge.terminal.simulator import TapSimulator

VILNIUS = ZoneInfo("Europe/Vilnius")
GREEN = "rgb(31, 122, 58)"
RED = "rgb(179, 38, 30)"
SEVEN_INCH: ViewportSize = {"width": 800, "height": 480}
READERS = ["valgykla-1 canteen simulated", "valgykla-2 canteen simulated"]


@dataclasses.dataclass(frozen=True)
class Pupil:
    pupil_id: int
    card_id: int
    name: str
    class_label: str


@dataclasses.dataclass
class Till:
    """The served school, its till settings, and what the demo's pupils are like."""

    school: DemoSchool
    url: str

    def at(self, path: str) -> str:
        return self.url.rstrip("/") + "/" + path.lstrip("/")

    def pupil(self, role: str, skip: int = 0) -> Pupil:
        """A demo pupil of this canteen role with an issued card (``skip`` passes some by)."""
        conn = self.school.store.conn
        rows = conn.execute(
            "SELECT p.id, c.id, p.first_name || ' ' || p.last_name, k.label FROM pupils p"
            " JOIN cards c ON c.pupil_id = p.id AND c.state = 'issued'"
            " JOIN classes k ON k.id = p.class_id ORDER BY p.id, c.id"
        ).fetchall()
        order = [r[0] for r in conn.execute("SELECT id FROM pupils ORDER BY id")]
        found = [Pupil(*row) for row in rows if demo_role(order.index(row[0])) == role]
        return found[skip]

    def tap(self, terminal: str, pupil: Pupil) -> None:
        answer = httpx.post(
            self.at("/simulator/taps"),
            json={"terminal": terminal, "card_id": pupil.card_id},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text


def serve(services: Services, simulator: TapSimulator | None) -> tuple[str, Callable[[], None]]:
    """Serve the pages with the tap simulator on a free port: the address, and how to stop."""
    from waitress import create_server

    app = web_app(services, {"KIOSK_HEARTBEAT_SECONDS": 1.0}, simulator=simulator)
    server = create_server(
        app, host="127.0.0.1", port=0, threads=8, ident="emp-edge", channel_request_lookahead=1
    )
    thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
    thread.start()

    def stop() -> None:
        server.closing = True
        server.close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.effective_port}/", stop


@pytest.fixture(scope="module")
def till(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Till]:
    """The demo school at lunch time, two tills with simulated readers and the real roles."""
    today = datetime.now(VILNIUS).date()
    clock = FixedClock(datetime.combine(today, time(12, 3), VILNIUS), tz=VILNIUS)
    demo = open_school(Path(tmp_path_factory.mktemp("till")), pupils=40, clock=clock)
    issue_demo_cards(demo.store, today)
    stock_demo_canteen(demo.store, today)
    settings = demo.services.settings.replace(
        roles=["web", "terminal"], terminal__readers=READERS, canteen__till_photo="on"
    )
    services = dataclasses.replace(demo.services, settings=settings)
    ensure_master_key(settings)
    terminals = build_terminals(services)
    terminals.start()
    url, stop = serve(services, terminals.simulator)
    yield Till(dataclasses.replace(demo, services=services), url)
    stop()
    terminals.stop()
    demo.stop()


def open_till(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    expect(page.locator("[data-test=kiosk]")).to_have_attribute("data-connection", "open")
    expect(page.locator("[data-test=sells]")).not_to_be_empty()


def fits(page: Page) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth,"
        " document.documentElement.scrollHeight, window.innerHeight]"
    )
    assert sizes[0] <= sizes[1], f"the till scrolls sideways: {sizes}"
    assert sizes[2] <= sizes[3], f"the till scrolls down: {sizes}"
    # nor does anything run out of its part of the screen (they clip what does not fit)
    for part in ("[data-test=kiosk] .counter", "[data-test=till-panel]"):
        inside = page.locator(part).evaluate("el => [el.scrollHeight, el.clientHeight]")
        assert inside[0] <= inside[1], f"{part} does not fit: {inside}"


def item(page: Page, name: str) -> Locator:
    return page.locator("[data-test=item]", has_text=name)


def test_staff_pick_items_a_tap_buys_them_and_the_balance_after_shows(
    page: Page, problems: Problems, till: Till
) -> None:
    open_till(page, till.at("/kiosk/valgykla-1"))
    kiosk = page.locator("[data-test=kiosk]")
    # the items as the demo sells them, meals marked; nothing picked: the lunch is sold
    expect(page.locator("[data-test=item]")).to_have_count(7)
    expect(page.locator("[data-test=item].meal")).to_have_count(3)
    expect(item(page, "Pietūs")).to_contain_text("2,50 €")
    expect(page.locator("[data-test=sells]")).to_contain_text("Pietūs")
    expect(page.locator("[data-test=sells]")).to_contain_text("2,50 €")

    item(page, "Bandelė su varške").click()
    item(page, "Sultys").click()
    item(page, "Bandelė su varške").click()
    picked = page.locator("[data-test=picked] li")
    expect(picked).to_have_count(3)
    expect(page.locator("[data-test=total]")).to_contain_text("2,50 €")
    expect(page.locator("[data-test=sells]")).to_be_hidden()
    page.reload()  # the picks are the till's, in the database
    expect(picked).to_have_count(3)
    page.locator("[data-test=clear]").click()
    expect(picked).to_have_count(0)
    expect(page.locator("[data-test=sells]")).to_be_visible()
    item(page, "Sultys").click()
    item(page, "Sumuštinis su sūriu").click()
    expect(picked).to_have_count(2)
    expect(page.locator("[data-test=total]")).to_contain_text("2,20 €")

    pupil = till.pupil("plain")
    before = balance(till.school.store.conn, pupil.pupil_id)
    till.tap("valgykla-1", pupil)
    expect(kiosk).to_have_attribute("data-state", "accepted")
    expect(kiosk).to_have_css("background-color", GREEN)
    expect(page.locator("[data-test=name]")).to_have_text(pupil.name)
    expect(page.locator("[data-test=class]")).to_have_text(pupil.class_label)
    sold = page.locator("[data-test=sold] li")
    expect(sold).to_have_count(2)
    expect(sold.nth(0)).to_contain_text("Sultys")
    expect(sold.nth(0)).to_contain_text("0,90 €")
    expect(sold.nth(1)).to_contain_text("Sumuštinis su sūriu")
    expect(page.locator("[data-test=shown] [data-test=paid]")).to_have_text("2,20 €")
    after = f"{(before - 220) // 100},{(before - 220) % 100:02d} €"
    expect(page.locator("[data-test=shown] [data-test=balance]")).to_have_text(after)
    expect(page.locator("[data-test=message]")).not_to_be_empty()
    expect(picked).to_have_count(0)  # the sale used the picks up
    assert balance(till.school.store.conn, pupil.pupil_id) == before - 220

    # the receipt printer was out of paper: the screen says so, the sale stands
    event_id = kiosk.get_attribute("data-event-id")
    assert event_id
    till.school.services.bus.publish(ReceiptPrinted("valgykla-1", event_id, False, "no paper"))
    expect(page.locator("[data-test=receipt-failed]")).to_be_visible()
    till.school.services.bus.publish(ReceiptPrinted("valgykla-1", "another-tap", False))
    expect(kiosk).to_have_attribute("data-state", "idle")  # after kiosk.result_seconds
    expect(page.locator("[data-test=idle]")).to_be_visible()
    assert problems.seen + problems.csp_violations() == []


def test_a_diet_note_stays_until_staff_acknowledge_it(
    page: Page, problems: Problems, till: Till
) -> None:
    page.set_viewport_size(SEVEN_INCH)
    open_till(page, till.at("/kiosk/valgykla-1"))
    kiosk = page.locator("[data-test=kiosk]")
    note = page.locator("[data-test=diet-note]")
    noted = till.pupil("note")
    diet = till.school.store.conn.execute(
        "SELECT diet_note FROM pupils WHERE id = ?", (noted.pupil_id,)
    ).fetchone()[0]
    assert diet
    till.tap("valgykla-1", noted)
    expect(kiosk).to_have_attribute("data-state", "accepted")
    expect(note).to_be_visible()
    expect(page.locator("[data-test=note-text]")).to_have_text(diet)
    expect(page.locator("[data-test=note-name]")).to_have_text(noted.name)
    fits(page)
    expect(kiosk).to_have_attribute("data-state", "idle")  # the result goes, the note stays
    expect(note).to_be_visible()
    expect(page.locator("[data-test=idle]")).to_be_hidden()

    page.reload()  # a reloaded screen still holds the note
    expect(note).to_be_visible()
    expect(page.locator("[data-test=note-text]")).to_have_text(diet)
    expect(page.locator("[data-test=note-class]")).to_have_text(noted.class_label)

    other = till.pupil("plain", skip=1)
    till.tap("valgykla-1", other)  # refused: the note first
    expect(kiosk).to_have_attribute("data-state", "denied")
    expect(kiosk).to_have_attribute("data-reason", "note_pending")
    expect(kiosk).to_have_css("background-color", RED)
    expect(note).to_be_visible()
    fits(page)

    page.locator("[data-test=acknowledge]").click()
    expect(note).to_be_hidden()
    assert till_state(till.school.store.conn, "valgykla-1").held_by is None
    till.tap("valgykla-1", other)
    expect(kiosk).to_have_attribute("data-reason", "ok")
    expect(page.locator("[data-test=name]")).to_have_text(other.name)
    expect(note).to_be_hidden()
    assert problems.seen + problems.csp_violations() == []


def test_a_second_free_meal_says_when_and_at_which_till(
    page: Page, problems: Problems, till: Till
) -> None:
    second = page.context.new_page()
    second_problems = Problems(second)
    open_till(page, till.at("/kiosk/valgykla-1"))
    open_till(second, till.at("/kiosk/valgykla-2"))
    entitled = till.pupil("entitled")
    till.tap("valgykla-1", entitled)
    expect(page.locator("[data-test=kiosk]")).to_have_attribute("data-reason", "ok")
    free = page.locator("[data-test=sold] li.free")
    expect(free).to_have_count(1)
    expect(free).to_contain_text("Pietūs")

    till.tap("valgykla-2", entitled)
    screen = second.locator("[data-test=kiosk]")
    expect(screen).to_have_attribute("data-state", "denied")
    expect(screen).to_have_attribute("data-reason", "already_served")
    expect(second.locator("[data-test=message]")).to_contain_text("12:03")
    expect(second.locator("[data-test=message]")).to_contain_text("valgykla-1")
    expect(second.locator("[data-test=shown] [data-test=balance]")).to_contain_text("€")
    fits(second)
    assert problems.seen + problems.csp_violations() == []
    assert second_problems.seen + second_problems.csp_violations() == []


def test_the_photo_shows_where_the_school_switched_it_on(
    page: Page, problems: Problems, till: Till
) -> None:
    pupil = till.pupil("plain", skip=2)
    out = io.BytesIO()
    Image.new("RGB", (318, 354), (90, 140, 200)).save(out, "JPEG")
    with till.school.store.transaction(require_event=False) as tx:
        tx.execute(
            "INSERT INTO pupil_photos (pupil_id, jpeg, added_at) VALUES (?, ?, ?)",
            (pupil.pupil_id, out.getvalue(), tx.now()),
        )
    open_till(page, till.at("/kiosk/valgykla-2"))
    till.tap("valgykla-2", pupil)
    photo = page.locator("[data-test=photo]")
    expect(photo).to_be_visible()
    expect(page.locator("[data-test=name]")).to_have_text(pupil.name)
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 318
    assert problems.seen + problems.csp_violations() == []
