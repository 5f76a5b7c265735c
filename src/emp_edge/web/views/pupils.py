"""The pupils pages: search the list, open a pupil, import a class list with live progress.

Every list and every pupil page viewed is one row of the audit trail. The personal code is shown
masked, in full only to a manager of personal data (and the audit row says so). A class list
uploaded here is kept in a private spool folder only while its import runs.

The web does not import the roster package (the outer parts stay independent): the composition
root hands the importer in with ``use_classlist_importer``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from math import ceil
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.money import format_eur
from emp_edge.errors import EdgeError, InputError
from emp_edge.store import Store
from emp_edge.store.audit import Entry, record
from emp_edge.store.enrolment_pages import pupil_enrolments
from emp_edge.store.pupil_pages import PupilQuery, pupil_details, read_query, search_pupils
from emp_edge.web import jobs as background
from emp_edge.web.access import audit_view, entry, may, needs, services
from emp_edge.web.i18n import error_text
from emp_edge.web.labels import CARD_STATE_NAMES, MEAL_NAMES

log = logging.getLogger(__name__)

blueprint = Blueprint("pupils", __name__, url_prefix="/pupils")

PER_PAGE = 50
MAX_PAGE = 10_000
#: a class list is small: 10,000 pupils are under 1 MB
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")
IMPORTER = "emp_edge_classlist_importer"

PD = Area.PERSONAL_DATA

SEXES = {"M": lazy_gettext("male"), "F": lazy_gettext("female")}
MEAL_SOURCES = {"registry": lazy_gettext("from the registry"), "staff": lazy_gettext("by staff")}


# ---------------------------------------------------------------- the importer, handed in


class RowProblems(Protocol):
    """A bad row of a class list: its line and each problem (an English template to translate)."""

    @property
    def line(self) -> int: ...

    @property
    def problems(self) -> Sequence[EdgeError]: ...


class ImportOutcome(Protocol):
    """What an import (or a check) of a class list found and did."""

    @property
    def imported(self) -> int: ...

    @property
    def errors(self) -> Sequence[RowProblems]: ...

    @property
    def created(self) -> int: ...

    @property
    def updated(self) -> int: ...

    @property
    def unchanged(self) -> int: ...

    @property
    def dry_run(self) -> bool: ...


class ClassListImporter(Protocol):
    """The roster's ``import_classlist`` with the school bound: raises InputError for a bad file."""

    def __call__(
        self,
        store: Store | None,
        path: Path,
        *,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportOutcome: ...


def use_classlist_importer(app: Flask, importer: ClassListImporter) -> None:
    """Called by the composition root: the import page imports through ``importer``."""
    app.extensions[IMPORTER] = importer


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    background.install(state.app)


# ---------------------------------------------------------------- the list


@blueprint.get("/")
@needs(viewer(PD))
def index() -> ResponseReturnValue:
    text = request.args.get("q", "").strip()[:200]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = read_query(text)
    found = search_pupils(
        services().store.conn, query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    audit_view("pupils.listed", detail=_list_detail(query, page, found.total))
    return render_template(
        "pupils/index.html",
        q=text,
        query=query,
        found=found,
        page=page,
        pages=max(1, ceil(found.total / PER_PAGE)),
        can_import=may(manager(PD)),
    )


def _list_detail(query: PupilQuery, page: int, total: int) -> str:
    """What was searched, for the audit trail: never a word with digits (a personal code)."""
    names = [w for w in query.words if not any(ch.isdigit() for ch in w)]
    hidden = len(query.words) - len(names)
    parts: list[str] = []
    if names:
        parts.append("names: " + " ".join(names)[:100])
    if query.classes:
        parts.append("classes: " + ", ".join(c.label for c in query.classes))
    if hidden:
        parts.append(f"{hidden} word(s) with digits not recorded")
    if not parts:
        parts.append("all active pupils")
    return "; ".join([*parts, f"page {page}", f"{total} found"])


# ---------------------------------------------------------------- one pupil


@blueprint.get("/<int:pupil_id>")
@needs(viewer(PD))
def show(pupil_id: int) -> ResponseReturnValue:
    pupil = pupil_details(services().store.conn, pupil_id, services().clock.today())
    if pupil is None:
        abort(404)
    code_shown = may(manager(PD)) and bool(pupil.personal_code)
    audit_view("pupil.viewed", f"pupil:{pupil_id}", "code shown" if code_shown else "")
    return render_template(
        "pupils/show.html",
        pupil=pupil,
        code=pupil.personal_code if code_shown else pupil.code_masked,
        code_shown=code_shown,
        balance=format_eur(pupil.balance_cents),
        sexes=SEXES,
        card_states=CARD_STATE_NAMES,
        meal_types=MEAL_NAMES,
        meal_sources=MEAL_SOURCES,
        canteen_link=may(viewer(Area.CANTEEN)),
        # every group, past ones too, with links: for those who see learning data
        enrolments=(
            pupil_enrolments(services().store.conn, pupil_id)
            if may(viewer(Area.LEARNING_DATA))
            else None
        ),
        can_enrol=may(manager(Area.LEARNING_DATA)) and pupil.active,
    )


# ---------------------------------------------------------------- class-list import


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(validators=[FileRequired()])
    dry_run = BooleanField()


class UploadError(Exception):
    """The upload cannot be imported; ``text`` says why, in the reader's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _form_page(form: ImportForm, error: str = "", status: int = 200) -> ResponseReturnValue:
    return render_template("pupils/import.html", form=form, error=error), status


@blueprint.route("/import", methods=["GET", "POST"])
@needs(manager(PD))
def import_classlist() -> ResponseReturnValue:
    form = ImportForm()
    if request.method == "GET":
        return _form_page(form)
    if not form.validate():
        return _form_page(form, gettext("Choose a CSV or XLSX file to import."), 400)
    importer: ClassListImporter | None = current_app.extensions.get(IMPORTER)
    if importer is None:
        log.error("class-list import is not wired: the composition root gives no importer")
        return _form_page(form, gettext("Class-list import is not available on this server."), 503)
    try:
        path = _receive(form.file.data)
    except UploadError as refused:
        return _form_page(form, refused.text, 400)
    try:
        checked = importer(None, path, dry_run=True)
    except InputError as err:
        _remove(path)
        return _form_page(form, error_text(err), 400)
    except BaseException:
        _remove(path)
        raise
    dry_run = bool(form.dry_run.data)
    job_id = _start_job(importer, path, checked, dry_run)
    return redirect(url_for(".import_job", job_id=job_id), code=303)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge) -> ResponseReturnValue:
    return _form_page(ImportForm(formdata=None), _too_large_text(), 400)


def _too_large_text() -> str:
    limit = _upload_limit() / (1024 * 1024)
    text: str = gettext(
        "The file is too large: a class list may be at most %(size)s MB.", size=f"{limit:g}"
    )
    return text


def _upload_limit() -> int:
    return int(current_app.config.get("CLASSLIST_MAX_BYTES", MAX_UPLOAD_BYTES))


def _receive(upload: Any) -> Path:
    """Keep the upload in the private spool; refuse a file of the wrong kind, empty or large."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadError(gettext("Only CSV and XLSX files can be imported."))
    folder = services().settings.data_dir / "spool"
    try:
        return background.spool(upload.stream, folder, suffix, _upload_limit())
    except background.SpoolError as err:
        raise UploadError(
            _too_large_text() if err.too_large else gettext("The file is empty.")
        ) from err


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _start_job(
    importer: ClassListImporter, path: Path, checked: ImportOutcome, dry_run: bool
) -> str:
    """A job that shows the check's result, or imports the checked file in the background."""
    store = services().store
    user = current_user.account.id
    who = entry("pupils.imported")
    if checked.errors or dry_run:
        what = "import_refused" if checked.errors else "import_checked"
        detail = (
            f"{len(checked.errors)} bad row(s); nothing imported"
            if checked.errors
            else f"check only: {checked.imported} row(s) good"
        )
        _record(store, replace(who, action=f"pupils.{what}", detail=detail))
        _remove(path)
        return background.jobs().start(user, "classlist", lambda progress: checked)

    def work(progress: Callable[[int, int], None]) -> ImportOutcome:
        report = importer(store, path, dry_run=False, progress=progress)
        if report.errors:  # the file changed under us: nothing was written
            detail = f"{len(report.errors)} bad row(s); nothing imported"
            _record(store, replace(who, action="pupils.import_refused", detail=detail))
        else:
            detail = (
                f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
            )
            _record(store, replace(who, detail=detail))
        return report

    def cleanup() -> None:
        _remove(path)
        if store.path is not None:
            store.conn.close()  # this thread's own connection, not the server's

    return background.jobs().start(user, "classlist", work, total=checked.imported, cleanup=cleanup)


def _record(store: Store, who: Entry) -> None:
    with store.transaction(require_event=False) as tx:
        record(tx, who)


@blueprint.get("/import/<job_id>")
@needs(manager(PD))
def import_job(job_id: str) -> ResponseReturnValue:
    job = _job_or_404(job_id)
    return render_template("pupils/import_job.html", job_id=job_id, job=_job_view(job))


@blueprint.get("/import/<job_id>/events")
@needs(manager(PD))
def import_job_events(job_id: str) -> ResponseReturnValue:
    return background.progress_stream(job_id, "classlist", _job_view)


def _job_or_404(job_id: str) -> background.Job:
    return background.own_job(job_id, "classlist")


def _problem_text(problem: EdgeError) -> str:
    text = error_text(problem)
    return f"{problem.where}: {text}" if problem.where else text


def _job_view(job: background.Job) -> dict[str, Any]:
    """The job as the page and its live stream show it, in the reader's language."""
    report: ImportOutcome | None = job.result
    view: dict[str, Any] = {
        "finished": job.finished,
        "running": not job.finished,
        "done": job.done,
        "total": job.total,
        "imported": False,
        "checked": False,
        "rejected": False,
        "failed": False,
        "error_text": "",
        "report": None,
    }
    if not job.finished:
        return view
    if report is None:
        view["failed"] = True
        view["error_text"] = (
            error_text(job.error)
            if job.error is not None
            else gettext("The import stopped because of an unexpected error. Nothing was imported.")
        )
        view["done"] = view["total"] = 1
        return view
    rows = [
        {"line": row.line, "reason": "; ".join(_problem_text(p) for p in row.problems)}
        for row in report.errors
    ]
    view.update(
        rejected=bool(rows),
        checked=not rows and report.dry_run,
        imported=not rows and not report.dry_run,
        done=max(report.imported, 1),
        total=max(report.imported, 1),
        report={
            "rows": report.imported,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "bad": len(rows),
            "errors": rows,
        },
    )
    return view
