"""A demo school served over real HTTP on 127.0.0.1, and the Debian Chromium that visits it.

Used by the browser tests and by ``screens.py``: the real services on a temporary data folder,
accounts made as the users page makes them, a demo class list imported through the real
importer, and the admin app served by waitress in a daemon thread. Chromium is the Debian
package; nothing is ever downloaded.
"""

from __future__ import annotations

import csv
import re
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, ViewportSize

from emp_edge.app import open_services, web_app
from emp_edge.config import load_settings
from emp_edge.demo_school import make_classlist
from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Level
from emp_edge.domain.clock import Clock
from emp_edge.domain.school import school_year
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.accounts import Details, NewUser, add_user

CHROMIUM = Path("/usr/bin/chromium")
#: the machine may have no network: Chromium must not try to reach anything but our server
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: a 10" touch screen, the smallest screen the pages are made for
TOUCH_SCREEN: ViewportSize = {"width": 1280, "height": 800}
DESKTOP: ViewportSize = {"width": 1920, "height": 1080}

PASSWORD = "Teisingas-slaptažodis-7"
SCHOOL_NAME = "Demonstracinė Šaltinio progimnazija"
#: the pupil the search test looks for (added to the class list when the demo has no such name)
SURNAME = "Žukauskas"


class ChromiumMissingError(RuntimeError):
    """The Debian browser the tests drive is not installed."""


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    position: str
    admin: bool = False
    levels: Mapping[Area, Level] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


EVERY_RIGHT = {area: Level.MANAGER for area in Area}
#: the school's staff; each browser test that changes an account uses its own
ADMIN = Person("direktore", "Rasa", "Mažeikienė", "Direktorė", admin=True, levels=EVERY_RIGHT)
OFFICER = Person(
    "emp",
    "Vytautas",
    "Ūsas",
    "EMP atsakingas asmuo",
    levels={
        Area.PERSONAL_DATA: Level.MANAGER,
        Area.CARDS: Level.MANAGER,
        Area.BLANKS: Level.MANAGER,
    },
)
VIEWER = Person(
    "ona", "Ona", "Žukauskienė", "Klasės vadovė", levels={Area.PERSONAL_DATA: Level.VIEWER}
)
SWITCHER = Person(
    "gintare", "Gintarė", "Šimkutė", "Anglų kalbos mokytoja", levels={Area.LISTS: Level.VIEWER}
)
LOCKED = Person(
    "jurate", "Jūratė", "Čepulienė", "Valgyklos vedėja", levels={Area.LISTS: Level.VIEWER}
)
STAFF = (ADMIN, OFFICER, VIEWER, SWITCHER, LOCKED)


@dataclass
class DemoSchool:
    """The running school: its services (to change data from the test) and its address."""

    services: Services
    url: str
    folder: Path
    server: Any
    thread: threading.Thread

    @property
    def store(self) -> Store:
        return self.services.store

    def at(self, path: str) -> str:
        """The full address of a path on this server."""
        return self.url.rstrip("/") + "/" + path.lstrip("/")

    def stop(self) -> None:
        self.server.closing = True
        self.server.close()
        self.thread.join(timeout=5)
        self.store.close()


def serve_until_closed(server: Any) -> None:
    """Run a waitress server in a thread; once the test sets ``closing`` and closes it, its
    loop may fail on the closed sockets, and that ends the thread quietly."""
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "closing", False):
            raise  # not closed by the test: a real failure


def add_person(store: Store, person: Person, password: str = PASSWORD) -> int:
    today = store.clock.today()
    details = Details(
        first_name=person.first_name,
        last_name=person.last_name,
        valid_from=date(today.year - 1, 9, 1),
        position=person.position,
        institution_name=SCHOOL_NAME,
    )
    with store.transaction() as tx:
        return add_user(
            tx,
            NewUser(
                username=person.username,
                password=password,
                is_admin=person.admin,
                details=details,
                levels=dict(person.levels),
            ),
        )


def ensure_surname(path: Path, year: int) -> None:
    """Add a pupil called Žukauskas (class 5a) to the class list unless it has one already."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    if any(row[1] == SURNAME for row in rows[1:]):
        return
    born = date(year - 11, 3, 14)
    codes = {row[3] for row in rows[1:]}
    serial = 999
    while (code := personal_code.build(born, "M", serial)) in codes:
        serial -= 1
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerow(
            [str(len(rows)), SURNAME, "Žygimantas", code, born.isoformat(), "5a"]
        )


def open_school(
    folder: Path,
    *,
    pupils: int = 60,
    test_config: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
) -> DemoSchool:
    """Build the demo school in ``folder`` and serve it on a free port of 127.0.0.1 (on the
    system's clock unless given another)."""
    from waitress import create_server

    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(folder / "data")}).replace(
        school__name=SCHOOL_NAME
    )
    services = open_services(settings, clock, create=True)
    for person in STAFF:
        add_person(services.store, person)
    year = school_year(services.clock.today())
    classlist = folder / "klasiu-sarasas.csv"
    make_classlist(classlist, pupils=pupils, school_year=year)
    ensure_surname(classlist, year)
    school = School(
        settings["school.code"], settings["school.name"], settings["school.municipality"]
    )
    report = import_classlist(services.store, classlist, school)
    assert not report.errors, report.errors
    app = web_app(services, {"LIVE_INTERVAL_SECONDS": 0.3, **(test_config or {})})
    server = create_server(
        app, host="127.0.0.1", port=0, threads=8, ident="emp-edge", channel_request_lookahead=1
    )
    thread = threading.Thread(
        target=serve_until_closed, args=(server,), name="emp-edge-web", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}/"
    return DemoSchool(services, url, folder, server, thread)


def launch_chromium(playwright: Playwright) -> Browser:
    """The Debian Chromium, headless, kept off the network."""
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        raise ChromiumMissingError(
            f"the browser tests need Chromium at {CHROMIUM}: install the Debian package "
            "'chromium' (./scripts/test does); it is never downloaded by playwright"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def sign_in(page: Page, school: DemoSchool, person: Person, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a person would."""
    page.goto(school.at("/login"))
    page.locator("#username").fill(person.username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("section.login button[type=submit]").click()


#: reports each Content-Security-Policy violation; runs before the page's own scripts
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Problems:
    """Console errors, uncaught page errors and CSP violations seen by one page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.seen: list[str] = []
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        source = message.location.get("url", "")
        where = (
            f"{self.page.url} ({source})" if source and source != self.page.url else self.page.url
        )
        if message.type in ("error", "assert"):
            self.seen.append(f"console {message.type} at {where}: {message.text}")
        elif re.search(r"Content[- ]Security[- ]Policy", message.text, re.IGNORECASE):
            self.seen.append(f"console CSP at {where}: {message.text}")

    def csp_violations(self) -> list[str]:
        """The violations the current document reported so far."""
        found = self.page.evaluate("window.__cspViolations || []")
        return [f"CSP violation at {self.page.url}: {v}" for v in found]
