"""The enrolment forms: steps 2–3 of the registry's registration (first day, group, contract),
the funding marks of an enrolment, and the deregistration.

Fields check what a form can see (a date typed as yyyy-mm-dd, a filled field); the rules of an
enrolment (the school year, the contract, the one basket) are checked in the store, which names
the field of a refused value.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from emp_edge.domain.clubs import CONTRACT_NUMBER_MAX, DEPARTURE_REASONS, ORDER_NUMBER_MAX
from emp_edge.errors import InputError
from emp_edge.web.forms import DayField, Filled, strip
from emp_edge.web.labels import CONTRACT_TYPE_NAMES, DEPARTURE_REASON_NAMES


def _text(label: object, *, id: str, length: int) -> StringField:
    too_long = lazy_gettext("At most %(max)d characters.", max=length)
    return StringField(
        label, id=id, validators=[Length(max=length, message=too_long)], filters=[strip]
    )


class FindForm(FlaskForm):  # type: ignore[misc]
    """Step 1: a personal code (exact) or a name (any part, accents not needed)."""

    q = _text(lazy_gettext("Personal code or name"), id="q", length=200)


class EnrolForm(FlaskForm):  # type: ignore[misc]
    """Steps 2 and 3: the arrival (first day, group with its programme) and the contract."""

    first_day = DayField(
        lazy_gettext("First day of learning"),
        id="first_day",
        validators=[Filled(lazy_gettext("Enter the first day of learning."))],
    )
    group = SelectField(
        lazy_gettext("NVŠ group"),
        id="group",
        choices=[],
        validate_choice=False,
        validators=[Filled(lazy_gettext("Choose the group."))],
    )
    contract_type = SelectField(
        lazy_gettext("Contract type"),
        id="contract_type",
        choices=[
            SelectChoice("", lazy_gettext("-choose-")),
            *(SelectChoice(code, name) for code, name in CONTRACT_TYPE_NAMES.items()),
        ],
        validate_choice=False,
    )
    contract_date = DayField(lazy_gettext("Contract date"), id="contract_date")
    contract_number = _text(
        lazy_gettext("Contract number"), id="contract_number", length=CONTRACT_NUMBER_MAX
    )

    def group_id(self) -> int:
        text = (self.group.data or "").strip()
        if not text.isdigit() or len(text) > 18:
            raise InputError("choose the group from the list", where="group")
        return int(text)


class FundingForm(FlaskForm):  # type: ignore[misc]
    """The kinds of funding ticked for an enrolment: one, several or all (or none)."""

    kinds = SelectMultipleField(
        lazy_gettext("NVŠ funding"),
        id="kinds",
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class UnmarkForm(FlaskForm):  # type: ignore[misc]
    """Remove one mark, e.g. one the registry rejected."""

    kind = HiddenField()


class DeregisterForm(FlaskForm):  # type: ignore[misc]
    left_on = DayField(
        lazy_gettext("Departure date"),
        id="left_on",
        validators=[Filled(lazy_gettext("Enter the departure date."))],
    )
    order_number = _text(
        lazy_gettext("Director's order number (if an order is written)"),
        id="order_number",
        length=ORDER_NUMBER_MAX,
    )
    reason = SelectField(
        lazy_gettext("Reason for leaving"),
        id="reason",
        choices=[
            SelectChoice("", lazy_gettext("-choose-")),
            *(SelectChoice(code, DEPARTURE_REASON_NAMES[code]) for code in DEPARTURE_REASONS),
        ],
        validate_choice=False,
    )
