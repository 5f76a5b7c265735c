"""The audit trail page: the chain check on top, filters, pages; reading it is audited too."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from visitor import Visitor, every_right, make_user, signed_in

from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store.audit import Entry, record

VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture
def admin(app: Flask, services: Services) -> Visitor:
    make_user(services.store, "admin", admin=True)
    return signed_in(app, "admin")


def _write(services: Services, *entries: Entry) -> list[int]:
    with services.store.transaction(require_event=False) as tx:
        return [record(tx, entry) for entry in entries]


def _shown(page: str) -> list[int]:
    """The row numbers the table shows, top to bottom."""
    return [int(n) for n in re.findall(r'<tr data-row="(\d+)"', page)]


def _chain(page: str) -> tuple[str, str]:
    found = re.search(r'data-chain="(\w+)"(?: data-row="(\d+)")?', page)
    assert found, "no chain check on the page"
    return found[1], found[2] or ""


def test_only_admins_read_the_trail(app: Flask, services: Services) -> None:
    make_user(services.store, "ona", levels=every_right())
    assert signed_in(app, "ona").get("/audit/").status_code == 403
    assert Visitor(app.test_client()).get("/audit/").status_code == 302


def test_the_page_shows_the_chain_intact_and_records_its_own_viewing(
    admin: Visitor, services: Services
) -> None:
    response = admin.get("/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = services.store.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert _chain(page) == ("intact", "")
    assert f"{rows}" in re.search(r'data-chain="intact">([^<]*)<', page)[1]  # type: ignore[index]
    viewed = services.store.conn.execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'audit.viewed'"
    ).fetchall()
    assert viewed == [("admin", "")]
    admin.get("/audit/?actor=ona&since=2026-10-01")
    last = services.store.conn.execute(
        "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert last == ("audit.viewed", "actor, since")


def test_a_broken_chain_is_named_at_the_top(admin: Visitor, services: Services) -> None:
    ids = _write(services, *(Entry("ona", "pupil.viewed", f"pupil:{i}") for i in range(4)))
    assert services.store.path is not None
    raw = sqlite3.connect(services.store.path, isolation_level=None)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET subject = 'pupil:99' WHERE id = ?", (ids[2],))
    raw.close()
    admin.post("/language", {"language": "en", "back": "/"})
    page = admin.get("/audit/").get_data(as_text=True)
    assert _chain(page) == ("broken", str(ids[2]))
    assert f"Broken at row {ids[2]}: its content does not match its hash." in page


@pytest.fixture
def trail(services: Services, clock: FixedClock) -> dict[str, int]:
    """Rows by several people at moments either side of midnight in Vilnius."""
    written: dict[str, int] = {}
    for name, moment, entry in [
        ("early", datetime(2026, 10, 4, 9, 0), Entry("ona", "pupil.viewed", "pupil:1")),
        ("late", datetime(2026, 10, 4, 23, 30), Entry("jonas", "user.added", "user:7")),
        ("night", datetime(2026, 10, 5, 0, 30), Entry("ona", "user.changed", "user:7")),
        ("morning", datetime(2026, 10, 5, 9, 0), Entry("jonas", "pupil.viewed", "pupil:2")),
    ]:
        clock.moment = moment.replace(tzinfo=VILNIUS)
        written[name] = _write(services, entry)[0]
    clock.moment = datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS)
    return written


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=jonas", ["morning", "late"]),
        ("action=user.", ["night", "late"]),
        ("action=pupil&actor=ona", ["early"]),
        ("subject=user:7", ["night", "late"]),
        ("since=2026-10-05&subject=user:7", ["night"]),  # 00:30 in Vilnius, 21:30 UTC
        ("until=2026-10-04&subject=user:7", ["late"]),
        ("until=2026-10-04", ["late", "early"]),
        ("since=2026-10-04&until=2026-10-04&actor=jonas", ["late"]),
        ("actor=nobody", []),
    ],
)
def test_filters(
    app: Flask,
    services: Services,
    trail: dict[str, int],
    query: str,
    expected: list[str],
) -> None:
    make_user(services.store, "admin", admin=True)
    admin = signed_in(app, "admin")  # signs in after the trail, so its own rows come last
    response = admin.get(f"/audit/?{query}")
    assert response.status_code == 200
    assert _shown(response.get_data(as_text=True)) == [trail[name] for name in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=5.10.2026", "since"),
        ("until=2026-13-01", "until"),
        ("since=2026-10-05&until=2026-10-04", "until"),
    ],
)
def test_a_bad_filter_says_so_at_its_field(admin: Visitor, query: str, field: str) -> None:
    response = admin.get(f"/audit/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'data-error-for="{field}"' in page
    assert _shown(page) == []


def test_pages_of_fifty(admin: Visitor, services: Services) -> None:
    ids = _write(services, *(Entry("robot", "pupil.viewed", f"pupil:{i}") for i in range(120)))
    first = admin.get("/audit/?actor=robot").get_data(as_text=True)
    assert _shown(first) == ids[::-1][:50]
    assert "120" in re.search(r'data-test="total">([^<]*)<', first)[1]  # type: ignore[index]
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older
    assert 'rel="prev"' not in first
    second = admin.get(older[1].replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(second) == ids[::-1][50:100]
    assert 'rel="prev"' in second
    third = admin.get("/audit/?actor=robot&page=3").get_data(as_text=True)
    assert _shown(third) == ids[::-1][100:]
    assert 'rel="next"' not in third
    assert admin.get("/audit/?actor=robot&page=x").status_code == 200
