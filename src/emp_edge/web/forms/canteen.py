"""The canteen's forms: meal types, items, and the actions on a pupil's canteen account.

Amounts are typed the Lithuanian way ("2,50", "1 234,50 €") and read by ``parse_eur``; a bad
amount is shown at its field. The rules of the records (windows, prices, limits, notes) are
checked in the store and the domain, which name the field of a refused value. Each field has an
id of its own, because the account page holds several forms.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from emp_edge.domain.money import format_eur, parse_eur
from emp_edge.errors import InputError
from emp_edge.web.forms import DayField, Filled, strip
from emp_edge.web.i18n import error_text

TEXT = 200


class MoneyField(StringField):  # type: ignore[misc]
    """An amount in euros as people type it, held in cents; empty is None when ``optional``."""

    data: int | None

    def __init__(
        self, *args: Any, negative: bool = False, optional: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.negative = negative
        self.optional = optional

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text and self.optional:
            return
        try:
            self.data = parse_eur(text, allow_negative=self.negative)
        except InputError as err:
            raise ValueError(error_text(err)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_eur(self.data) if isinstance(self.data, int) else ""


def _text(label: Any, *, id: str, length: int = TEXT) -> StringField:
    too_long = lazy_gettext("At most %(max)d characters.", max=length)
    return StringField(
        label, id=id, validators=[Length(max=length, message=too_long)], filters=[strip]
    )


def _choice(label: Any, *, id: str) -> SelectField:
    """A choice the store checks (an unknown item or meal is refused there, with its reason)."""
    return SelectField(label, id=id, choices=[], validate_choice=False)


# ---------------------------------------------------------------- meals and items


class MealTypeForm(FlaskForm):  # type: ignore[misc]
    code = _text(lazy_gettext("Meal code"), id="code", length=32)
    name = _text(lazy_gettext("Meal name"), id="name")
    serves_from = _text(lazy_gettext("Served from (hh:mm)"), id="serves_from", length=5)
    serves_until = _text(
        lazy_gettext("Served until (hh:mm, not included)"), id="serves_until", length=5
    )
    default_item = _choice(
        lazy_gettext("Default item (sold when nothing is picked)"), id="default_item"
    )

    def default_item_id(self) -> int | None:
        return item_number(self.default_item.data, "default_item")


class ItemForm(FlaskForm):  # type: ignore[misc]
    name = _text(lazy_gettext("Item name"), id="name")
    price = MoneyField(lazy_gettext("Price"), id="price")
    meal_type = _choice(lazy_gettext("The meal it is (free for the entitled)"), id="meal_type")
    active = BooleanField(lazy_gettext("Sold at the tills"), id="active")


def item_number(text: str | None, where: str) -> int | None:
    """An item id from a form: empty is none; anything but a number is an unknown item."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InputError("there is no item {item!r}", where=where, item=text[:40])
    return int(text)


# ---------------------------------------------------------------- a pupil's account


class TopUpForm(FlaskForm):  # type: ignore[misc]
    amount = MoneyField(lazy_gettext("Amount"), id="topup_amount")
    method = RadioField(
        lazy_gettext("Paid"),
        id="topup_method",
        choices=[
            SelectChoice("cash", lazy_gettext("in cash")),
            SelectChoice("bank", lazy_gettext("by bank transfer")),
        ],
        default="cash",
        validate_choice=False,
    )
    reference = _text(lazy_gettext("Cash receipt number or bank reference"), id="reference")


class RefundForm(FlaskForm):  # type: ignore[misc]
    sale = HiddenField()
    amount = MoneyField(lazy_gettext("Amount to give back"), id="refund_amount")
    reason = _text(lazy_gettext("Reason"), id="refund_reason")


class CorrectionForm(FlaskForm):  # type: ignore[misc]
    amount = MoneyField(
        lazy_gettext("Amount (-2,50 takes money off)"), id="correction_amount", negative=True
    )
    reason = _text(lazy_gettext("Reason"), id="correction_reason")


class LimitForm(FlaskForm):  # type: ignore[misc]
    daily_limit = MoneyField(
        lazy_gettext("Daily limit (empty: no limit)"), id="daily_limit", optional=True
    )
    limit_note = _text(lazy_gettext("Parent's request: who asked, and when"), id="limit_note")


class NoBuyForm(FlaskForm):  # type: ignore[misc]
    items = SelectMultipleField(
        lazy_gettext("Items not to sell"),
        id="items",
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def item_ids(self) -> list[int]:
        return [n for n in (item_number(v, "items") for v in self.items.data or []) if n]


class DietNoteForm(FlaskForm):  # type: ignore[misc]
    diet_note = TextAreaField(
        lazy_gettext("Allergy or diet note shown at the till"), id="diet_note", filters=[strip]
    )


class EntitlementForm(FlaskForm):  # type: ignore[misc]
    meal_type = _choice(lazy_gettext("Meal"), id="entitlement_meal")
    valid_from = DayField(
        lazy_gettext("From"),
        id="entitlement_from",
        validators=[Filled(lazy_gettext("Enter the first day."))],
    )
    valid_to = DayField(lazy_gettext("Until (empty: until further notice)"), id="entitlement_to")
    entitlement_note = _text(lazy_gettext("Why (e.g. the director's order)"), id="entitlement_note")


class EndEntitlementForm(FlaskForm):  # type: ignore[misc]
    entitlement = HiddenField()
    valid_to = DayField(
        lazy_gettext("Last day"), validators=[Filled(lazy_gettext("Enter the last day."))]
    )

    def entitlement_id(self) -> int:
        text = (self.entitlement.data or "").strip()
        if not text.isdigit() or len(text) > 18:
            raise InputError(
                "there is no entitlement {entitlement!r}",
                where="entitlement",
                entitlement=text[:40],
            )
        return int(text)
