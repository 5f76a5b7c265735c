"""The sync page: how each job stands, the backlog, the registry's clock, the newest events, the
events the registry refused, and what an admin does about them.

Everyone signed in sees the state and the refused events (type, time, the registry's reason:
never a payload). An admin sends a refused event again as it was, or corrects its payload first
(the correction form shows the payload, so opening it is audit-logged), and runs "sync now" as a
background job with live progress. The web does not import sync: the composition root plugs in
the scheduled jobs with ``use_sync``; without them, or with sync off, the page says how to turn
it on.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any, Final, Protocol

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

from emp_edge.domain.access import ADMIN, SIGNED_IN
from emp_edge.errors import EdgeError, InputError
from emp_edge.store.outbox_answers import RefusedEvent, refused_event, refused_events, send_again
from emp_edge.store.pupils import registry_ids
from emp_edge.store.status import sync_state
from emp_edge.store.sync_jobs import Job, JobState, job_states
from emp_edge.store.sync_lists import cursors, newest_events, outbox_totals
from emp_edge.web import jobs as background
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.sync import ButtonForm, CorrectionForm, named_pupils, pretty, refreshed
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.sync_texts import clock_text, clock_warning, kept_error_text

log = logging.getLogger(__name__)

blueprint = Blueprint("sync", __name__, url_prefix="/sync")

RUNNER: Final = "emp_edge_sync"
STEPS: Final = "emp_edge_sync_steps"
JOB_KIND: Final = "sync_now"
NEWEST: Final = 50
REFUSED_SHOWN: Final = 100

JOB_NAMES: dict[Job, LazyString] = {
    Job.PUSH: lazy_gettext("Sending events"),
    Job.PULL: lazy_gettext("Reading the roster"),
}


# ---------------------------------------------------------------- what the page runs


class PushCounts(Protocol):
    @property
    def sent(self) -> int: ...
    @property
    def acked(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def error(self) -> EdgeError | None: ...


class PullCounts(Protocol):
    @property
    def items(self) -> int: ...
    @property
    def created(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def deleted(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def error(self) -> EdgeError | None: ...


class RunReport(Protocol):
    @property
    def push(self) -> PushCounts: ...
    @property
    def pull(self) -> PullCounts: ...


class SyncRunner(Protocol):
    """The scheduled sync jobs (``sync.schedule.SyncJobs``), as the page uses them."""

    @property
    def online(self) -> bool: ...

    def run_now(self, progress: Callable[[Job, int, int], None] | None = None) -> RunReport: ...


def use_sync(app: Flask, runner: SyncRunner | None) -> None:
    """Called by the composition root: "sync now" runs through ``runner``."""
    app.extensions[RUNNER] = runner


def _runner() -> SyncRunner | None:
    found: SyncRunner | None = current_app.extensions.get(RUNNER)
    return found


def _can_run() -> bool:
    runner = _runner()
    return runner is not None and runner.online


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    background.install(state.app)
    state.app.extensions.setdefault(STEPS, {})
    state.app.add_template_filter(kept_error_text, "kept_error")


# ---------------------------------------------------------------- the page


def _job_row(state: JobState) -> dict[str, Any]:
    return {
        "job": str(state.job),
        "name": JOB_NAMES[state.job],
        "started": state.last_started_at,
        "success": state.last_success_at,
        "failures": state.failures,
        "error": kept_error_text(state.last_error),
        "error_at": state.last_error_at,
    }


def _clock(states: dict[Job, JobState]) -> dict[str, Any] | None:
    """The registry's clock as the newest pull (or push) saw it."""
    offset = next(
        (
            states[j].clock_offset_s
            for j in (Job.PULL, Job.PUSH)
            if states[j].clock_offset_s is not None
        ),
        None,
    )
    if offset is None:
        return None
    return {"offset": offset, "text": clock_text(offset), "warning": clock_warning(offset)}


def _refused_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The refused events without their payloads."""
    return [
        {
            "seq": e.seq,
            "type": e.type,
            "created_at": e.created_at,
            "answered_at": e.answered_at,
            "reason": e.reason,
            "corrections": e.corrections,
        }
        for e in refused_events(conn, REFUSED_SHOWN)
    ]


@blueprint.get("/")
@needs(SIGNED_IN)
def index() -> ResponseReturnValue:
    conn = services().store.conn
    states = job_states(conn)
    return render_template(
        "sync/index.html",
        state=sync_state(conn),
        jobs=[_job_row(states[job]) for job in Job],
        clock=_clock(states),
        totals=outbox_totals(conn),
        events=newest_events(conn, NEWEST),
        newest=NEWEST,
        refused=_refused_rows(conn),
        refused_shown=REFUSED_SHOWN,
        cursors=cursors(conn),
        can_run=_can_run(),
        online=bool(services().settings["sync.registry_url"]),
        is_admin=may(ADMIN),
    )


# ---------------------------------------------------------------- a refused event


def _refused_or_404(seq: int) -> RefusedEvent:
    try:
        return refused_event(services().store.conn, seq)
    except InputError:
        abort(404)


def _correction_page(
    event: RefusedEvent, form: CorrectionForm, status: int = 200
) -> ResponseReturnValue:
    return render_template("sync/correct.html", event=event, form=form), status


@blueprint.get("/events/<int:seq>/correct")
@needs(ADMIN)
def correct_form(seq: int) -> ResponseReturnValue:
    event = _refused_or_404(seq)
    audit_view("sync.correction_viewed", f"event:{seq}", event.type)
    known = registry_ids(services().store.conn, named_pupils(event.payload))
    suggested = refreshed(event.payload, known)
    form = CorrectionForm(formdata=None, payload=pretty(suggested))
    return render_template(
        "sync/correct.html", event=event, form=form, suggested=suggested != event.payload
    )


@blueprint.post("/events/<int:seq>/correct")
@needs(ADMIN)
def correct(seq: int) -> ResponseReturnValue:
    event = _refused_or_404(seq)
    form = CorrectionForm()
    if not form.validate() or form.parsed is None:
        return _correction_page(event, form, 400)
    try:
        with services().store.transaction(require_event=False) as tx:
            send_again(tx, seq, user_id=current_user.account.id, payload=form.parsed)
            audit(tx, "sync.event_corrected", f"event:{seq}", f"{event.type} {event.event_id}")
    except InputError as err:
        show_error(form, err)
        return _correction_page(event, form, 400)
    flash(gettext("The event is corrected and will be sent again."), "success")
    return redirect(url_for(".index"), code=303)


@blueprint.post("/events/<int:seq>/resend")
@needs(ADMIN)
def resend(seq: int) -> ResponseReturnValue:
    event = _refused_or_404(seq)
    form = ButtonForm()
    if not form.validate():
        flash(gettext("The form had expired; nothing was changed. Try again."), "error")
        return redirect(url_for(".index"), code=303)
    try:
        with services().store.transaction(require_event=False) as tx:
            send_again(tx, seq, user_id=current_user.account.id)
            audit(tx, "sync.event_resent", f"event:{seq}", f"{event.type} {event.event_id}")
    except InputError as err:
        flash(error_text(err), "error")
        return redirect(url_for(".index"), code=303)
    flash(gettext("The event will be sent again as it was."), "success")
    return redirect(url_for(".index"), code=303)


# ---------------------------------------------------------------- sync now


#: how many runs' steps are remembered (a run's page is followed for minutes, not days)
STEPS_KEPT: Final = 20


def _steps() -> dict[str, list[Job]]:
    """Which step each "sync now" job is at (a job itself keeps only done and in all)."""
    found: dict[str, list[Job]] = current_app.extensions[STEPS]
    return found


@blueprint.post("/now")
@needs(ADMIN)
def run_now() -> ResponseReturnValue:
    form = ButtonForm()
    if not form.validate():
        flash(gettext("The form had expired; nothing was changed. Try again."), "error")
        return redirect(url_for(".index"), code=303)
    runner = _runner()
    if runner is None or not _can_run():
        flash(gettext("Sync is off on this box: nothing was sent."), "error")
        return redirect(url_for(".index"), code=303)
    store = services().store
    with store.transaction(require_event=False) as tx:
        audit(tx, "sync.run_now")
    step = [Job.PUSH]  # the job's thread moves it on; the page reads it

    def work(progress: Callable[[int, int], None]) -> RunReport:
        def told(job: Job, done: int, total: int) -> None:
            step[0] = job
            progress(done, total)

        return runner.run_now(told)

    def cleanup() -> None:
        if store.path is not None:
            store.conn.close()  # this thread's own connection, not the server's

    job_id = background.jobs().start(current_user.account.id, JOB_KIND, work, cleanup=cleanup)
    steps = _steps()
    steps[job_id] = step
    for old in list(steps)[:-STEPS_KEPT]:
        steps.pop(old, None)
    return redirect(url_for(".progress", job_id=job_id), code=303)


@blueprint.get("/now/<job_id>")
@needs(ADMIN)
def progress(job_id: str) -> ResponseReturnValue:
    job = background.own_job(job_id, JOB_KIND)
    return render_template("sync/progress.html", job_id=job_id, job=_job_view(job))


@blueprint.get("/now/<job_id>/events")
@needs(ADMIN)
def progress_events(job_id: str) -> ResponseReturnValue:
    return background.progress_stream(job_id, JOB_KIND, _job_view)


def _job_view(job: background.Job) -> dict[str, Any]:
    """The run as its page and its live stream show it, in the reader's language."""
    view, result = background.job_view(
        job,
        gettext("The sync stopped because of an unexpected error."),
        step=str(JOB_NAMES[_steps().get(job.id, [Job.PUSH])[0]]),
    )
    report: RunReport | None = result
    if report is None:
        return view
    push, pull = report.push, report.pull
    errors = [
        f"{JOB_NAMES[step]}: {error_text(error)}"
        for step, error in ((Job.PUSH, push.error), (Job.PULL, pull.error))
        if error is not None
    ]
    view.update(
        failed=bool(errors),
        error_text="; ".join(errors),
        report={
            "sent": push.sent,
            "acked": push.acked,
            "duplicates": push.duplicates,
            "rejected": push.rejected,
            "pulled": pull.items,
            "created": pull.created,
            "updated": pull.updated,
            "deleted": pull.deleted,
            "skipped": pull.skipped,
        },
    )
    return view
