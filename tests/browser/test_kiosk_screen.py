"""The kiosk screen in a real browser: a tap published on the bus turns it green or red with the
pupil's name and why, the reader's state shows as a banner, and it fits the terminal's screen.

The news is published on the running app's own bus, as the terminal part publishes it; the tap
simulator's page is played with a stand-in terminal that publishes what a terminal would.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from demo_site import (
    OFFICER,
    TOUCH_SCREEN,
    DemoSchool,
    Problems,
    open_school,
    serve_until_closed,
    sign_in,
)
from flask import Flask
from playwright.sync_api import Page, ViewportSize, expect

from emp_edge.app import build_terminals, ensure_master_key, web_app
from emp_edge.demo_school import issue_demo_cards, stock_demo_canteen
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import ReaderChanged, TapDecided

VILNIUS = ZoneInfo("Europe/Vilnius")
GREEN = "rgb(31, 122, 58)"
RED = "rgb(179, 38, 30)"
SEVEN_INCH: ViewportSize = {"width": 800, "height": 480}
numbers = iter(range(1, 1_000_000))


def tap(
    terminal: str,
    reason: TapReason = TapReason.OK,
    name: str = "Žygimantas Šimkus",
    class_label: str = "5b",
    **shown: Any,
) -> TapDecided:
    return TapDecided(
        terminal=terminal,
        event_id=f"browser-tap-{next(numbers)}",
        at=datetime.now(VILNIUS),
        result=TapResult.ACCEPTED if reason is TapReason.OK else TapResult.DENIED,
        reason=reason,
        pupil_name=name,
        class_label=class_label,
        shown=shown,
    )


def open_kiosk(page: Page, url: str) -> None:
    """Open a kiosk screen and wait until its event stream is connected."""
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    expect(page.locator("[data-test=kiosk]")).to_have_attribute("data-connection", "open")


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the kiosk scrolls sideways: {widths}"


# ---------------------------------------------------------------- taps


def test_an_accepted_tap_turns_the_screen_green_with_the_name(
    page: Page, problems: Problems, school: DemoSchool
) -> None:
    open_kiosk(page, school.at("/kiosk/valgykla-1"))
    kiosk = page.locator("[data-test=kiosk]")
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    expect(page.locator("[data-test=idle]")).to_have_text("Pridėkite kortelę")
    expect(page.locator("[data-test=result]")).to_be_hidden()

    news = tap("valgykla-1", balance="12,50 €")
    school.services.bus.publish(news)
    expect(kiosk).to_have_attribute("data-event-id", news.event_id)
    expect(kiosk).to_have_attribute("data-state", "accepted")
    expect(page.locator("[data-test=name]")).to_have_text("Žygimantas Šimkus")
    expect(page.locator("[data-test=class]")).to_have_text("5b")
    expect(page.locator("[data-test=message]")).to_have_text("Kortelė galioja")
    expect(page.locator("[data-test=shown] dt")).to_have_text("Likutis")
    expect(page.locator("[data-test=shown] dd")).to_have_text("12,50 €")
    expect(page.locator("[data-test=idle]")).to_be_hidden()
    expect(kiosk).to_have_css("background-color", GREEN)
    no_sideways_scroll(page)

    # after kiosk.result_seconds the screen waits for the next card again
    expect(kiosk).to_have_attribute("data-state", "idle")
    expect(page.locator("[data-test=idle]")).to_be_visible()
    expect(page.locator("[data-test=result]")).to_be_hidden()
    assert problems.seen + problems.csp_violations() == []


def test_a_denied_tap_turns_it_red_with_the_reason_in_lithuanian(
    page: Page, problems: Problems, school: DemoSchool
) -> None:
    open_kiosk(page, school.at("/kiosk/valgykla-1"))
    kiosk = page.locator("[data-test=kiosk]")
    school.services.bus.publish(tap("valgykla-1", TapReason.NOT_GENUINE))
    expect(kiosk).to_have_attribute("data-state", "denied")
    expect(page.locator("[data-test=message]")).to_have_text(
        "Kortelė netikra — tai gali būti kopija"
    )
    expect(kiosk).to_have_css("background-color", RED)

    # the next tap replaces the result at once; an unknown card has no name to show
    school.services.bus.publish(tap("valgykla-1", TapReason.UNKNOWN_CARD, name="", class_label=""))
    expect(page.locator("[data-test=message]")).to_have_text("Nežinoma kortelė")
    expect(page.locator("[data-test=name]")).to_be_hidden()
    expect(page.locator("[data-test=shown]")).to_be_hidden()
    # another terminal's taps are not this screen's
    school.services.bus.publish(tap("burelis-1"))
    school.services.bus.publish(tap("valgykla-1", TapReason.EXPIRED))
    expect(page.locator("[data-test=message]")).to_have_text("Kortelės galiojimas baigėsi")
    expect(kiosk).to_have_attribute("data-state", "denied")
    assert problems.seen + problems.csp_violations() == []


def test_the_offline_banner_shows_while_the_reader_is_offline(
    page: Page, problems: Problems, school: DemoSchool
) -> None:
    bus = school.services.bus
    bus.publish(ReaderChanged("burelis-1", online=False, detail="nerastas PC/SC skaitytuvas"))
    open_kiosk(page, school.at("/kiosk/burelis-1"))  # opened while offline: shown at once
    banner = page.locator("[data-test=reader-offline]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Kortelių skaitytuvas neveikia")
    expect(banner).to_contain_text("nerastas PC/SC skaitytuvas")
    no_sideways_scroll(page)

    bus.publish(ReaderChanged("burelis-1", online=True))
    expect(banner).to_be_hidden()
    bus.publish(ReaderChanged("burelis-1", online=False, detail="USB skaitytuvas atjungtas"))
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("USB skaitytuvas atjungtas")
    bus.publish(ReaderChanged("burelis-1", online=True))
    expect(banner).to_be_hidden()
    assert problems.seen + problems.csp_violations() == []


# ---------------------------------------------------------------- English


def serve(app: Flask) -> tuple[str, Callable[[], None]]:
    """Serve ``app`` with waitress on a free port of 127.0.0.1: its address, and how to stop."""
    from waitress import create_server

    server = create_server(
        app, host="127.0.0.1", port=0, threads=4, ident="emp-edge", channel_request_lookahead=1
    )
    thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
    thread.start()

    def stop() -> None:
        server.closing = True
        server.close()
        thread.join(timeout=5)  # a kiosk stream ends at its next heartbeat

    return f"http://127.0.0.1:{server.effective_port}", stop


#: a kiosk stream whose browser has gone notices at its next heartbeat: soon, in these tests
QUICK_HEARTBEAT = {"KIOSK_HEARTBEAT_SECONDS": 1.0}


@pytest.fixture(scope="module")
def english_kiosk(school: DemoSchool) -> Iterator[str]:
    """The same school served with kiosk.language = "en", on its own port."""
    settings = school.services.settings.replace(kiosk__language="en")
    url, stop = serve(
        web_app(dataclasses.replace(school.services, settings=settings), QUICK_HEARTBEAT)
    )
    yield url
    stop()


def test_kiosk_language_en_shows_english_to_a_lithuanian_browser(
    page: Page, problems: Problems, school: DemoSchool, english_kiosk: str
) -> None:
    open_kiosk(page, english_kiosk + "/kiosk/valgykla-1")  # the browser asks for lt-LT
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-test=idle]")).to_have_text("Put your card on the reader")
    school.services.bus.publish(tap("valgykla-1", TapReason.REPLACED))
    expect(page.locator("[data-test=message]")).to_have_text("Card replaced — this card is blocked")
    expect(page.locator("[data-test=kiosk]")).to_have_attribute("data-state", "denied")
    school.services.bus.publish(ReaderChanged("valgykla-1", online=False, detail="unplugged"))
    expect(page.locator("[data-test=reader-offline]")).to_contain_text(
        "The card reader is not working"
    )
    school.services.bus.publish(ReaderChanged("valgykla-1", online=True))
    expect(page.locator("[data-test=reader-offline]")).to_be_hidden()
    assert problems.seen + problems.csp_violations() == []


# ---------------------------------------------------------------- screen sizes


@pytest.mark.parametrize(
    "viewport",
    [SEVEN_INCH, TOUCH_SCREEN, {"width": 1920, "height": 1080}],
    ids=["800x480", "1280x800", "1920x1080"],
)
def test_the_longest_result_fits_the_screen(
    page: Page, problems: Problems, school: DemoSchool, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    open_kiosk(page, school.at("/kiosk/valgykla-1"))
    no_sideways_scroll(page)
    school.services.bus.publish(
        tap(
            "valgykla-1",
            TapReason.RECORD_MISMATCH,
            name="Aleksandra-Konstancija Žemaitytė-Vaičiulionienė",
            class_label="IIa",
            meal="pietūs",
            group="Jaunieji programuotojai (pažengusieji)",
        )
    )
    expect(page.locator("[data-test=kiosk]")).to_have_attribute("data-state", "denied")
    no_sideways_scroll(page)
    heights = page.evaluate("[document.documentElement.scrollHeight, window.innerHeight]")
    assert heights[0] <= heights[1], f"the kiosk scrolls down: {heights}"
    assert problems.seen + problems.csp_violations() == []


# ---------------------------------------------------------------- the tap simulator


@pytest.fixture(scope="module")
def card_school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSchool]:
    """A small demo school whose pupils have cards with chips, served with the real terminal
    role: a simulated reader at valgykla-1, the card check, the pipeline and the bus. Its
    canteen is the demo's, at lunch time: every pupil can buy the open window's default item."""
    today = datetime.now(VILNIUS).date()
    lunch = FixedClock(datetime.combine(today, time(12, 3), VILNIUS), tz=VILNIUS)
    demo = open_school(Path(tmp_path_factory.mktemp("cards")), pupils=30, clock=lunch)
    issue_demo_cards(demo.store, today)
    stock_demo_canteen(demo.store, today)
    settings = demo.services.settings.replace(
        roles=["web", "terminal"], terminal__readers=["valgykla-1 canteen simulated"]
    )
    services = dataclasses.replace(demo.services, settings=settings)
    ensure_master_key(settings)
    terminals = build_terminals(services)
    terminals.start()
    url, stop = serve(web_app(services, QUICK_HEARTBEAT, simulator=terminals.simulator))
    yield dataclasses.replace(demo, services=services, url=url + "/")
    stop()
    terminals.stop()
    demo.stop()


def test_a_tap_on_the_simulator_page_shows_on_the_kiosk_screen(
    page: Page, problems: Problems, card_school: DemoSchool
) -> None:
    kiosk = page.context.new_page()
    kiosk_problems = Problems(kiosk)
    open_kiosk(kiosk, card_school.at("/kiosk/valgykla-1"))

    sign_in(page, card_school, OFFICER)
    page.goto(card_school.at("/simulator"))
    no_sideways_scroll(page)
    first = page.locator("#card_id option").nth(1)
    label = first.inner_text()
    surname, first_name = label.split(" · ")[0].split(" ", 1)
    page.locator("#card_id").select_option(index=1)
    page.locator("#kind").select_option("genuine")
    with page.expect_navigation():
        page.locator("[data-test=tap]").click()
    expect(page.locator(".flash.success")).to_contain_text("valgykla-1")
    expect(kiosk.locator("[data-test=kiosk]")).to_have_attribute("data-state", "accepted")
    expect(kiosk.locator("[data-test=name]")).to_have_text(f"{first_name} {surname}")

    page.locator("#kind").select_option("clone")
    with page.expect_navigation():
        page.locator("[data-test=tap]").click()
    expect(kiosk.locator("[data-test=kiosk]")).to_have_attribute("data-state", "denied")
    expect(kiosk.locator("[data-test=message]")).to_have_text(
        "Kortelė netikra — tai gali būti kopija"
    )
    assert problems.seen + problems.csp_violations() == []
    assert kiosk_problems.seen + kiosk_problems.csp_violations() == []
