"""Browser tests: the Debian Chromium, driven by Playwright, on a demo school served over HTTP.

One server and one browser per test process (they take a few seconds to start); each test gets
a fresh browser context, so fresh cookies. Helpers are in ``demo_site.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_site import (
    TOUCH_SCREEN,
    ChromiumMissingError,
    DemoSchool,
    Problems,
    launch_chromium,
    open_school,
)
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

#: how long a step may take before the test fails (the suite may share the machine)
STEP_MS = 10_000


def _launch(playwright: Playwright) -> Browser:
    try:
        return launch_chromium(playwright)
    except ChromiumMissingError as missing:
        why = str(missing)
    pytest.fail(why, pytrace=False)  # never a skip: the suite must not pass without the browser


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    expect.set_options(timeout=STEP_MS)
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSchool]:
    running = open_school(Path(tmp_path_factory.mktemp("school")))
    yield running
    running.stop()


@pytest.fixture
def problems_and_page(chromium: Browser) -> Iterator[tuple[Problems, Page]]:
    context = chromium.new_context(
        viewport=TOUCH_SCREEN, locale="lt-LT", timezone_id="Europe/Vilnius"
    )
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    problems = Problems(page)
    yield problems, page
    context.close()


@pytest.fixture
def page(problems_and_page: tuple[Problems, Page]) -> Page:
    """A new tab in a new browser context (no cookies), 1280×800."""
    return problems_and_page[1]


@pytest.fixture
def problems(problems_and_page: tuple[Problems, Page]) -> Problems:
    """What the ``page`` fixture's tab reported: console errors, page errors, CSP violations."""
    return problems_and_page[0]
