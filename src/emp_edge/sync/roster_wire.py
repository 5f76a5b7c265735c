"""Reading a roster page the registry answered: strict on the page, lenient per item.

A page that is not ``{"items": [...], "next_cursor": "...", "more": true|false}`` raises
``RegistryAnswerError`` (nothing of it is applied). A single item that cannot be read does not
spoil the page: it becomes ``Unreadable`` with the wire field and a fixed reason, and is skipped
when the page is applied. Reasons never repeat a value the registry sent (names, codes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from emp_edge.domain.clubs import check_ktprr_code
from emp_edge.domain.school import SchoolClass
from emp_edge.errors import InputError, RegistryAnswerError
from emp_edge.store.roster_items import (
    KINDS,
    Removed,
    RosterClass,
    RosterEntitlement,
    RosterItem,
    RosterProgramme,
    RosterPupil,
    RosterTopUp,
    Unreadable,
)

CURSOR_MAX: Final = 200
KEY_MAX: Final = 200
NAME_MAX: Final = 200
LABEL_MAX: Final = 40
CODE_MAX: Final = 40  # a classifier code
REFERENCE_MAX: Final = 200
AMOUNT_MAX: Final = 100_000_000  # a million euro: surely not one pupil's canteen money
SCHOOL_YEARS: Final = (2000, 2100)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MEAL_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PERSONAL_CODE = re.compile(r"[0-9]{11}")

NOT_OBJECT: Final = "the item is not a JSON object"
UNKNOWN_KIND: Final = "the kind of item is not known"
MISSING: Final = "the field is missing"
NOT_TEXT: Final = "the field is not a text"
EMPTY: Final = "the text is empty"
TOO_LONG: Final = "the text is too long"
UNPRINTABLE: Final = "the text has characters that cannot be shown"
NOT_BOOL: Final = "the field is not true or false"
NOT_WHOLE: Final = "the field is not a whole number"
OUT_OF_RANGE: Final = "the number is out of range"
NOT_DAY: Final = "the field is not a day (yyyy-mm-dd)"
NOT_SEX: Final = "the field is not M, F or null"
NOT_PERSONAL_CODE: Final = "the field is not 11 digits or null"
NOT_LETTER: Final = "the class letter is not one letter"
NOT_CODES: Final = "the field is not a list of classifier codes"
NOT_KTPRR: Final = "the key is not a KTPRR code"
NOT_MEAL_TYPE: Final = "the field is not a meal type code"
ENDS_BEFORE: Final = "the entitlement ends before it starts"


@dataclass(frozen=True)
class RosterPage:
    items: list[RosterItem]
    next_cursor: str  # "" when the registry gives none: the next pull starts from the beginning
    more: bool


def parse_roster_page(body: bytes) -> RosterPage:
    """The page in ``body``; ``RegistryAnswerError`` when it is not a roster page at all."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise RegistryAnswerError("the registry's roster page is not JSON") from None
    if not isinstance(data, dict):
        raise RegistryAnswerError("the registry's roster page is not a JSON object")
    items, cursor, more = data.get("items"), data.get("next_cursor"), data.get("more")
    if not isinstance(items, list):
        raise RegistryAnswerError("the registry's roster page has no list of items")
    if not isinstance(cursor, str) or len(cursor) > CURSOR_MAX or not cursor.isprintable():
        raise RegistryAnswerError(
            "the registry's roster page has no next_cursor of at most {most} characters",
            most=CURSOR_MAX,
        )
    if not isinstance(more, bool):
        raise RegistryAnswerError("the registry's roster page does not say if there is more")
    return RosterPage([read_item(raw) for raw in items], cursor, more)


class _BadFieldError(Exception):
    """One field of one item cannot be read (caught in ``read_item``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def read_item(raw: object) -> RosterItem:
    """One item of a page; ``Unreadable`` when it cannot be read."""
    if not isinstance(raw, dict):
        return Unreadable("?", "", NOT_OBJECT)
    kind = _kind(raw.get("kind"))
    key = _safe_key(raw.get("key"))
    if kind not in KINDS:
        return Unreadable(kind, key, UNKNOWN_KIND, "kind")
    try:
        key = _key(raw, "key")
        if kind == "programme":
            key = _ktprr(key)
        deleted = raw.get("deleted")
        if not isinstance(deleted, bool):
            raise _BadFieldError("deleted", MISSING if "deleted" not in raw else NOT_BOOL)
        if deleted:
            return Removed(kind, key)
        return _READERS[kind](raw, key)
    except _BadFieldError as bad:
        return Unreadable(kind, key, bad.reason, bad.field)


def _kind(value: object) -> str:
    if isinstance(value, str) and len(value) <= CODE_MAX and value.isprintable():
        return value
    return "?"


def _safe_key(value: object) -> str:
    """The key as far as it can be shown in a report, else ""."""
    if isinstance(value, str) and 0 < len(value) <= KEY_MAX and value.isprintable():
        return value
    return ""


def _ktprr(key: str) -> str:
    try:
        return check_ktprr_code(key)
    except InputError:
        raise _BadFieldError("key", NOT_KTPRR) from None


# ---------------------------------------------------------------- fields


def _get(raw: Mapping[str, Any], field: str) -> object:
    if field not in raw:
        raise _BadFieldError(field, MISSING)
    return raw[field]


def _text(raw: Mapping[str, Any], field: str, most: int, *, empty: bool = False) -> str:
    """A text with its spaces tidied."""
    value = _get(raw, field)
    if not isinstance(value, str):
        raise _BadFieldError(field, NOT_TEXT)
    text = " ".join(value.split())
    if not text and not empty:
        raise _BadFieldError(field, EMPTY)
    if len(text) > most:
        raise _BadFieldError(field, TOO_LONG)
    if not text.isprintable():
        raise _BadFieldError(field, UNPRINTABLE)
    return text


def _key(raw: Mapping[str, Any], field: str) -> str:
    """A registry key: opaque, kept exactly as sent."""
    value = _get(raw, field)
    if not isinstance(value, str):
        raise _BadFieldError(field, NOT_TEXT)
    if not value:
        raise _BadFieldError(field, EMPTY)
    if len(value) > KEY_MAX:
        raise _BadFieldError(field, TOO_LONG)
    if not value.isprintable():
        raise _BadFieldError(field, UNPRINTABLE)
    return value


def _optional_key(raw: Mapping[str, Any], field: str) -> str | None:
    return None if _get(raw, field) is None else _key(raw, field)


def _whole(raw: Mapping[str, Any], field: str, low: int, high: int) -> int:
    value = _get(raw, field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadFieldError(field, NOT_WHOLE)
    if not low <= value <= high:
        raise _BadFieldError(field, OUT_OF_RANGE)
    return value


def _day(raw: Mapping[str, Any], field: str) -> date:
    value = _get(raw, field)
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise _BadFieldError(field, NOT_DAY)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _BadFieldError(field, NOT_DAY) from None


def _optional_day(raw: Mapping[str, Any], field: str) -> date | None:
    return None if _get(raw, field) is None else _day(raw, field)


def _codes(raw: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = _get(raw, field)
    if not isinstance(value, list) or not value:
        raise _BadFieldError(field, NOT_CODES)
    codes = set()
    for code in value:
        if not isinstance(code, str) or not code.strip() or len(code) > CODE_MAX:
            raise _BadFieldError(field, NOT_CODES)
        if not code.isprintable():
            raise _BadFieldError(field, UNPRINTABLE)
        codes.add(code.strip())
    return tuple(sorted(codes))


# ---------------------------------------------------------------- kinds


def _class(raw: Mapping[str, Any], key: str) -> RosterItem:
    year = _whole(raw, "school_year", *SCHOOL_YEARS)
    grade = _whole(raw, "grade", 1, 12)
    letter = _get(raw, "letter")
    if not isinstance(letter, str):
        raise _BadFieldError("letter", NOT_TEXT)
    try:
        school_class = SchoolClass(grade, letter.strip().lower())
    except InputError:
        raise _BadFieldError("letter", NOT_LETTER) from None
    label = _text(raw, "label", LABEL_MAX)
    return RosterClass(key, year, school_class.grade, school_class.letter, label)


def _pupil(raw: Mapping[str, Any], key: str) -> RosterItem:
    first_name = _text(raw, "first_name", NAME_MAX)
    last_name = _text(raw, "last_name", NAME_MAX)
    birth_date = _day(raw, "birth_date")
    sex = _get(raw, "sex")
    if sex not in ("M", "F", None):
        raise _BadFieldError("sex", NOT_SEX)
    code = _get(raw, "personal_code")
    if code is not None and not (isinstance(code, str) and _PERSONAL_CODE.fullmatch(code)):
        raise _BadFieldError("personal_code", NOT_PERSONAL_CODE)
    class_key = _optional_key(raw, "class_key")
    return RosterPupil(
        key,
        first_name,
        last_name,
        birth_date,
        sex if isinstance(sex, str) else None,
        code if isinstance(code, str) else None,
        class_key,
    )


def _entitlement(raw: Mapping[str, Any], key: str) -> RosterItem:
    pupil_key = _key(raw, "pupil_key")
    meal_type = _get(raw, "meal_type")
    if not isinstance(meal_type, str) or not _MEAL_TYPE.fullmatch(meal_type):
        raise _BadFieldError("meal_type", NOT_MEAL_TYPE)
    valid_from = _day(raw, "valid_from")
    valid_to = _optional_day(raw, "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise _BadFieldError("valid_to", ENDS_BEFORE)
    return RosterEntitlement(key, pupil_key, meal_type, valid_from, valid_to)


def _programme(raw: Mapping[str, Any], key: str) -> RosterItem:
    name = _text(raw, "name", NAME_MAX)
    purpose = _text(raw, "purpose", CODE_MAX)
    return RosterProgramme(key, name, purpose, _codes(raw, "directions"))


def _top_up(raw: Mapping[str, Any], key: str) -> RosterItem:
    pupil_key = _key(raw, "pupil_key")
    amount = _whole(raw, "amount_cents", 1, AMOUNT_MAX)
    paid_on = _day(raw, "paid_on")
    reference = _text(raw, "reference", REFERENCE_MAX, empty=True)
    return RosterTopUp(key, pupil_key, amount, paid_on, reference)


_READERS: Final[dict[str, Callable[[Mapping[str, Any], str], RosterItem]]] = {
    "class": _class,
    "pupil": _pupil,
    "meal_entitlement": _entitlement,
    "programme": _programme,
    "top_up": _top_up,
}
