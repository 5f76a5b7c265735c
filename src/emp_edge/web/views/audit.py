"""The audit trail: who did what and when, newest first, with the chain check on top.

Admins only; reading the trail is itself recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import ADMIN
from emp_edge.store.audit import AuditFilter, browse, verify
from emp_edge.web.access import audit_view, needs, services
from emp_edge.web.forms.audit import AuditFilterForm

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50

#: the chain check's reasons (store/audit.py), in the reader's language
REASONS: dict[str, LazyString] = {
    "it does not follow the row before it": lazy_gettext("it does not follow the row before it"),
    "its content does not match its hash": lazy_gettext("its content does not match its hash"),
}


def _moment(day: date | None) -> str:
    """The start of ``day`` in the school's time zone, as the UTC text the rows hold."""
    if day is None:
        return ""
    start = datetime.combine(day, time(0), tzinfo=services().settings.tz)
    return start.astimezone(UTC).isoformat()


def _filter(form: AuditFilterForm) -> AuditFilter:
    until: date | None = form.until.data
    return AuditFilter(
        actor=form.actor.data or "",
        action=form.action.data or "",
        subject=form.subject.data or "",
        since=_moment(form.since.data),
        before=_moment(until + timedelta(days=1) if until else None),
    )


def _page_url(page: int) -> str:
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return url_for("audit.index", page=page, **args)


@blueprint.get("/")
@needs(ADMIN)
def index() -> ResponseReturnValue:
    form = AuditFilterForm(formdata=request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    valid = form.validate()
    audit_view("audit.viewed", detail=", ".join(form.used()) if valid else "")
    conn = services().store.conn
    check = verify(conn)
    rows: list[Any] = []
    total = 0
    if valid:
        rows, total = browse(conn, _filter(form), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "audit/index.html",
        form=form,
        check=check,
        reason=REASONS.get(check.reason, check.reason),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        previous_url=_page_url(page - 1) if page > 1 else "",
        next_url=_page_url(page + 1) if page < pages else "",
    ), (200 if valid else 400)
