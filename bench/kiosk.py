"""Tap to screen: from a tap published on the bus to the kiosk page's DOM showing it.

The app is served by waitress on a free port of 127.0.0.1, as ``emp-edge run`` serves it, and
the Debian Chromium (headless) opens a terminal's kiosk screen. For each sample a TapDecided
is published on the app's bus; a MutationObserver in the page calls back into Python through
Playwright's ``expose_binding`` when the screen carries the tap's event id, and both moments
are taken in Python with ``time.perf_counter_ns``: the figure is publish → DOM updated, the
server's event stream and the page's script included.

The baseline is the same DOM change made by Playwright itself (``page.evaluate``), seen by the
same observer: what the measuring path costs with no server and no stream. Samples alternate,
so a noisy neighbour hurts both.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright

from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import TapDecided
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TERMINAL = "valgykla-1"  # a terminal of the default terminal.readers
VILNIUS = ZoneInfo("Europe/Vilnius")
#: a sample that takes longer than this failed: the screen never showed the tap
DEADLINE_S = 10.0
#: the kiosk stream's heartbeat here (after this much silence): short, so that the stream of
#: a browser that has closed ends at its next writes, before the server stops
HEARTBEAT_S = 0.2

#: calls window.kioskShown(event id) whenever the screen shows another tap
OBSERVER = """
() => {
  const screen = document.querySelector("[data-kiosk-source]");
  new MutationObserver(() => window.kioskShown(screen.dataset.eventId)).observe(
    screen, { attributes: true, attributeFilter: ["data-event-id"] }
  );
}
"""
BARE_CHANGE = """
(id) => { document.querySelector("[data-kiosk-source]").dataset.eventId = id; }
"""


def _expect(condition: bool, what: str) -> None:
    """A benchmark of something broken measures nothing: stop with what went wrong."""
    if not condition:
        raise RuntimeError(what)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _services(folder: Path) -> Services:
    clock = FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS), tz=VILNIUS)
    store = Store(folder / "data" / "emp-edge.db", clock, create=True)
    store.migrate()
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(folder / "data")})
    return Services(settings=settings, store=store, clock=clock)


def _serve(services: Services) -> tuple[str, Callable[[], None]]:
    from waitress import create_server

    app = create_app(
        services,
        {
            "SECRET_KEY": "k" * 32,
            "KIOSK_LIFETIME_SECONDS": 3600.0,
            "KIOSK_HEARTBEAT_SECONDS": HEARTBEAT_S,
        },
    )
    server = create_server(
        app, host="127.0.0.1", port=0, threads=8, ident="emp-edge", channel_request_lookahead=1
    )
    thread = threading.Thread(target=_run_until_closed, args=(server,), daemon=True)
    thread.start()

    def stop() -> None:
        # the browser is gone; its stream notices when it next writes (a heartbeat or two)
        time.sleep(3 * HEARTBEAT_S)
        server.closing = True
        server.close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.effective_port}", stop


def _run_until_closed(server: Any) -> None:
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise


def _wait(page: Page, seen: dict[str, int], event_id: str) -> int:
    """When the screen showed ``event_id`` (perf_counter_ns), waiting for it if need be."""
    deadline = time.monotonic() + DEADLINE_S
    while event_id not in seen:
        _expect(time.monotonic() < deadline, f"the screen never showed {event_id}")
        page.wait_for_timeout(1)  # lets Playwright deliver the page's call
    return seen[event_id]


def _tap(number: int) -> TapDecided:
    return TapDecided(
        terminal=TERMINAL,
        event_id=f"bench-{number}",
        at=datetime.now(VILNIUS),
        result=TapResult.ACCEPTED,
        reason=TapReason.OK,
        pupil_name="Žygimantas Šimkus",
        class_label="5b",
        shown={"balance": "12,50 €"},
    )


def tap_to_screen_ms(samples: int = 30) -> dict[str, float]:
    """Publish → kiosk DOM updated, p50 and p95 in ms, with the bare DOM change as baseline."""
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        services = _services(Path(tmp))
        url, stop = _serve(services)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    tap_ms, bare_ms = _measure(browser.new_page(), url, services, samples)
                finally:
                    browser.close()
        finally:
            stop()
            services.store.close()
    tap_p50, bare_p50 = statistics.median(tap_ms), statistics.median(bare_ms)
    return {
        "tap_to_screen_p50_ms": round(tap_p50, 2),
        "tap_to_screen_p95_ms": round(_percentile(tap_ms, 0.95), 2),
        "kiosk_bare_dom_p50_ms": round(bare_p50, 2),
        "kiosk_bare_dom_p95_ms": round(_percentile(bare_ms, 0.95), 2),
        "kiosk_tap_vs_bare_ratio": round(tap_p50 / bare_p50, 2),
        "kiosk_tap_samples": len(tap_ms),
    }


def _measure(
    page: Page, url: str, services: Services, samples: int
) -> tuple[list[float], list[float]]:
    seen: dict[str, int] = {}

    def shown(source: Any, event_id: str) -> None:
        seen.setdefault(event_id, time.perf_counter_ns())

    page.expose_binding("kioskShown", shown)
    response = page.goto(f"{url}/kiosk/{TERMINAL}")
    _expect(response is not None and response.status == 200, "the kiosk page did not open")
    page.wait_for_selector("[data-connection=open]", timeout=DEADLINE_S * 1000)
    page.evaluate(OBSERVER)
    tap_ms: list[float] = []
    bare_ms: list[float] = []
    for number in range(samples + 1):  # sample 0 warms both up and is not counted
        news = _tap(number)
        started = time.perf_counter_ns()
        services.bus.publish(news)
        tap_ms.append((_wait(page, seen, news.event_id) - started) / 1e6)
        bare_id = f"bare-{number}"
        started = time.perf_counter_ns()
        page.evaluate(BARE_CHANGE, bare_id)
        bare_ms.append((_wait(page, seen, bare_id) - started) / 1e6)
    return tap_ms[1:], bare_ms[1:]


def run(quick: bool) -> dict[str, float]:
    """For bench/run.py."""
    return tap_to_screen_ms(10 if quick else 30)


if __name__ == "__main__":
    print(tap_to_screen_ms())
