"""The club leader's forms: open a session (today's scheduled one, or an extra one), close it,
and mark a pupil present by hand or take the mark away.

Fields check what a form can see (a time typed as HH:MM, a number); whether the session may be
opened or the pupil marked is the store's to say, with its reason.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from emp_edge.domain.clubs import MAX_ACADEMIC_HOURS
from emp_edge.web.forms import Filled
from emp_edge.web.forms.clubs import ClockField

SLOT = "slot"
EXTRA = "extra"


class OpenSessionForm(FlaskForm):  # type: ignore[misc]
    """``what`` is ``slot`` (today's scheduled session) or ``extra`` (the fields below)."""

    what = HiddenField(default=SLOT)
    terminal = SelectField(
        lazy_gettext("Club room's terminal"), id="terminal", choices=[], validate_choice=False
    )
    academic_hours = IntegerField(
        lazy_gettext("Academic hours"),
        id="academic_hours",
        default=2,
        validators=[
            InputRequired(lazy_gettext("This field is needed.")),
            NumberRange(
                1,
                MAX_ACADEMIC_HOURS,
                lazy_gettext("From 1 to %(max)d academic hours.", max=MAX_ACADEMIC_HOURS),
            ),
        ],
    )
    ends = ClockField(lazy_gettext("Ends at"), id="ends", validators=[Filled()])


class MarkForm(FlaskForm):  # type: ignore[misc]
    pupil = SelectField(lazy_gettext("Pupil"), id="pupil", choices=[], validate_choice=False)

    def pupil_id(self) -> int | None:
        text = str(self.pupil.data or "").strip()
        return int(text) if text.isdigit() else None


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that only carries the form token (close, remove a mark)."""
