"""Languages: Lithuanian by default, English by a switch remembered per user.

Message ids are English; both catalogs (``translations/lt`` and ``translations/en``) are complete,
and a test fails on a string that is missing from either. Errors raised below the web carry an
English template and parameters; ``error_text`` translates the template, then fills it in.
Dates are shown as yyyy-mm-dd and moments in the school's time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import flask_babel
from flask import Flask, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from emp_edge.errors import EdgeError

LANGUAGES = {"lt": "Lietuvių", "en": "English"}
DEFAULT = "lt"


def gettext(message: str, **variables: Any) -> str:
    """flask_babel's gettext, typed: the message in the reader's language."""
    return str(flask_babel.gettext(message, **variables))


def select_language() -> str:
    if current_user.is_authenticated:
        language: str = current_user.account.language
        return language if language in LANGUAGES else DEFAULT
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT


def error_text(err: EdgeError) -> str:
    """The error in the reader's language, its parameters filled in."""
    template = gettext(err.template) if err.template else err.template
    if not err.params:
        return template
    try:
        return template.format(**err.params)
    except (KeyError, IndexError, ValueError):
        return err.message


def language() -> str:
    return str(get_locale() or DEFAULT)


def setup(app: Flask) -> None:
    Babel(app, default_locale=DEFAULT, locale_selector=select_language)
    tz = app.extensions["emp_edge"].settings.tz

    def day(value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(tz).date()
        return value.isoformat()

    def moment(value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["language"] = language
