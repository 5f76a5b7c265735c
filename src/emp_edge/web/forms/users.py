"""The user form: every field of the MR user-request form, the rights per area and admin."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import Length, ValidationError

from emp_edge.domain.access import Area, Level
from emp_edge.store.accounts import Account, Details
from emp_edge.web.forms import DayField, Filled, strip
from emp_edge.web.labels import AREA_NAMES, LEVEL_NAMES

TEXT = 200  # longest text a field takes


def _text(label: Any, *, needed: bool = False, length: int = TEXT) -> StringField:
    validators: list[Any] = [Filled()] if needed else []
    validators.append(
        Length(max=length, message=lazy_gettext("At most %(max)d characters.", max=length))
    )
    return StringField(label, validators=validators, filters=[strip])


class LevelField(RadioField):  # type: ignore[misc]
    """None, viewer or manager of one area."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data not in {level.name.lower() for level in Level}:
            raise ValidationError(lazy_gettext("Choose one of the rights offered."))


def _right_field(area: Area) -> LevelField:
    return LevelField(
        AREA_NAMES[area],
        choices=[SelectChoice(level.name.lower(), LEVEL_NAMES[level]) for level in Level],
        default=Level.NONE.name.lower(),
    )


class UserForm(FlaskForm):  # type: ignore[misc]
    """An account's details and rights, as the admin changes them."""

    personal_code = _text(lazy_gettext("Personal code"), length=20)
    clear_personal_code = BooleanField(lazy_gettext("Remove the stored personal code"))
    first_name = _text(lazy_gettext("First name"), needed=True, length=100)
    last_name = _text(lazy_gettext("Last name"), needed=True, length=100)
    email = _text(lazy_gettext("E-mail"))
    phone = _text(lazy_gettext("Phone"), length=40)
    position = _text(lazy_gettext("Position at the institution"))
    institution_code = _text(lazy_gettext("Institution code"), length=20)
    institution_name = _text(lazy_gettext("Institution name"))
    workplace_address = _text(lazy_gettext("Workplace address"))
    valid_from = DayField(
        lazy_gettext("Valid from"),
        validators=[Filled(lazy_gettext("Enter the first day of the account."))],
    )
    valid_to = DayField(lazy_gettext("Valid until"))
    pledge_signed_on = DayField(lazy_gettext("Confidentiality pledge signed on"))
    is_admin = BooleanField(lazy_gettext("Administrator (users, settings, audit trail)"))
    club_leader = BooleanField(lazy_gettext("Club (NVŠ) group leader"))
    right_personal_data = _right_field(Area.PERSONAL_DATA)
    right_learning_data = _right_field(Area.LEARNING_DATA)
    right_blanks = _right_field(Area.BLANKS)
    right_cards = _right_field(Area.CARDS)
    right_basket = _right_field(Area.BASKET)
    right_lists = _right_field(Area.LISTS)
    right_canteen = _right_field(Area.CANTEEN)

    def right_fields(self) -> list[LevelField]:
        return [self[f"right_{area.value}"] for area in Area]

    def levels(self) -> dict[Area, Level]:
        return {area: Level.named(self[f"right_{area.value}"].data) for area in Area}

    def details(self, stored_code: str = "") -> Details:
        """The details as typed; an empty personal code keeps ``stored_code`` unless removed."""
        code = self.personal_code.data or ("" if self.clear_personal_code.data else stored_code)
        valid_from = self.valid_from.data
        assert valid_from is not None, "details() comes after validate(), and the field is Filled"
        return Details(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            valid_from=valid_from,
            valid_to=self.valid_to.data,
            email=self.email.data or "",
            phone=self.phone.data or "",
            position=self.position.data or "",
            institution_code=self.institution_code.data or "",
            institution_name=self.institution_name.data or "",
            workplace_address=self.workplace_address.data or "",
            pledge_signed_on=self.pledge_signed_on.data,
            personal_code=code,
        )


def initial(account: Account) -> dict[str, Any]:
    """What the edit form shows first: the account as stored, but never its personal code."""
    details = account.details
    data: dict[str, Any] = {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "email": details.email,
        "phone": details.phone,
        "position": details.position,
        "institution_code": details.institution_code,
        "institution_name": details.institution_name,
        "workplace_address": details.workplace_address,
        "valid_from": details.valid_from,
        "valid_to": details.valid_to,
        "pledge_signed_on": details.pledge_signed_on,
        "is_admin": account.grants.is_admin,
        "club_leader": account.club_leader,
    }
    for area in Area:
        data[f"right_{area.value}"] = account.grants.level(area).name.lower()
    return data


class PasswordsMatch:
    """A validator for the second password box."""

    def __call__(self, form: FlaskForm, field: Any) -> None:
        if field.data != form.password.data:
            raise ValidationError(lazy_gettext("The two passwords differ."))


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """A new password, typed twice."""

    password = PasswordField(lazy_gettext("New password"), validators=[Filled()])
    password_again = PasswordField(
        lazy_gettext("New password again"), validators=[PasswordsMatch()]
    )


class NewUserForm(UserForm):
    """A new account: its user name and first password besides the details."""

    username = _text(lazy_gettext("User name"), needed=True, length=64)
    password = PasswordField(lazy_gettext("Password"), validators=[Filled()])
    password_again = PasswordField(lazy_gettext("Password again"), validators=[PasswordsMatch()])
