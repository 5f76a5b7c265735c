"""The blanks forms: a delivery of blanks received (§7–9) and a handover of the card duty (§51).

Fields check what a form can see (filled, a date typed as yyyy-mm-dd, a length); the number
range, the overlap with blanks on record and the employees' accounts are checked by the domain
and the store, which name the field of a refused value.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from emp_edge.errors import InputError
from emp_edge.store.blank_stock import DOCUMENT_MAX
from emp_edge.store.duty_handovers import NOTE_MAX, ORDER_MAX
from emp_edge.web.forms import DayField, Filled, strip

NUMBER_MAX = 20


def _too_long(length: int) -> object:
    return lazy_gettext("At most %(max)d characters.", max=length)


class ReceiveForm(FlaskForm):  # type: ignore[misc]
    """A delivery: the first and last blank numbers, the day, the delivery note's number."""

    first_number = StringField(
        lazy_gettext("First blank number"),
        id="first_number",
        validators=[
            Filled(lazy_gettext("Enter the first blank number.")),
            Length(max=NUMBER_MAX, message=_too_long(NUMBER_MAX)),
        ],
        filters=[strip],
    )
    last_number = StringField(
        lazy_gettext("Last blank number"),
        id="last_number",
        validators=[
            Filled(lazy_gettext("Enter the last blank number.")),
            Length(max=NUMBER_MAX, message=_too_long(NUMBER_MAX)),
        ],
        filters=[strip],
    )
    received_on = DayField(
        lazy_gettext("Received on"),
        id="received_on",
        validators=[Filled(lazy_gettext("Enter the day the blanks were received."))],
    )
    document = StringField(
        lazy_gettext("Delivery note number"),
        id="document",
        validators=[Length(max=DOCUMENT_MAX, message=_too_long(DOCUMENT_MAX))],
        filters=[strip],
    )


class DutyForm(FlaskForm):  # type: ignore[misc]
    """A handover of the unissued cards and the journals to another employee."""

    from_user = SelectField(
        lazy_gettext("Handed over by"),
        id="from_user",
        choices=[],
        validate_choice=False,
        validators=[Filled(lazy_gettext("Choose who hands the duty over."))],
    )
    to_user = SelectField(
        lazy_gettext("Taken over by"),
        id="to_user",
        choices=[],
        validate_choice=False,
        validators=[Filled(lazy_gettext("Choose who takes the duty over."))],
    )
    handed_on = DayField(
        lazy_gettext("Handed over on"),
        id="handed_on",
        validators=[Filled(lazy_gettext("Enter the day of the handover."))],
    )
    director_order = StringField(
        lazy_gettext("Director's order number"),
        id="director_order",
        validators=[
            Filled(lazy_gettext("Enter the number of the director's order.")),
            Length(max=ORDER_MAX, message=_too_long(ORDER_MAX)),
        ],
        filters=[strip],
    )
    note = TextAreaField(
        lazy_gettext("Note"),
        id="note",
        validators=[Length(max=NOTE_MAX, message=_too_long(NOTE_MAX))],
        filters=[strip],
    )

    def user_ids(self) -> tuple[int, int]:
        """The two employees chosen, as numbers."""
        found = []
        for field in (self.from_user, self.to_user):
            text = (field.data or "").strip()
            if not text.isdigit() or len(text) > 18:
                raise InputError("choose the employee from the list", where=field.name)
            found.append(int(text))
        return found[0], found[1]
