"""Importing a class list from the page: upload, background job, live progress, the same
all-or-nothing result as the command, and the uploaded file gone afterwards."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date, datetime
from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from visitor import Visitor, make_user, signed_in

from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Level
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app
from emp_edge.web.jobs import Jobs
from emp_edge.web.views.pupils import use_classlist_importer

PD = Area.PERSONAL_DATA
HEADER = ["Pavardė", "Vardas", "Asmens kodas", "Gimimo data", "Klasė"]
ROWS = [
    ["Žukauskaitė", "Ąžuolė", personal_code.build(date(2019, 3, 14), "F", 101), "2019-03-14", "1a"],
    ["Šimkus", "Jokūbas", personal_code.build(date(2015, 7, 2), "M", 202), "2015-07-02", "5 B"],
    ["Čepulytė", "Eglė", personal_code.build(date(2011, 11, 30), "F", 303), "2011-11-30", "IIa"],
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def app(services: Services) -> Flask:
    """The app as the composition root wires it, with fast live updates."""
    app = create_app(
        services,
        {"TESTING": True, "SECRET_KEY": "k" * 32, "LIVE_INTERVAL_SECONDS": 0.02},
    )
    settings = services.settings
    school = School(settings["school.code"], settings["school.name"])
    use_classlist_importer(app, partial(import_classlist, school=school))
    return app


@pytest.fixture
def officer(app: Flask, store: Store) -> Visitor:
    make_user(store, "rasa", levels={PD: Level.MANAGER})
    browser = signed_in(app, "rasa")
    browser.post("/language", {"language": "en", "back": "/"})
    return browser


def spool(services: Services) -> Path:
    return services.settings.data_dir / "spool"


def upload(
    browser: Visitor, content: bytes, *, name: str = "5b.csv", dry_run: bool = False
) -> tuple[int, str, str]:
    """Send the file; returns the status, the job page's address (or "") and the page text."""
    data: dict[str, object] = {"file": (io.BytesIO(content), name)}
    if dry_run:
        data["dry_run"] = "y"
    response = browser.post("/pupils/import", data, content_type="multipart/form-data")
    return (
        response.status_code,
        response.headers.get("Location", ""),
        response.get_data(as_text=True),
    )


def events(browser: Visitor, job_page: str) -> list[dict[str, object]]:
    """Every message of the job's live stream; it ends when the job has finished."""
    response = browser.get(f"{job_page}/events")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    assert "event: progress" in body
    return [
        json.loads(line[len("data: ") :]) for line in body.splitlines() if line.startswith("data: ")
    ]


def pupils(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT last_name FROM pupils ORDER BY last_name")]


def test_a_good_file_is_imported_with_live_progress(
    officer: Visitor, store: Store, services: Services
) -> None:
    status, job_page, _ = upload(officer, csv_bytes(ROWS))
    assert status == 303
    assert re.fullmatch(r"/pupils/import/[\w-]+", job_page)
    messages = events(officer, job_page)
    last = messages[-1]
    assert last["finished"] is True
    assert all(m["finished"] is False for m in messages[:-1])
    assert last["imported"] is True
    assert last["report"] == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "bad": 0,
        "errors": [],
    }
    assert (last["done"], last["total"]) == (3, 3)
    assert pupils(store) == ["Čepulytė", "Šimkus", "Žukauskaitė"]
    page = officer.get(job_page).get_data(as_text=True)  # the result without JavaScript
    assert re.search(r'data-test="created">3<', page)
    assert re.search(r'data-test="unchanged">0<', page)
    assert 'data-test="import-done"' in page
    [audit] = store.conn.execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'pupils.imported'"
    ).fetchall()
    assert audit == ("rasa", "created 3, updated 0, unchanged 0")
    assert list(spool(services).iterdir()) == [], "the uploaded file is deleted"


def test_importing_again_reports_unchanged(officer: Visitor, store: Store) -> None:
    _, first, _ = upload(officer, csv_bytes(ROWS))
    events(officer, first)
    _, again, _ = upload(officer, csv_bytes(ROWS))
    assert events(officer, again)[-1]["report"]["unchanged"] == 3  # type: ignore[index]


def test_a_bad_row_imports_nothing_and_is_listed(
    officer: Visitor, store: Store, services: Services
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][4] = "13a"
    status, job_page, _ = upload(officer, csv_bytes(rows))
    assert status == 303
    last = events(officer, job_page)[-1]
    assert last["finished"] is True
    assert last["rejected"] is True
    assert last["report"]["errors"] == [  # type: ignore[index]
        {"line": 3, "reason": "Klasė: grade 13 does not exist: grades are 1–12 or I–IV"}
    ]
    assert pupils(store) == []
    page = officer.get(job_page).get_data(as_text=True)
    assert re.search(r"<td>3</td><td>Klasė: grade 13 does not exist", page)
    assert store.conn.execute(
        "SELECT detail FROM audit_log WHERE action = 'pupils.import_refused'"
    ).fetchall() == [("1 bad row(s); nothing imported",)]
    assert list(spool(services).iterdir()) == []


def test_row_errors_follow_the_readers_language(app: Flask, store: Store) -> None:
    make_user(store, "ona", levels={PD: Level.MANAGER})
    browser = signed_in(app, "ona")
    browser.post("/language", {"language": "lt", "back": "/"})
    rows = [list(r) for r in ROWS]
    rows[0][3] = "2019-03-15"
    _, job_page, _ = upload(browser, csv_bytes(rows))
    events(browser, job_page)
    page = browser.get(job_page).get_data(as_text=True)
    assert '<html lang="lt">' in page
    table = page.split('data-test="row-errors"', 1)[1].split("</table>", 1)[0]
    [(line, reason)] = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", table)
    assert line == "2"
    assert "2019-03-15" in reason
    assert "2019-03-14" in reason
    assert pupils(store) == []


def test_check_only_imports_nothing(officer: Visitor, store: Store, services: Services) -> None:
    status, job_page, _ = upload(officer, csv_bytes(ROWS), dry_run=True)
    assert status == 303
    last = events(officer, job_page)[-1]
    assert (last["checked"], last["imported"]) == (True, False)
    assert last["report"]["rows"] == 3  # type: ignore[index]
    assert pupils(store) == []
    assert "Every row is good" in officer.get(job_page).get_data(as_text=True)
    assert list(spool(services).iterdir()) == []


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"just some text", "notes.txt", "Only CSV and XLSX files can be imported."),
        (csv_bytes(ROWS, ["Name", "Class"]), "list.csv", "no header row with the columns"),
        (b"", "empty.csv", "The file is empty."),
        (b"PK\x03\x04 not really a workbook", "list.xlsx", "not a readable XLSX workbook"),
    ],
)
def test_a_bad_file_shows_the_form_again(
    officer: Visitor, store: Store, services: Services, content: bytes, name: str, expected: str
) -> None:
    status, location, page = upload(officer, content, name=name)
    assert status == 400
    assert location == ""
    assert expected in page
    assert 'enctype="multipart/form-data"' in page
    assert pupils(store) == []
    assert not spool(services).exists() or list(spool(services).iterdir()) == []


def test_a_file_too_large_is_refused(
    app: Flask, officer: Visitor, store: Store, services: Services
) -> None:
    app.config["CLASSLIST_MAX_BYTES"] = 100
    status, _, page = upload(officer, csv_bytes(ROWS))
    assert status == 400
    assert "The file is too large" in page
    assert list(spool(services).iterdir()) == []
    assert pupils(store) == []


def test_a_request_over_the_server_limit_shows_the_form_too(
    app: Flask, officer: Visitor, store: Store
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 300
    rows = [list(r) for r in ROWS] * 5
    status, _, page = upload(officer, csv_bytes(rows))
    assert status == 400
    assert "The file is too large" in page
    assert 'enctype="multipart/form-data"' in page
    assert pupils(store) == []


def test_an_xlsx_file_is_imported(officer: Visitor, store: Store) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Klasės sąrašas"])  # a title above the header
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([row[0], row[1], int(row[2]), datetime.fromisoformat(row[3]), row[4]])
    content = io.BytesIO()
    book.save(content)
    status, job_page, _ = upload(officer, content.getvalue(), name="Klasė.XLSX")
    assert status == 303
    assert events(officer, job_page)[-1]["report"]["created"] == 3  # type: ignore[index]
    assert pupils(store) == ["Čepulytė", "Šimkus", "Žukauskaitė"]


def test_no_file_is_a_400(officer: Visitor) -> None:
    response = officer.post("/pupils/import", {})
    assert response.status_code == 400
    assert "Choose a CSV or XLSX file" in response.get_data(as_text=True)


def test_the_spool_is_private(officer: Visitor, services: Services) -> None:
    upload(officer, b"", name="empty.csv")
    assert spool(services).stat().st_mode & 0o777 == 0o700


def test_a_job_is_seen_only_by_who_started_it(app: Flask, officer: Visitor, store: Store) -> None:
    _, job_page, _ = upload(officer, csv_bytes(ROWS))
    events(officer, job_page)
    make_user(store, "kita", levels={PD: Level.MANAGER})
    other = signed_in(app, "kita")
    assert other.get(job_page).status_code == 404
    assert other.get(f"{job_page}/events").status_code == 404
    assert officer.get("/pupils/import/no-such-job").status_code == 404


def test_a_viewer_may_not_import(app: Flask, store: Store) -> None:
    make_user(store, "ona", levels={PD: Level.VIEWER})
    browser = signed_in(app, "ona")
    assert browser.get("/pupils/import").status_code == 403
    response = browser.post(
        "/pupils/import",
        {"file": (io.BytesIO(csv_bytes(ROWS)), "l.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert pupils(store) == []
    assert 'href="/pupils/import"' not in browser.get("/pupils/").get_data(as_text=True)


def test_without_an_importer_the_page_says_so(services: Services, store: Store) -> None:
    bare = create_app(services, {"TESTING": True, "SECRET_KEY": "b" * 32})
    make_user(store, "rasa", levels={PD: Level.MANAGER})
    browser = signed_in(bare, "rasa")
    assert browser.get("/pupils/import").status_code == 200
    status, _, _ = upload(browser, csv_bytes(ROWS))
    assert status == 503
    assert pupils(store) == []
    assert not spool(services).exists() or list(spool(services).iterdir()) == []


def test_finished_jobs_are_forgotten_after_an_hour() -> None:
    clock = [1000.0]
    jobs = Jobs(now=lambda: clock[0])
    job_id = jobs.start(7, "test", lambda progress: "done")
    for _ in range(500):  # the job runs in its own thread
        job = jobs.snapshot(job_id, 7)
        if job is not None and job.finished:
            break
        time.sleep(0.01)
    assert job is not None
    assert job.result == "done"
    assert jobs.snapshot(job_id, 8) is None, "another account does not see it"
    clock[0] += 3599
    jobs.prune()
    assert jobs.snapshot(job_id, 7) is not None
    clock[0] += 2
    jobs.prune()
    assert jobs.snapshot(job_id, 7) is None
    assert len(jobs) == 0
