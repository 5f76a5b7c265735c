"""The sync page's forms: "sync now", "send again", and the correction of a refused event.

The correction is the event's payload as pretty JSON in a text box. It is offered with each
``registry_id`` refreshed from the pupils table by its ``pupil_id`` (the usual reason for a
refusal is a pupil the registry did not know yet), and must come back as a JSON object; bad
JSON is refused with its line and column, and nothing is changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import Field, TextAreaField
from wtforms.validators import Length, ValidationError

from emp_edge.store.outbox_answers import PAYLOAD_MAX
from emp_edge.web.forms import Filled
from emp_edge.web.i18n import gettext

#: the longest text the box takes: the payload's limit with room for the pretty layout
TEXT_MAX = 4 * PAYLOAD_MAX


class ButtonForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: only its CSRF token."""


class _NotANumberError(ValueError):
    """NaN or Infinity: JSON has no such numbers."""


def _no_constant(name: str) -> Any:
    raise _NotANumberError(name)


def parse_object(text: str) -> dict[str, Any]:
    """The text as a JSON object; ValidationError, in the reader's language, otherwise."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ValidationError(
            gettext(
                "This is not valid JSON: the error is at line %(line)d, column %(column)d.",
                line=err.lineno,
                column=err.colno,
            )
        ) from None
    except _NotANumberError as err:
        raise ValidationError(
            gettext("JSON has no number %(name)s: write a number or null.", name=str(err))
        ) from None
    except RecursionError:
        raise ValidationError(gettext("The JSON is nested too deeply.")) from None
    if not isinstance(value, dict):
        raise ValidationError(gettext("The content must be a JSON object: { … }."))
    return value


class CorrectionForm(FlaskForm):  # type: ignore[misc]
    payload = TextAreaField(
        lazy_gettext("The event's content (JSON)"),
        validators=[
            Filled(),
            Length(
                max=TEXT_MAX,
                message=lazy_gettext("At most %(max)d characters.", max=TEXT_MAX),
            ),
        ],
    )

    parsed: dict[str, Any] | None = None

    def validate_payload(self, field: Field) -> None:
        self.parsed = parse_object(str(field.data))


def pretty(payload: Mapping[str, Any]) -> str:
    """A payload as a person edits it: indented, letters as they are."""
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _pupil_of(value: Mapping[str, Any]) -> int | None:
    """The pupil an object names by ``pupil_id`` next to a ``registry_id``."""
    pupil = value.get("pupil_id")
    if "registry_id" in value and isinstance(pupil, int) and not isinstance(pupil, bool):
        return pupil
    return None


def named_pupils(value: Any) -> set[int]:
    """The ``pupil_id`` of every object in the payload that also has a ``registry_id``."""
    found: set[int] = set()
    if isinstance(value, dict):
        pupil = _pupil_of(value)
        if pupil is not None:
            found.add(pupil)
        for item in value.values():
            found |= named_pupils(item)
    elif isinstance(value, list):
        for item in value:
            found |= named_pupils(item)
    return found


def refreshed(value: Any, registry_ids: Mapping[int, str | None]) -> Any:
    """The payload with each ``registry_id`` set to the pupil's as the box knows it now
    (pupils the box does not know keep theirs)."""
    if isinstance(value, dict):
        out = {key: refreshed(item, registry_ids) for key, item in value.items()}
        pupil = _pupil_of(value)
        if pupil is not None and pupil in registry_ids:
            out["registry_id"] = registry_ids[pupil]
        return out
    if isinstance(value, list):
        return [refreshed(item, registry_ids) for item in value]
    return value
