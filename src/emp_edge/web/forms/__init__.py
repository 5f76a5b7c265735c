"""Forms of the admin pages (flask-wtf, so every POST carries its CSRF token).

Fields check what a form can see (a filled field, a date typed as yyyy-mm-dd); the rules of the
records themselves are checked below, in the store, and ``show_error`` puts such an error next
to the field it names. Every message is marked for translation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import StopValidation

from emp_edge.errors import InputError
from emp_edge.web.i18n import error_text

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def strip(value: Any) -> Any:
    """A filter: text without the spaces around it."""
    return value.strip() if isinstance(value, str) else value


class DayField(StringField):  # type: ignore[misc]
    """A date typed as yyyy-mm-dd; empty means none."""

    data: date | None

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        try:
            if not _DAY.fullmatch(text):
                raise ValueError(text)
            self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(gettext("Enter the date as yyyy-mm-dd, e.g. 2026-09-01.")) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if isinstance(self.data, date) else ""


class Filled:
    """A validator: the field holds something besides spaces."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.errors:  # a date that could not be read already says so
            raise StopValidation()
        value = field.data
        if value is None or (isinstance(value, str) and not value.strip()):
            raise StopValidation(self.message or lazy_gettext("This field is needed."))


def show_error(form: FlaskForm, err: InputError) -> None:
    """Put an error of the store next to the field it names, or above the form."""
    field = form._fields.get(err.where or "")
    if field is None:
        form.form_errors.append(error_text(err))
        return
    field.errors = [*field.errors, error_text(err)]
