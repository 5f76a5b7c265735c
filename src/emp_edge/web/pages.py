"""The pages for what went wrong: each failure its own clear page, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from emp_edge.domain.access import Rule
from emp_edge.errors import EdgeError, InputError
from emp_edge.web.access import wants_page
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.labels import rule_text

log = logging.getLogger(__name__)


def _problem(status: int, title: str, text: str) -> ResponseReturnValue:
    return render_template("problem.html", status=status, title=title, text=text), status


def csrf_failed(err: CSRFError) -> ResponseReturnValue:
    return _problem(
        400,
        gettext("The form has expired"),
        gettext(
            "This form was open too long or came from another page, so it was not sent. "
            "Nothing was changed. Go back, reload the page and try again."
        ),
    )


def not_signed_in(err: HTTPException) -> ResponseReturnValue:
    if wants_page():
        return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
    return _problem(401, gettext("Sign in first"), gettext("This needs a signed-in account."))


def forbidden(err: HTTPException) -> ResponseReturnValue:
    rule: Rule | None = request.environ.get("emp_edge.refused_rule")
    text = gettext("Your account may not open this page or do this.")
    if rule is not None:
        text += " " + gettext("It needs: %(right)s.", right=rule_text(rule))
    text += " " + gettext("Ask the administrator if you need this right.")
    return _problem(403, gettext("Not allowed"), text)


def not_found(err: HTTPException) -> ResponseReturnValue:
    return _problem(404, gettext("Page not found"), gettext("There is no such page here."))


def other_http(err: HTTPException) -> ResponseReturnValue:
    code = err.code or 500
    if code == 413:
        return _problem(413, gettext("The file is too large"), gettext("Choose a smaller file."))
    if code == 405:
        return _problem(405, gettext("Not here"), gettext("This page does not take that request."))
    return _problem(
        code, gettext("The request was not understood"), gettext("Go back and try again.")
    )


def edge_error(err: EdgeError) -> ResponseReturnValue:
    if isinstance(err, InputError):
        return _problem(400, gettext("This cannot be done"), error_text(err))
    log.error("request failed endpoint=%s error=%s", request.endpoint, type(err).__name__)
    return _problem(500, gettext("Something went wrong"), error_text(err))


def server_error(err: Exception) -> ResponseReturnValue:
    log.error("request failed endpoint=%s error=%s", request.endpoint, type(err).__name__)
    return _problem(
        500,
        gettext("Something went wrong"),
        gettext("The page could not be made. Nothing half-done was saved. Try again later."),
    )


def setup(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(401, not_signed_in)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(HTTPException, other_http)
    app.register_error_handler(EdgeError, edge_error)
    app.register_error_handler(500, server_error)
