"""The card station's forms for one card: the request, the card's data and photo, "Kiti įrašai",
and the changes of its life (withdrawal, replacement, payment, return, spoiling).

Fields check what a form can see (a filled field, a date typed as yyyy-mm-dd, a choice from the
list); the rules of a card (one open request, the order of §18, the lock of §29, the fee) are
checked in the store, which names the field of a refused value. The card page holds several
forms, so every field has an id of its own.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from emp_edge.domain.card_station import CONTACT_MAX, NAME_MAX, Requester
from emp_edge.domain.cards import OtherEntryKind, ReplacementReason
from emp_edge.store.card_faces import ORDER_MAX, SCHOOL_TEXT_MAX
from emp_edge.web.forms import DayField, Filled, strip
from emp_edge.web.labels import OTHER_ENTRY_KIND_NAMES, REQUESTER_NAMES

REASON_MAX = 200


def _text(label: Any, *, id: str, length: int, needed: Any = None) -> StringField:
    too_long = lazy_gettext("At most %(max)d characters.", max=length)
    validators: list[Any] = [Length(max=length, message=too_long)]
    if needed is not None:
        validators.insert(0, Filled(needed))
    return StringField(label, id=id, validators=validators, filters=[strip])


def _requester(id: str) -> SelectField:
    return SelectField(
        lazy_gettext("Who asks"),
        id=id,
        choices=[SelectChoice(r.value, REQUESTER_NAMES[r]) for r in Requester],
        default=Requester.PUPIL.value,
    )


def _reason(id: str, label: Any) -> StringField:
    return _text(label, id=id, length=REASON_MAX, needed=lazy_gettext("Say why."))


# ---------------------------------------------------------------- the request (§20)


class RequestForm(FlaskForm):  # type: ignore[misc]
    """Annex 1 (the pupil asks) or annex 2 (a parent, guardian or carer asks)."""

    pupil = HiddenField()
    requester = _requester("requester")
    requester_name = _text(
        lazy_gettext("Name and surname of the person who asks"),
        id="requester_name",
        length=NAME_MAX,
    )
    requester_contact = _text(
        lazy_gettext("Phone or e-mail"), id="requester_contact", length=CONTACT_MAX
    )
    requested_on = DayField(
        lazy_gettext("Date of the request"),
        id="requested_on",
        validators=[Filled(lazy_gettext("Enter the date of the request."))],
    )


# ---------------------------------------------------------------- what is printed (§16–18)


class FaceForm(FlaskForm):  # type: ignore[misc]
    """The card's printed data as the staff check and confirm them (§21)."""

    first_name = _text(
        lazy_gettext("First name"),
        id="first_name",
        length=NAME_MAX,
        needed=lazy_gettext("Enter the first name."),
    )
    last_name = _text(
        lazy_gettext("Last name"),
        id="last_name",
        length=NAME_MAX,
        needed=lazy_gettext("Enter the last name."),
    )
    birth_date = DayField(
        lazy_gettext("Birth date"),
        id="birth_date",
        validators=[Filled(lazy_gettext("Enter the birth date."))],
    )
    school_name = _text(
        lazy_gettext("School"),
        id="school_name",
        length=SCHOOL_TEXT_MAX,
        needed=lazy_gettext("Enter the school's name."),
    )
    school_code = _text(
        lazy_gettext("School's identification code"),
        id="school_code",
        length=12,
        needed=lazy_gettext("Enter the school's identification code."),
    )


class PhotoForm(FlaskForm):  # type: ignore[misc]
    """A photo file, chosen or taken with the camera (the page's script fills the same field)."""

    photo = FileField(lazy_gettext("Photo (JPEG or PNG)"), id="photo")


class EntryForm(FlaskForm):  # type: ignore[misc]
    """A "Kiti įrašai" entry with the director's order naming the pupil (§18)."""

    kind = SelectField(
        lazy_gettext("Kind of entry"),
        id="entry_kind",
        choices=[SelectChoice(k.value, OTHER_ENTRY_KIND_NAMES[k]) for k in OtherEntryKind],
    )
    text = _text(
        lazy_gettext("Text on the card"),
        id="entry_text",
        length=SCHOOL_TEXT_MAX,
        needed=lazy_gettext("Enter the text of the entry."),
    )
    director_order = _text(
        lazy_gettext("Director's order number"),
        id="director_order",
        length=ORDER_MAX,
        needed=lazy_gettext("Enter the number of the director's order naming the pupil."),
    )
    director_order_date = DayField(lazy_gettext("Date of the order"), id="director_order_date")


class EmptyForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: only its CSRF token."""


# ---------------------------------------------------------------- the card's life


class CancelForm(FlaskForm):  # type: ignore[misc]
    reason = _reason("cancel_reason", lazy_gettext("Why is the request withdrawn?"))


class ReplaceForm(FlaskForm):  # type: ignore[misc]
    """A new card in place of an issued one (§37–40); sent once to see the fee, then confirmed."""

    reason = SelectField(
        lazy_gettext("Why is the card replaced?"),
        id="replace_reason",
        choices=[SelectChoice(r.value, r.value) for r in ReplacementReason],
    )
    requester = _requester("replace_requester")
    requester_name = _text(
        lazy_gettext("Name and surname of the person who asks"),
        id="replace_requester_name",
        length=NAME_MAX,
    )
    requester_contact = _text(
        lazy_gettext("Phone or e-mail"), id="replace_requester_contact", length=CONTACT_MAX
    )
    requested_on = DayField(
        lazy_gettext("Date of the request"),
        id="replace_requested_on",
        validators=[Filled(lazy_gettext("Enter the date of the request."))],
    )
    confirm = HiddenField(id="replace_confirm")


class PaymentForm(FlaskForm):  # type: ignore[misc]
    paid_on = DayField(
        lazy_gettext("Paid on"),
        id="paid_on",
        validators=[Filled(lazy_gettext("Enter the day of the payment."))],
    )
    reference = _text(
        lazy_gettext("Payment reference (bank statement or receipt)"),
        id="reference",
        length=CONTACT_MAX,
    )


class ReturnForm(FlaskForm):  # type: ignore[misc]
    returned_on = DayField(
        lazy_gettext("Returned on"),
        id="returned_on",
        validators=[Filled(lazy_gettext("Enter the day the card was returned."))],
    )
    reason = _reason("return_reason", lazy_gettext("Why is the card returned?"))


class SpoilForm(FlaskForm):  # type: ignore[misc]
    reason = _reason("spoil_reason", lazy_gettext("What is wrong with the card?"))
