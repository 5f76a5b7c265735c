"""The admin pages: pupil search among 10,000 pupils and signing in, each against a bare baseline.

Search: a made-up school of 10,000 pupils is imported through the real importer, then a viewer
of personal data searches for name prefixes and classes through the whole WSGI app (session,
rights check, the FTS query, the audit row of the view, the page) with Flask's test client. The
baseline is the same search query on a bare sqlite3 connection. Login: an argon2 verify with the
store's hasher, against a full POST /login. Rounds alternate, so a noisy neighbour hurts both.
"""

from __future__ import annotations

import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from itertools import cycle
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from emp_edge.config import load_settings
from emp_edge.demo_school import BOYS, GIRLS, SURNAMES, make_classlist
from emp_edge.domain.access import Area, Level
from emp_edge.domain.clock import FixedClock
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.accounts import HASHER, Details, NewUser, add_user
from emp_edge.store.pupil_pages import read_query, search_pupils
from emp_edge.web import create_app

PUPILS = 10_000
PASSWORD = "Bench-slaptažodis-2026"
ROUNDS = 10
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VILNIUS = ZoneInfo("Europe/Vilnius")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _queries() -> list[str]:
    """Name prefixes (with and without accents, any case), classes, both, and no query."""
    names = [*BOYS, *GIRLS, *(s for pair in SURNAMES for s in pair)]
    found: list[str] = []
    for number, name in enumerate(names):
        size = 2 + number % 4
        prefix = name[:size]
        found.append(prefix.lower() if number % 3 else prefix.upper())
    folded = str.maketrans("ąčęėįšųūžĄČĘĖĮŠŲŪŽ", "aceeisuuzACEEISUUZ")
    found += [n[:4].translate(folded).lower() for n in names[::3]]
    found += ["1a", "5 B", "8b", "IIa", "IVa", "7", "zuk 5a", "jon 3b", "ona petr", "kaz ia"]
    found += ["", "a", "s"]  # the whole list, and prefixes that match thousands
    return found


def _expect(condition: bool, what: str) -> None:
    """A benchmark of something broken measures nothing: stop with what went wrong."""
    if not condition:
        raise RuntimeError(what)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _setup(folder: Path) -> tuple[Services, Flask]:
    clock = FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS), tz=VILNIUS)
    store = Store(folder / "data" / "emp-edge.db", clock)
    store.migrate()
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(folder / "data")})
    services = Services(settings=settings, store=store, clock=clock)
    classlist = folder / "classlist.csv"
    make_classlist(classlist, pupils=PUPILS, school_year=2026)
    school = School(settings["school.code"], settings["school.name"])
    report = import_classlist(store, classlist, school)
    _expect(report.ok, "the class list did not import")
    _expect(report.created == PUPILS, "the class list did not make every pupil")
    classlist.unlink()
    with store.transaction() as tx:
        for username, level in (("viewer", Level.VIEWER), ("officer", Level.MANAGER)):
            add_user(
                tx,
                NewUser(
                    username=username,
                    password=PASSWORD,
                    details=Details("Ona", "Bandymaitė", valid_from=date(2025, 9, 1)),
                    levels={Area.PERSONAL_DATA: level},
                ),
            )
    app = create_app(services, {"SECRET_KEY": "b" * 32})
    return services, app


def _login(client: FlaskClient, username: str) -> int:
    """Sign in as a browser does: the form first (for its CSRF token), then the POST."""
    page = client.get("/login").get_data(as_text=True)
    found = _TOKEN.search(page)
    if found is None:
        raise RuntimeError("no CSRF token on the login page")
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": found[1]}
    )
    return response.status_code


def _search_figures(services: Services, app: Flask, folder: Path, quick: bool) -> dict[str, float]:
    per_round = 30 if quick else 200
    client = app.test_client()
    _expect(_login(client, "viewer") == 302, "the viewer could not sign in")
    bare = sqlite3.connect(folder / "data" / "emp-edge.db")
    queries = cycle(_queries())
    web_ms: list[float] = []
    sql_ms: list[float] = []
    for round_number in range(ROUNDS + 1):  # round 0 warms both up and is not counted
        if round_number == 1:
            web_ms.clear()
            sql_ms.clear()
        batch = [next(queries) for _ in range(per_round)]
        for text in batch:

            def page(text: str = text) -> None:
                response = client.get("/pupils/", query_string={"q": text})
                _expect(response.status_code == 200, f"search answered {response.status_code}")
                response.get_data()

            web_ms.append(_timed(page))
        for text in batch:
            sql_ms.append(_timed(partial(search_pupils, bare, read_query(text), limit=50)))
    bare.close()
    web_p50, web_p95 = statistics.median(web_ms), _percentile(web_ms, 0.95)
    sql_p50, sql_p95 = statistics.median(sql_ms), _percentile(sql_ms, 0.95)
    return {
        "web_search_p50_ms": round(web_p50, 3),
        "web_search_p95_ms": round(web_p95, 3),
        "search_sql_p50_ms": round(sql_p50, 4),
        "search_sql_p95_ms": round(sql_p95, 4),
        "web_search_vs_sql_ratio": round(web_p50 / sql_p50, 2),
        "web_search_samples": len(web_ms),
        "web_search_pupils": PUPILS,
    }


def _login_figures(services: Services, app: Flask, quick: bool) -> dict[str, float]:
    per_round = 2 if quick else 5
    stored = services.store.conn.execute(
        "SELECT password_hash FROM users WHERE username = 'officer'"
    ).fetchone()[0]
    verify_ms: list[float] = []
    login_ms: list[float] = []
    for round_number in range(ROUNDS + 1):
        if round_number == 1:
            verify_ms.clear()
            login_ms.clear()
        for _ in range(per_round):
            verify_ms.append(_timed(partial(HASHER.verify, stored, PASSWORD)))
        for _ in range(per_round):
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            found = _TOKEN.search(page)
            if found is None:
                raise RuntimeError("no CSRF token on the login page")
            form = {"username": "officer", "password": PASSWORD, "csrf_token": found[1]}

            def post(client: FlaskClient = client, form: dict[str, str] = form) -> None:
                status = client.post("/login", data=form).status_code
                _expect(status == 302, f"sign-in answered {status}")

            login_ms.append(_timed(post))
    verify_p50 = statistics.median(verify_ms)
    login_p50 = statistics.median(login_ms)
    return {
        "web_login_ms": round(login_p50, 2),
        "argon2_verify_ms": round(verify_p50, 2),
        "web_login_vs_argon2_ratio": round(login_p50 / verify_p50, 3),
        "web_login_samples": len(login_ms),
    }


def run(quick: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as tmp:
        folder = Path(tmp)
        services, app = _setup(folder)
        try:
            figures = _search_figures(services, app, folder, quick)
            figures.update(_login_figures(services, app, quick))
        finally:
            services.store.close()
    return figures
