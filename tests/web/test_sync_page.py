"""The sync page: each job's state with its error in the reader's language, the registry's clock,
the refused events (everyone sees the reason, nobody the payload), an admin's "send again" and
correction (bad JSON changes nothing), and "sync now" as a background job."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from flask import Flask
from visitor import Visitor, every_right, make_user, signed_in

from emp_edge.config import Settings
from emp_edge.domain.access import Level
from emp_edge.errors import RegistryUnreachableError, SyncError
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.accounts import set_language
from emp_edge.store.outbox_answers import Answer, Verdict, record_answers
from emp_edge.store.roster_items import Applied
from emp_edge.store.sync_jobs import (
    Job,
    clock_offset_seen,
    error_record,
    job_failed,
    job_started,
    job_succeeded,
)
from emp_edge.sync.pull import PullReport
from emp_edge.sync.push import PushReport
from emp_edge.sync.schedule import SyncJobs
from emp_edge.web.views.sync import use_sync

REASON = "mokinys MR-404 registre nerastas (pupils[0].registry_id)"
DOWN = RegistryUnreachableError("cannot reach the registry: {reason}", reason="connection refused")
#: a template the Lithuanian catalog already has: the page translates a kept error's template
TRANSLATED = RegistryUnreachableError(
    "a card made on {day} would be valid past the calendar", day="2026-10-05"
)


def user(store: Store, name: str, *, admin: bool = False, language: str = "en") -> None:
    user_id = make_user(store, name, admin=admin, levels=every_right(Level.VIEWER))
    with store.transaction() as tx:
        set_language(tx, user_id, language)


def html_of(browser: Visitor, path: str = "/sync/") -> str:
    response = browser.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row(html: str, attribute: str, value: object) -> str:
    found = re.search(rf'<tr [^>]*{attribute}="{value}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {attribute}={value}"
    return re.sub(r"\s+", " ", found[1])


def add_pupil(store: Store, registry_id: str | None) -> int:
    now = store.clock.now().isoformat()
    with store.transaction() as tx:
        school = tx.execute("INSERT INTO schools (code, name) VALUES ('190000001', 'Mokykla')")
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, registry_id, personal_code, first_name, last_name,"
            " birth_date, created_at, updated_at)"
            " VALUES (?, ?, '50610050012', 'Aistė', 'Jonaitytė', '2015-01-01', ?, ?)",
            (school.lastrowid, registry_id, now, now),
        )
        tx.emit("test.pupil_added", {"pupil_id": pupil.lastrowid})
    return int(pupil.lastrowid or 0)


def refused(store: Store, pupil_id: int) -> int:
    """A day's free meals the registry refused; returns its number."""
    payload = {
        "day": "2026-10-02",
        "school_code": "190000001",
        "totals": {"lunch": 1},
        "pupils": [{"pupil_id": pupil_id, "registry_id": None, "meal_types": ["lunch"]}],
    }
    with store.transaction() as tx:
        event_id = tx.emit("canteen.free_meals.daily", payload)
    with store.transaction(require_event=False) as tx:
        record_answers(tx, [Answer(event_id, Verdict.REJECTED, REASON)])
    found = store.conn.execute("SELECT seq FROM outbox WHERE event_id = ?", (event_id,))
    return int(found.fetchone()[0])


def outbox_row(store: Store, seq: int) -> tuple[Any, ...]:
    found = store.conn.execute(
        "SELECT payload, rejected_reason, answer FROM outbox WHERE seq = ?", (seq,)
    ).fetchone()
    return tuple(found)


def corrections(store: Store) -> list[tuple[Any, ...]]:
    return store.conn.execute(
        "SELECT action, rejected_reason, old_payload FROM outbox_corrections ORDER BY id"
    ).fetchall()


def actions(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT action FROM audit_log ORDER BY id")]


# ---------------------------------------------------------------- the state


def test_each_job_shows_its_last_runs_and_its_error_with_the_clock_warning(
    app: Flask, store: Store
) -> None:
    user(store, "ona")
    with store.transaction(require_event=False) as tx:
        job_started(tx, Job.PUSH)
        job_failed(tx, Job.PUSH, error_record(DOWN), {"sent": 0})
        job_failed(tx, Job.PUSH, error_record(DOWN), {"sent": 0})
        job_started(tx, Job.PULL)
        job_succeeded(tx, Job.PULL, {"items": 3})
        clock_offset_seen(tx, Job.PULL, -3 * 3600 - 5 * 60)
    html = html_of(signed_in(app, "ona"))

    push = row(html, "data-job", "push")
    assert "2026-10-05 10:30: cannot reach the registry: connection refused" in push
    assert "<td>2</td>" in push  # failures since the last success
    pull = row(html, "data-job", "pull")
    assert "2026-10-05 10:30" in pull
    assert "<td>0</td>" in pull
    assert 'data-test="last-error">cannot reach the registry: connection refused<' in html
    assert "3 h 5 min behind the box&#39;s" in html
    warning = re.search(r'data-test="clock-warning">([^<]*)<', html)
    assert warning
    assert "differs from the registry&#39;s by 3 h 5 min" in warning[1]


def test_a_small_clock_difference_is_shown_without_a_warning(app: Flask, store: Store) -> None:
    user(store, "ona")
    with store.transaction(require_event=False) as tx:
        clock_offset_seen(tx, Job.PULL, 120)
    html = html_of(signed_in(app, "ona"))
    assert "2 min 0 s ahead of the box&#39;s" in html
    assert "clock-warning" not in html


def test_a_kept_error_is_translated_before_it_is_filled_in(app: Flask, store: Store) -> None:
    user(store, "rasa", language="lt")
    with store.transaction(require_event=False) as tx:
        job_failed(tx, Job.PULL, error_record(TRANSLATED), {})
    html = html_of(signed_in(app, "rasa"))
    assert "2026-10-05 pagamintas pažymėjimas galiotų ilgiau" in row(html, "data-job", "pull")
    assert "would be valid past the calendar" not in html


# ---------------------------------------------------------------- refused events


def test_everyone_sees_the_refused_events_reason_and_never_the_payload(
    app: Flask, store: Store
) -> None:
    user(store, "ona")
    seq = refused(store, add_pupil(store, "MR-000123"))
    html = html_of(signed_in(app, "ona"))
    line = row(html, "data-refused", seq)
    assert "canteen.free_meals.daily" in line
    assert REASON in line
    assert "2026-10-05 10:30" in line
    assert 'data-test="refused-count">1<' in html
    assert "meal_types" not in html  # no payload
    assert "Aistė" not in html
    assert 'data-test="resend"' not in html  # the buttons are an admin's
    assert 'data-test="correct"' not in html
    assert signed_in(app, "ona").post(f"/sync/events/{seq}/resend").status_code == 403
    assert signed_in(app, "ona").get(f"/sync/events/{seq}/correct").status_code == 403
    assert outbox_row(store, seq)[1] == REASON


def test_an_admin_sends_a_refused_event_again_as_it_was(app: Flask, store: Store) -> None:
    user(store, "admin", admin=True)
    seq = refused(store, add_pupil(store, None))
    before = outbox_row(store, seq)
    browser = signed_in(app, "admin")
    assert 'data-test="resend"' in row(html_of(browser), "data-refused", seq)

    response = browser.post(f"/sync/events/{seq}/resend")

    assert response.status_code == 303
    payload, reason, answer = outbox_row(store, seq)
    assert (payload, reason, answer) == (before[0], None, None)  # back to be sent, unchanged
    assert corrections(store) == [("resent", REASON, None)]
    assert "sync.event_resent" in actions(store)
    html = html_of(browser)
    assert "The event will be sent again as it was." in html
    assert f'data-refused="{seq}"' not in html
    assert browser.post(f"/sync/events/{seq}/resend").status_code == 404  # not refused now


def test_the_correction_form_offers_the_payload_with_the_pupils_registry_id(
    app: Flask, store: Store
) -> None:
    user(store, "admin", admin=True)
    pupil = add_pupil(store, "MR-000123")
    seq = refused(store, pupil)
    html = html_of(signed_in(app, "admin"), f"/sync/events/{seq}/correct")
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)
    assert text
    offered = json.loads(text[1].replace("&#34;", '"').replace("&quot;", '"'))
    assert offered["pupils"] == [
        {"pupil_id": pupil, "registry_id": "MR-000123", "meal_types": ["lunch"]}
    ]
    assert 'data-test="suggested"' in html
    assert REASON in html
    assert "sync.correction_viewed" in actions(store)  # the payload was shown: audit-logged


def test_a_corrected_event_is_kept_with_its_old_payload_and_sent_again(
    app: Flask, store: Store
) -> None:
    user(store, "admin", admin=True)
    pupil = add_pupil(store, "MR-000123")
    seq = refused(store, pupil)
    old = outbox_row(store, seq)[0]
    corrected = json.loads(old)
    corrected["pupils"][0]["registry_id"] = "MR-000123"

    response = signed_in(app, "admin").post(
        f"/sync/events/{seq}/correct", {"payload": json.dumps(corrected, indent=2)}
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    payload, reason, _ = outbox_row(store, seq)
    assert json.loads(payload) == corrected
    assert reason is None
    assert corrections(store) == [("corrected", REASON, old)]
    assert "sync.event_corrected" in actions(store)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "day": "2026-10-02",\n  "totals": {"lunch": 1,}\n}',
         "This is not valid JSON: the error is at line 3, column 25."),
        ('["not", "an", "object"]', "The content must be a JSON object"),
        ('{"amount": NaN}', "JSON has no number NaN"),
        ("   ", "This field is needed."),
    ],
)  # fmt: skip
def test_a_bad_correction_is_refused_with_where_and_nothing_changes(
    app: Flask, store: Store, text: str, message: str
) -> None:
    user(store, "admin", admin=True)
    seq = refused(store, add_pupil(store, None))
    before = outbox_row(store, seq)

    response = signed_in(app, "admin").post(f"/sync/events/{seq}/correct", {"payload": text})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert outbox_row(store, seq) == before
    assert corrections(store) == []
    assert "sync.event_corrected" not in actions(store)


def test_bad_json_is_explained_in_lithuanian_to_a_lithuanian_reader(
    app: Flask, store: Store
) -> None:
    user(store, "rasa", admin=True, language="lt")
    seq = refused(store, add_pupil(store, None))
    response = signed_in(app, "rasa").post(f"/sync/events/{seq}/correct", {"payload": "{"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'lang="lt"' in html
    assert re.search(r'data-error-for="payload">[^<]*\b1\b[^<]*\b2\b', html)  # line 1, column 2


# ---------------------------------------------------------------- sync now


class Client:
    def close(self) -> None:
        pass


def sync_jobs(
    store: Store,
    settings: Settings,
    *,
    push_error: SyncError | None = None,
    url: str = "http://127.0.0.1:9/",
) -> SyncJobs:
    def push(store: Store, client: Any, *, batch_size: int, progress: Any = None) -> PushReport:
        if progress is not None:
            progress(5, 6)
        return PushReport(sent=6, acked=5, duplicates=1, rejected=1, batches=1, error=push_error)

    def pull(store: Store, client: Any, *, school_code: str, progress: Any = None) -> PullReport:
        return PullReport(pages=1, totals=Applied(items=4, created=3, updated=1))

    return SyncJobs(
        store,
        settings.replace(sync__registry_url=url),
        Client,  # type: ignore[arg-type]
        care=None,
        push=push,
        pull=pull,
    )


def finished(browser: Visitor, url: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        html = html_of(browser, url)
        if re.search(r'data-live-show="finished"\s*>', html):
            return html
        time.sleep(0.05)
    raise AssertionError("the sync did not finish")


def test_sync_now_runs_in_the_background_and_shows_what_it_did(
    app: Flask, services: Services
) -> None:
    store = services.store
    user(store, "admin", admin=True)
    use_sync(app, sync_jobs(store, services.settings, push_error=DOWN))
    browser = signed_in(app, "admin")
    assert 'data-test="sync-now"' in html_of(browser)

    response = browser.post("/sync/now")

    assert response.status_code == 303
    progress = response.headers["Location"]
    html = finished(browser, progress)
    assert 'data-test="sent">6<' in html
    assert 'data-test="duplicates">1<' in html
    assert 'data-test="pulled">4<' in html
    failed = re.search(r'data-test="sync-failed"[^>]*>([^<]*)<', html)
    assert failed
    assert "Sending events: cannot reach the registry: connection refused" in failed[1]
    assert "sync.run_now" in actions(store)
    stream = browser.get(progress + "/events").get_data(as_text=True)
    assert "event: progress" in stream
    assert '"finished":true' in stream
    other = make_user(store, "kitas", admin=True)
    assert other
    assert signed_in(app, "kitas").get(progress).status_code == 404  # only its owner follows it


def test_sync_now_when_a_sync_is_running_says_so(app: Flask, services: Services) -> None:
    store = services.store
    user(store, "admin", admin=True)
    jobs = sync_jobs(store, services.settings)
    use_sync(app, jobs)
    browser = signed_in(app, "admin")
    with jobs.locks[Job.PUSH].try_hold() as held:
        assert held
        response = browser.post("/sync/now")
        html = finished(browser, response.headers["Location"])
    assert "a sync is already running" in html


def test_without_sync_the_button_is_a_note_naming_the_setting(
    app: Flask, services: Services
) -> None:
    store = services.store
    user(store, "admin", admin=True)
    browser = signed_in(app, "admin")
    html = html_of(browser)
    assert 'data-test="sync-now"' not in html
    assert "sync.registry_url" in html
    assert browser.post("/sync/now").status_code == 303
    assert "nothing was sent" in html_of(browser)

    use_sync(app, sync_jobs(store, services.settings, url=""))  # off by choice
    assert 'data-test="sync-now"' not in html_of(browser)


def test_only_an_admin_gets_the_sync_now_button(app: Flask, services: Services) -> None:
    store = services.store
    user(store, "ona")
    use_sync(app, sync_jobs(store, services.settings))
    browser = signed_in(app, "ona")
    html = html_of(browser)
    assert 'data-test="sync-now"' not in html
    assert 'data-test="sync-off"' not in html
    assert browser.post("/sync/now").status_code == 403
