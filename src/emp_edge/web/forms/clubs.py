"""The clubs' (NVŠ) setup forms: a programme, a group, and a slot of a group's weekly schedule.

Choices (purposes, directions, sub-directions, leaders, terminals) are filled in by the view from
the classifiers and the users; what is chosen is checked in the store, which names the field of
a refused value. A time is typed as hh:mm and read here.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from emp_edge.domain.clubs import MAX_ACADEMIC_HOURS
from emp_edge.errors import InputError
from emp_edge.web.forms import Filled, strip
from emp_edge.web.i18n import gettext

TEXT = 200
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

#: ISO weekdays as the schedule shows them
WEEKDAYS: dict[int, LazyString] = {
    1: lazy_gettext("Monday"),
    2: lazy_gettext("Tuesday"),
    3: lazy_gettext("Wednesday"),
    4: lazy_gettext("Thursday"),
    5: lazy_gettext("Friday"),
    6: lazy_gettext("Saturday"),
    7: lazy_gettext("Sunday"),
}


def _text(label: Any, *, id: str, length: int = TEXT) -> StringField:
    too_long = lazy_gettext("At most %(max)d characters.", max=length)
    return StringField(
        label, id=id, validators=[Length(max=length, message=too_long)], filters=[strip]
    )


def _choice(label: Any, *, id: str) -> SelectField:
    """A choice the store checks (an unknown one is refused there, with its reason)."""
    return SelectField(label, id=id, choices=[], validate_choice=False)


def _checks(label: Any, *, id: str) -> SelectMultipleField:
    """Several choices as check boxes; the store checks them."""
    return SelectMultipleField(
        label,
        id=id,
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _digits(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


class ClockField(StringField):  # type: ignore[misc]
    """A school-time moment typed as hh:mm (15:00, 9:30)."""

    data: time | None

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        found = _CLOCK.match(text)
        if found is None:
            raise ValueError(gettext("Enter the time as hh:mm, e.g. 15:00."))
        self.data = time(int(found[1]), int(found[2]))

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""


class ProgrammeForm(FlaskForm):  # type: ignore[misc]
    ktprr_code = _text(lazy_gettext("KTPRR code"), id="ktprr_code", length=40)
    name = _text(lazy_gettext("Programme name"), id="name")
    purpose = _choice(lazy_gettext("NVŠ programme purpose"), id="purpose")
    directions = _checks(lazy_gettext("NVŠ directions"), id="directions")


class GroupForm(FlaskForm):  # type: ignore[misc]
    programme = _choice(lazy_gettext("NVŠ programme"), id="programme")
    school_year = _choice(lazy_gettext("School year"), id="school_year")
    name = _text(lazy_gettext("Group name"), id="name")
    sub_directions = _checks(lazy_gettext("NVŠ sub-directions"), id="sub_directions")
    leaders = _checks(lazy_gettext("Leaders"), id="leaders")

    def programme_id(self) -> int:
        number = _digits(self.programme.data)
        if number is None:
            raise InputError("choose the group's programme", where="programme")
        return number

    def year(self) -> int:
        number = _digits(self.school_year.data)
        if number is None:
            raise InputError("choose the school year", where="school_year")
        return number

    def leader_ids(self) -> list[int]:
        found = []
        for text in self.leaders.data or []:
            number = _digits(text)
            if number is None:
                raise InputError("there is no user {user!r}", where="leaders", user=str(text)[:40])
            found.append(number)
        return found


class SlotForm(FlaskForm):  # type: ignore[misc]
    weekday = SelectField(
        lazy_gettext("Day of the week"),
        id="weekday",
        choices=[SelectChoice(str(day), name) for day, name in WEEKDAYS.items()],
        validate_choice=False,
    )
    starts = ClockField(
        lazy_gettext("Starts (hh:mm)"),
        id="starts",
        validators=[Filled(lazy_gettext("Enter the start time."))],
    )
    ends = ClockField(
        lazy_gettext("Ends (hh:mm)"),
        id="ends",
        validators=[Filled(lazy_gettext("Enter the end time."))],
    )
    academic_hours = SelectField(
        lazy_gettext("Academic hours"),
        id="academic_hours",
        choices=[SelectChoice(str(n), str(n)) for n in range(1, MAX_ACADEMIC_HOURS + 1)],
        default="2",
        validate_choice=False,
    )
    terminal = _choice(lazy_gettext("Club room terminal"), id="terminal")

    def weekday_number(self) -> int:
        """The ISO weekday; anything else is 0, which the store refuses."""
        return _digits(self.weekday.data) or 0

    def hours(self) -> int:
        return _digits(self.academic_hours.data) or 0
