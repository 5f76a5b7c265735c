"""Printing a batch of cards: choose the cards ready to print, name the blank on top of the
printer's stack, and follow the batch as it prints and writes each chip.

The batch runs as a background job (``web/jobs.py``) and its page shows its progress live, then
each card's outcome: made, made again on a new blank after a spoiled one (§39), or not printed
with the reason (the printer's own words when it is off). The web does not import the card
station: the composition root plugs in the batch runner with ``use_card_batch``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.cards import CardState
from emp_edge.errors import InputError
from emp_edge.store.audit import Entry, record
from emp_edge.store.card_lists import OpenRequest, open_requests
from emp_edge.store.card_printing import check_free_blank, free_blanks, ready_to_print
from emp_edge.store.print_batches import BatchReport, CardOutcome, Reason
from emp_edge.web import jobs as background
from emp_edge.web.access import audit_view, entry, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.card_station import BatchForm, ticked_numbers
from emp_edge.web.i18n import gettext
from emp_edge.web.labels import BLANK_OUTCOME_NAMES

log = logging.getLogger(__name__)

blueprint = Blueprint("card_printing", __name__, url_prefix="/cards")

RUNNER = "emp_edge_card_batch"
JOB_KIND = "card_batch"
CARDS = Area.CARDS

CARD_OUTCOME_NAMES: dict[CardOutcome, LazyString] = {
    CardOutcome.PERSONALISED: lazy_gettext("made"),
    CardOutcome.REPRINTED: lazy_gettext("made on a new blank after a spoiled one"),
    CardOutcome.SPOILED: lazy_gettext("spoiled, waits for a new blank"),
    CardOutcome.NOT_PRINTED: lazy_gettext("not printed"),
    CardOutcome.NOT_REACHED: lazy_gettext("not printed: the batch stopped before it"),
}


class CardBatchRunner(Protocol):
    """The card station's batch pass (``card_station.batch.CardBatch``), as the page uses it."""

    @property
    def printer_name(self) -> str: ...

    def run(
        self,
        card_ids: Sequence[int],
        *,
        first_blank: str | None,
        user_id: int | None,
        progress: Callable[[int, int], None],
    ) -> BatchReport: ...


def use_card_batch(app: Flask, runner: CardBatchRunner) -> None:
    """Called by the composition root: the printing page prints through ``runner``."""
    app.extensions[RUNNER] = runner


def _runner() -> CardBatchRunner | None:
    found: CardBatchRunner | None = current_app.extensions.get(RUNNER)
    return found


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    background.install(state.app)


# ---------------------------------------------------------------- choose the cards


def reason_text(reason: Reason) -> str:
    """A reason in the reader's language; a parameter that is itself a reason is translated too."""
    values = {k: reason_text(v) if isinstance(v, Reason) else v for k, v in reason.params}
    template = gettext(reason.template)
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return reason.text


def _waiting() -> list[tuple[OpenRequest, list[str]]]:
    """The cards asked for and not printed yet, each with why it cannot be printed (translated;
    empty when it is ready)."""
    conn = services().store.conn
    return [
        (card, [gettext(why) for why in ready_to_print(conn, card.card_id)])
        for card in open_requests(conn)
        if card.state is CardState.REQUESTED
    ]


def _batch_page(form: BatchForm, status: int = 200, error: str = "") -> ResponseReturnValue:
    cards = _waiting()
    if cards:
        ready = sum(1 for _, why in cards if not why)
        audit_view("cards.print_listed", detail=f"{len(cards)} requested, {ready} ready")
    runner = _runner()
    free = free_blanks(services().store.conn, 1)
    if request.method == "GET" and not form.first_blank.data and free:
        form.first_blank.data = free[0]
    return render_template(
        "card_printing/batch.html",
        form=form,
        ready=[card for card, why in cards if not why],
        not_ready=[(card, why) for card, why in cards if why],
        ticked={str(v) for v in (form.cards.data or [])},
        printer_name=runner.printer_name if runner is not None else "",
        available=runner is not None,
        lowest_free=free[0] if free else "",
        can_print=may(manager(CARDS)),
        error=error,
    ), status


@blueprint.get("/print")
@needs(viewer(CARDS))
def batch() -> ResponseReturnValue:
    return _batch_page(BatchForm(formdata=None))


@blueprint.post("/print", endpoint="start")
@needs(manager(CARDS))
def start() -> ResponseReturnValue:
    form = BatchForm()
    if not form.validate():
        return _batch_page(form, 400)
    try:
        card_ids = ticked_numbers(form.cards, where="cards")
        if not card_ids:
            raise InputError("choose at least one card to print", where="cards")
        first = form.first_blank.data or None
        if first is not None:
            try:
                first = check_free_blank(services().store.conn, first)
            except InputError as err:
                raise InputError(err.template, where="first_blank", **err.params) from None
    except InputError as err:
        show_error(form, err)
        return _batch_page(form, 400)
    runner = _runner()
    if runner is None:
        log.error("card printing is not wired: the composition root gives no batch runner")
        return _batch_page(form, 503, gettext("Card printing is not available on this server."))
    job_id = _start_job(runner, card_ids, first)
    return redirect(url_for(".progress", job_id=job_id), code=303)


def _start_job(runner: CardBatchRunner, card_ids: list[int], first_blank: str | None) -> str:
    store = services().store
    user_id: int = current_user.account.id
    chosen = ", ".join(map(str, card_ids))[:300]
    started = entry(
        "cards.print_started",
        detail=f"cards {chosen}; first blank {first_blank or 'lowest free'};"
        f" printer {runner.printer_name}",
    )
    with store.transaction(require_event=False) as tx:
        record(tx, started)

    def work(progress: Callable[[int, int], None]) -> BatchReport:
        report = runner.run(card_ids, first_blank=first_blank, user_id=user_id, progress=progress)
        with store.transaction(require_event=False) as tx:
            record(tx, _ended(report, started))
        return report

    def cleanup() -> None:
        if store.path is not None:
            store.conn.close()  # this thread's own connection, not the server's

    return background.jobs().start(user_id, JOB_KIND, work, total=len(card_ids), cleanup=cleanup)


def _ended(report: BatchReport, started: Entry) -> Entry:
    """The audit row of a finished batch: counts, spoiled blanks and why it stopped."""
    detail = (
        f"made {report.personalised} of {report.chosen}; reprinted {report.reprinted};"
        f" spoiled blanks {', '.join(report.spoiled_blanks) or 'none'}"
    )
    if report.stopped is not None:
        detail += f"; stopped: {report.stopped.text}"
    return Entry(
        started.actor, "cards.print_ended", "", detail[:500], started.source, started.user_id
    )


# ---------------------------------------------------------------- follow the batch


def _job_or_404(job_id: str) -> background.Job:
    return background.own_job(job_id, JOB_KIND)


@blueprint.get("/print/<job_id>")
@needs(manager(CARDS))
def progress(job_id: str) -> ResponseReturnValue:
    job = _job_or_404(job_id)
    view = _job_view(job)
    if job.finished and view["report"] is not None:
        audit_view("cards.print_report_viewed", detail=f"{view['report']['chosen']} cards")
    return render_template("card_printing/progress.html", job_id=job_id, job=view)


@blueprint.get("/print/<job_id>/events")
@needs(manager(CARDS))
def progress_events(job_id: str) -> ResponseReturnValue:
    return background.progress_stream(job_id, JOB_KIND, _job_view)


def _job_view(job: background.Job) -> dict[str, Any]:
    """The batch as its page and its live stream show it, in the reader's language."""
    view, result = background.job_view(
        job,
        gettext("The batch stopped because of an unexpected error."),
        stopped=False,
        stopped_text="",
    )
    report: BatchReport | None = result
    if report is None:
        return view
    who = {card.card_id: card for card in open_requests(services().store.conn)}
    lines = []
    for line in report.lines:
        card = who.get(line.card_id)
        lines.append(
            {
                "card": line.card_id,
                "pupil": f"{card.first_name} {card.last_name}" if card else "",
                "class_label": card.class_label if card else "",
                "blanks": ", ".join(
                    f"{b.blank_number} ({BLANK_OUTCOME_NAMES.get(b.outcome.value, b.outcome)})"
                    for b in line.blanks
                ),
                "outcome": str(CARD_OUTCOME_NAMES[line.outcome]),
                "reason": "; ".join(
                    dict.fromkeys(
                        reason_text(r)
                        for r in [*(b.reason for b in line.blanks), line.reason]
                        if r is not None
                    )
                ),
                "state": line.outcome.value,
            }
        )
    view.update(
        done=report.chosen,
        total=max(report.chosen, 1),
        stopped=report.stopped is not None,
        stopped_text=reason_text(report.stopped) if report.stopped is not None else "",
        report={
            "printer": report.printer,
            "chosen": report.chosen,
            "personalised": report.personalised,
            "reprinted": report.reprinted,
            "not_made": report.not_made,
            "spoiled_blanks": ", ".join(report.spoiled_blanks) or "—",
            "lines": lines,
        },
    )
    return view
