"""Every page names what it needs, and one check before each request enforces it.

A view is marked with ``@needs(rule)``; a route without a mark is refused (fail closed), and the
route × role test in the suite fails for it too. The audit helpers write who did what from
where, in the transaction of the change or, for a view of personal data, in its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from emp_edge.domain.access import PUBLIC, Grants, Rule
from emp_edge.services import Services
from emp_edge.store.audit import Entry, record
from emp_edge.store.outbox import Transaction

View = TypeVar("View", bound=Callable[..., Any])


def needs(rule: Rule) -> Callable[[View], View]:
    """Mark a view with what it needs; ``enforce`` reads the mark."""

    def mark(view: View) -> View:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return mark


def rule_of(endpoint: str) -> Rule | None:
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def services() -> Services:
    found: Services = current_app.extensions["emp_edge"]
    return found


def grants() -> Grants | None:
    """The signed-in person's rights, or None when nobody is signed in."""
    if current_user.is_authenticated:
        found: Grants = current_user.account.grants
        return found
    return None


def may(rule: Rule) -> bool:
    """For templates: show a link or button only to those who may use it."""
    return rule.permits(grants())


def enforce() -> ResponseReturnValue | None:
    """Before each request: let it pass, send it to the login page, or refuse it."""
    if request.endpoint is None:
        return None  # no such page: the 404 page answers
    rule = rule_of(request.endpoint)
    if rule is None:
        current_app.logger.error("route has no access rule endpoint=%s", request.endpoint)
        abort(403)
    if rule.permits(grants()):
        return None
    if not current_user.is_authenticated:
        if wants_page():
            return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
        abort(401)
    request.environ["emp_edge.refused_rule"] = rule
    abort(403)


def wants_page() -> bool:
    """A person's browser asking for a page, not a live stream or a form being sent."""
    endpoint = request.endpoint or ""
    return request.method == "GET" and not endpoint.endswith("_events")


def source() -> str:
    """Where the request came from, for the audit trail."""
    return request.remote_addr or ""


def entry(action: str, subject: str = "", detail: str = "") -> Entry:
    """An audit entry for the signed-in person doing ``action`` now."""
    if current_user.is_authenticated:
        account = current_user.account
        return Entry(account.username, action, subject, detail, source(), account.id)
    return Entry("", action, subject, detail, source())


def audit(tx: Transaction, action: str, subject: str = "", detail: str = "") -> None:
    """Record the change being made in ``tx`` in the audit trail."""
    record(tx, entry(action, subject, detail))


def audit_view(action: str, subject: str = "", detail: str = "") -> None:
    """Record a view of personal data, in its own small transaction."""
    with services().store.transaction(require_event=False) as tx:
        record(tx, entry(action, subject, detail))
