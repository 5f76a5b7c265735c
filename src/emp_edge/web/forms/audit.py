"""The audit trail's filter: read from the query string, so it has no CSRF token."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, ValidationError

from emp_edge.web.forms import DayField, strip

LONGEST = 100


def _text(label: Any) -> StringField:
    too_long = lazy_gettext("At most %(max)d characters.", max=LONGEST)
    return StringField(label, validators=[Length(max=LONGEST, message=too_long)], filters=[strip])


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    actor = _text(lazy_gettext("User name"))
    action = _text(lazy_gettext("Action begins with"))
    subject = _text(lazy_gettext("Subject"))
    since = DayField(lazy_gettext("From"))
    until = DayField(lazy_gettext("To"))

    def validate_until(self, field: DayField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(lazy_gettext("The last day comes before the first."))

    def used(self) -> list[str]:
        """The names of the filters given (not their values), for the audit trail."""
        return [name for name, field in self._fields.items() if field.data]
