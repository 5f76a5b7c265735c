"""The card station's forms: a print batch, the handover act, the issue of a card against the
journal, and the commission's destruction act.

Fields check what a form can see (ticked boxes, a filled field, a date typed as yyyy-mm-dd, a
length); the rules themselves (the card is ready, the blank is free, the commission has two
people) are checked by the store, which names the field of a refused value.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from emp_edge.domain.card_station import NAME_MAX, Recipient
from emp_edge.errors import InputError
from emp_edge.web.forms import DayField, Filled, strip
from emp_edge.web.labels import RECIPIENT_NAMES

NUMBER_MAX = 20
MEMBERS = 4
"""Commission members besides the chair that the destruction form offers."""


def _too_long(length: int) -> object:
    return lazy_gettext("At most %(max)d characters.", max=length)


def _name(label: object, *, id: str, needed: str | None = None) -> StringField:
    checks: list[object] = [Length(max=NAME_MAX, message=_too_long(NAME_MAX))]
    if needed is not None:
        checks.insert(0, Filled(needed))
    return StringField(label, id=id, validators=checks, filters=[strip])


def _ticks(label: object, *, id: str) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        id=id,
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def ticked_numbers(field: SelectMultipleField, *, where: str) -> list[int]:
    """The numbers of the ticked rows, in the order shown; an InputError for a forged value."""
    numbers: list[int] = []
    for text in field.data or []:
        value = str(text).strip()
        if not value.isdigit() or len(value) > 18:
            raise InputError("choose from the list", where=where)
        numbers.append(int(value))
    return numbers


class BatchForm(FlaskForm):  # type: ignore[misc]
    """The cards to print in this batch, and the number of the blank on top of the stack."""

    cards = _ticks(lazy_gettext("Cards to print"), id="cards")
    first_blank = StringField(
        lazy_gettext("Number of the first blank in the printer"),
        id="first_blank",
        validators=[Length(max=NUMBER_MAX, message=_too_long(NUMBER_MAX))],
        filters=[strip],
    )


class HandoverForm(FlaskForm):  # type: ignore[misc]
    """The personalised cards handed to the school, who hands them over and who receives them."""

    cards = _ticks(lazy_gettext("Cards handed over"), id="cards")
    made_on = DayField(
        lazy_gettext("Date of the act"),
        id="made_on",
        validators=[Filled(lazy_gettext("Enter the date of the act."))],
    )
    handed_by = _name(
        lazy_gettext("Handed over by"),
        id="handed_by",
        needed=lazy_gettext("Enter who hands the cards over."),
    )
    received_by = _name(
        lazy_gettext("Received by"),
        id="received_by",
        needed=lazy_gettext("Enter who receives the cards for the school."),
    )


class IssueForm(FlaskForm):  # type: ignore[misc]
    """A card given out: who received it (role and name) and when; ``back`` is the page to
    return to (the card's page or the handover page)."""

    recipient = SelectField(
        lazy_gettext("Received by"),
        id="recipient",
        choices=[
            SelectChoice("", lazy_gettext("-choose-")),
            *(SelectChoice(r.value, RECIPIENT_NAMES[r]) for r in Recipient),
        ],
        validate_choice=False,
        validators=[Filled(lazy_gettext("Choose who received the card."))],
    )
    recipient_name = _name(
        lazy_gettext("Name and surname of the person who received it"),
        id="recipient_name",
        needed=lazy_gettext("Enter the name of the person who received the card."),
    )
    issued_on = DayField(
        lazy_gettext("Issued on"),
        id="issued_on",
        validators=[Filled(lazy_gettext("Enter the day the card was issued."))],
    )
    back = HiddenField()

    def role(self) -> Recipient:
        try:
            return Recipient(self.recipient.data or "")
        except ValueError:
            raise InputError("choose who received the card", where="recipient") from None


class DestructionForm(FlaskForm):  # type: ignore[misc]
    """The blanks and cards destroyed, the commission (its chair and members) and the date."""

    blanks = _ticks(lazy_gettext("Blanks and cards to destroy"), id="blanks")
    made_on = DayField(
        lazy_gettext("Date of the act"),
        id="made_on",
        validators=[Filled(lazy_gettext("Enter the date of the act."))],
    )
    chair = _name(
        lazy_gettext("Chair of the commission"),
        id="chair",
        needed=lazy_gettext("Enter the chair of the commission."),
    )
    member_1 = _name(lazy_gettext("Member"), id="member_1")
    member_2 = _name(lazy_gettext("Member"), id="member_2")
    member_3 = _name(lazy_gettext("Member"), id="member_3")
    member_4 = _name(lazy_gettext("Member"), id="member_4")

    def members(self) -> list[StringField]:
        return [self.member_1, self.member_2, self.member_3, self.member_4][:MEMBERS]

    def commission(self) -> list[str]:
        """The chair first, then the members filled in."""
        return [
            str(f.data or "").strip()
            for f in (self.chair, *self.members())
            if str(f.data or "").strip()
        ]
