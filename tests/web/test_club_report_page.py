"""The clubs' monthly report page (in Lithuanian), its CSV read back with the csv module, its PDF
read back with pypdf, sending a group's month to the registry (and again), and who may do what."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from canteen_pages import audit_rows, dump, events, seen
from flask import Flask
from pypdf import PdfReader
from visitor import make_user, signed_in

from club_rows import add_group, add_programme, add_session, enrol, mark_present
from club_school import add_pupil
from emp_edge.domain.access import Area, Level
from emp_edge.errors import PrinterError
from emp_edge.printer.club_report_pdf import month_pdf
from emp_edge.store import Store
from emp_edge.store.club_report_table import MonthDocument
from emp_edge.web.views.club_report import use_report_pdf

VILNIUS = ZoneInfo("Europe/Vilnius")
MONTHLY = "nvs.attendance.monthly"


@dataclass
class Clubs:
    guitar: int
    chess: int
    aiste: int
    jonas: int


@pytest.fixture
def clubs(store: Store) -> Clubs:
    guitar = add_group(store, add_programme(store, "120000001", "Gitaros studija"), "Gitara 1")
    chess = add_group(store, add_programme(store, "120000002", "Šachmatų klubas"), "Šachmatai")
    aiste = add_pupil(store, "Aistė", "Jonaitytė", label="5b", registry_id="MR-1")
    jonas = add_pupil(store, "Jonas", "Petraitis", registry_id="MR-2")
    enrol(store, aiste, guitar, funding=["basket"])
    enrol(store, jonas, guitar)
    enrol(store, jonas, chess)
    for day, hours, pupils in ((1, 2, [aiste, jonas]), (2, 2, [aiste]), (29, 1, [jonas])):
        starts = datetime(2026, 9, day, 15, tzinfo=VILNIUS)
        session = add_session(store, guitar, starts, starts + timedelta(hours=1), hours=hours)
        mark_present(store, session, pupils)
    starts = datetime(2026, 10, 1, 0, 30, tzinfo=VILNIUS)  # October, though 30 September in UTC
    session = add_session(store, guitar, starts, starts + timedelta(hours=1))
    mark_present(store, session, [aiste])
    make_user(store, "basket", levels={Area.BASKET: Level.VIEWER})
    make_user(store, "funder", levels={Area.BASKET: Level.MANAGER})
    return Clubs(guitar, chess, aiste, jonas)


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def section(page: str, group: int) -> str:
    found = re.search(
        rf'<section class="tile wide" data-group="{group}">(.*?)</section>', page, re.S
    )
    assert found, f"no section of group {group}"
    return found[1]


def pupil_row(page: str, group: int, pupil: int) -> dict[str, str]:
    found = re.search(rf'<tr data-pupil="{pupil}">(.*?)</tr>', section(page, group), re.S)
    assert found
    cells = dict(re.findall(r'data-test="(\w+)"[^>]*>([^<]*)<', found[1]))
    values = dict(re.findall(r'data-test="(\w+)" data-value="(\w+)"', found[1]))
    return {**cells, **{f"{k}?": v for k, v in values.items()}}


def test_the_month_per_group_and_pupil_in_lithuanian(
    app: Flask, store: Store, clubs: Clubs
) -> None:
    page = text(signed_in(app, "basket").get("/clubs/report?month=2026-09"))
    title = seen(app, "NVŠ attendance report, %(month)s") % {"month": "2026-09"}
    assert f"<h1>{title}</h1>" in page
    assert seen(app, "Academic hours attended") in page
    guitar = section(page, clubs.guitar)
    assert "Gitara 1 (Gitaros studija)" in guitar
    assert re.search(r"\b3\b.*\b5\b", guitar.split("</h2>")[0])  # 3 sessions, 5 hours held
    aiste = pupil_row(page, clubs.guitar, clubs.aiste)
    assert (aiste["sessions"], aiste["hours"], aiste["fundable?"], aiste["basket?"]) == (
        "2", "4", "yes", "yes"
    )  # fmt: skip
    assert aiste["fundable"] == seen(app, "yes")
    jonas = pupil_row(page, clubs.guitar, clubs.jonas)
    assert (jonas["hours"], jonas["fundable?"], jonas["basket?"]) == ("3", "no", "no")
    assert "Aistė Jonaitytė" in guitar
    assert pupil_row(page, clubs.chess, clubs.jonas)["hours"] == "0"
    assert 'data-test="month-not-over"' not in page
    assert 'data-test="send"' not in page  # a viewer does not send
    assert 'data-test="pdf"' not in page  # no PDF drawing plugged into this app
    (viewed,) = audit_rows(store, "clubs.report_viewed")
    assert viewed == ("basket", "month:2026-09", "month=2026-09 group=all groups=2 pupils=3")


def test_this_month_by_default_and_one_group_chosen(app: Flask, clubs: Clubs) -> None:
    browser = signed_in(app, "basket")
    page = text(browser.get("/clubs/report"))  # today is 2026-10-05
    assert 'value="2026-10"' in page
    assert 'data-test="month-not-over"' in page
    assert pupil_row(page, clubs.guitar, clubs.aiste)["hours"] == "2"  # the 1st at 00:30
    one = text(browser.get(f"/clubs/report?month=2026-09&group={clubs.chess}"))
    assert f'data-group="{clubs.chess}"' in one
    assert f'data-group="{clubs.guitar}"' not in one
    assert f'<option value="{clubs.chess}" selected>' in one
    bad = text(browser.get("/clubs/report?month=rugsėjis"))
    assert "'rugsėjis'" in bad
    assert 'value="2026-10"' in bad


def test_the_csv_has_a_row_per_group_and_pupil(app: Flask, store: Store, clubs: Clubs) -> None:
    response = signed_in(app, "basket").get("/clubs/report.csv?month=2026-09")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="nvs-2026-09.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        seen(app, h)
        for h in ("Month", "Programme", "Group", "Sessions held", "Academic hours held", "Pupil",
                  "Class", "Sessions attended", "Academic hours attended", "Fundable",
                  "NVŠ basket")
    ]  # fmt: skip
    yes, no = seen(app, "yes"), seen(app, "no")
    assert rows[1:] == [
        ["2026-09", "Gitaros studija", "Gitara 1", "3", "5", "Aistė Jonaitytė", "5b", "2", "4",
         yes, yes],
        ["2026-09", "Gitaros studija", "Gitara 1", "3", "5", "Jonas Petraitis", "5a", "2", "3",
         no, no],
        ["2026-09", "Šachmatų klubas", "Šachmatai", "0", "0", "Jonas Petraitis", "5a", "0", "0",
         no, no],
    ]  # fmt: skip
    (downloaded,) = audit_rows(store, "clubs.report_downloaded")
    assert downloaded[2].startswith("csv month=2026-09")


def test_the_pdf_is_dejavu_with_lithuanian_text(app: Flask, store: Store, clubs: Clubs) -> None:
    use_report_pdf(app, month_pdf)
    browser = signed_in(app, "basket")
    assert 'data-test="pdf"' in text(browser.get("/clubs/report?month=2026-09"))
    response = browser.get(f"/clubs/report.pdf?month=2026-09&group={clubs.guitar}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        f'filename="nvs-2026-09-group-{clubs.guitar}.pdf"'
        in response.headers["Content-Disposition"]
    )
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    title = seen(app, "NVŠ attendance report, %(month)s") % {"month": "2026-09"}
    assert title in words
    assert "Demonstracinė mokykla" in words  # the school's name from the settings
    assert "Aistė Jonaitytė 5b 2 4" in words
    assert "Šachmatai" not in words  # one group asked for
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts
    assert all("DejaVuSans" in name for name in fonts)
    assert audit_rows(store, "clubs.report_downloaded")[0][2].startswith("pdf month=2026-09")


def test_a_pdf_that_cannot_be_made_is_said(app: Flask, store: Store, clubs: Clubs) -> None:
    def broken(document: MonthDocument) -> bytes:
        raise PrinterError("the font {font} is missing (install fonts-dejavu-core)", font="X")

    use_report_pdf(app, broken)
    response = signed_in(app, "basket").get("/clubs/report.pdf?month=2026-09")
    assert response.status_code == 302
    assert "month=2026-09" in response.headers["Location"]
    assert audit_rows(store, "clubs.report_downloaded") == []


def test_without_the_pdf_part_there_is_no_pdf(app: Flask, clubs: Clubs) -> None:
    assert signed_in(app, "basket").get("/clubs/report.pdf?month=2026-09").status_code == 404


def test_sending_a_month_and_again_as_a_correction(app: Flask, store: Store, clubs: Clubs) -> None:
    browser = signed_in(app, "funder")
    page = text(browser.get("/clubs/report?month=2026-09"))
    assert 'data-test="never-sent"' in section(page, clubs.guitar)
    sent = browser.post("/clubs/report/send", {"month": "2026-09", "group": str(clubs.guitar)})
    assert sent.status_code == 302
    (payload,) = events(store, MONTHLY)
    assert payload["group_id"] == clubs.guitar
    assert payload["month"] == "2026-09"
    assert [(p["registry_id"], p["hours"], p["fundable"]) for p in payload["pupils"]] == [
        ("MR-1", 4, True),
        ("MR-2", 3, False),
    ]
    assert "Jonaitytė" not in json.dumps(payload, ensure_ascii=False)
    (audit,) = audit_rows(store, "clubs.month_sent")
    assert audit == ("funder", f"group:{clubs.guitar}", "month=2026-09 pupils=2 funded=1")
    page = text(browser.get(sent.headers["Location"]))
    guitar = section(page, clubs.guitar)
    assert 'data-test="event-waiting"' in guitar
    assert seen(app, "Send again as a correction") in guitar
    assert 'data-test="never-sent"' in section(page, clubs.chess)

    browser.post("/clubs/report/send", {"month": "2026-09", "group": str(clubs.guitar)})
    first, second = events(store, MONTHLY)
    first_id = store.conn.execute(
        "SELECT event_id FROM club_month_reports ORDER BY id LIMIT 1"
    ).fetchone()[0]
    assert first["corrects"] is None
    assert second["corrects"] == first_id
    assert "corrects=" in audit_rows(store, "clubs.month_sent")[1][2]
    again = text(browser.get("/clubs/report?month=2026-09"))
    assert re.search(r'data-test="sent">[^<]*\b2\b', section(again, clubs.guitar))


@pytest.mark.parametrize(
    "form",
    [
        {"month": "2026-11", "group": "1"},  # still to come
        {"month": "2026-08", "group": "1"},  # the year before
        {"month": "2026-09", "group": ""},
        {"month": "2026-09", "group": "999"},
        {"month": "rugsėjis", "group": "1"},
    ],
)
def test_a_refused_sending_writes_nothing(
    app: Flask, store: Store, clubs: Clubs, form: dict[str, str]
) -> None:
    browser = signed_in(app, "funder")
    browser.get("/clubs/report")  # its audit row is written before we look
    before = dump(store)
    response = browser.post("/clubs/report/send", form)
    assert response.status_code == 302
    assert dump(store) == before
    assert 'class="flash error"' in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_who_may_see_and_send(app: Flask, store: Store, clubs: Clubs) -> None:
    make_user(store, "lists", levels={Area.LISTS: Level.MANAGER, Area.LEARNING_DATA: Level.MANAGER})
    others = signed_in(app, "lists")
    for path in ("/clubs/report", "/clubs/report.csv", "/clubs/report.pdf"):
        assert others.get(path).status_code == 403
    viewer = signed_in(app, "basket")
    refused = viewer.post("/clubs/report/send", {"month": "2026-09", "group": str(clubs.guitar)})
    assert refused.status_code == 403
    assert events(store, MONTHLY) == []
    assert audit_rows(store, "clubs.report_viewed") == []
    menu = text(viewer.get("/clubs/report?month=2026-09"))
    assert 'href="/clubs/report"' in menu


def test_the_month_of_a_group_with_no_pupils(app: Flask, store: Store, clubs: Clubs) -> None:
    empty = add_group(store, add_programme(store, "120000009", "Robotikos būrelis"), "Robotai")
    page = text(signed_in(app, "basket").get(f"/clubs/report?month=2026-09&group={empty}"))
    assert seen(app, "No pupil was in the group's lists in this month.") in section(page, empty)
    assert audit_rows(store, "clubs.report_viewed") == []  # no name was shown


def test_months_before_and_after(app: Flask, clubs: Clubs) -> None:
    page = signed_in(app, "basket").get("/clubs/report?month=2026-01").get_data(as_text=True)
    assert "/clubs/report?month=2025-12" in page
    assert "/clubs/report?month=2026-02" in page
    assert date(2026, 1, 1).strftime("%Y") in page
