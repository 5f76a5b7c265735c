"""Money in cents, read and written the Lithuanian way."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.money import MAX_EURO_DIGITS, format_eur, parse_eur
from emp_edge.errors import InputError


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("6", 600),
        ("6,5", 650),
        ("6,50", 650),
        ("6.50", 650),
        ("6.5", 650),
        ("0,05", 5),
        ("0", 0),
        ("007", 700),
        ("1234,50", 123450),
        ("1 234,50", 123450),
        ("1\u00a0234,50", 123450),
        ("1\u202f234,50", 123450),
        ("12 345 678,9", 1234567890),
        ("6,00 €", 600),
        ("6,00€", 600),
        ("6.00 EUR", 600),
        ("6 eur", 600),
        ("  6,00 Eur  ", 600),
    ],
)
def test_good_amounts(text: str, cents: int) -> None:
    assert parse_eur(text) == cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [("-2,00", -200), ("- 2", -200), ("-0,50 €", -50), ("-0", 0), ("-1 234,50 €", -123450)],
)
def test_negative_amounts_when_allowed(text: str, cents: int) -> None:
    assert parse_eur(text, allow_negative=True) == cents


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "amount is empty"),
        ("   ", "amount is empty"),
        ("€", "has no number"),
        ("EUR", "has no number"),
        ("-2,00", "cannot be negative"),
        ("6,505", "has 3 decimals: at most 2"),
        ("1.234", "has 3 decimals: at most 2"),
        ("abc", "cannot contain letters: 'a'"),
        ("6a", "cannot contain letters: 'a'"),
        ("6 EURO", "cannot contain letters: 'E'"),
        ("1.234,50", "has both ',' and '.'"),
        ("1,234.50", "has both ',' and '.'"),
        ("1.2.3", "more than one decimal separator"),
        ("1,2,3", "more than one decimal separator"),
        ("6,", "no digits after the decimal separator"),
        (",50", "no digits before the decimal separator"),
        ("12 34", "grouped wrongly"),
        ("1  234", "grouped wrongly"),
        ("1234 567", "grouped wrongly"),
        ("6 ,50", "grouped wrongly"),
        ("6,5 0", "space among its cents"),
        ("€6", "unexpected '€'"),
        ("6,00 € €", "unexpected '€'"),
        ("+6", "unexpected '+'"),
        ("6٫5", "unexpected '٫'"),
        ("1" * (MAX_EURO_DIGITS + 1), "too large"),
    ],
)
def test_bad_amounts(text: str, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        parse_eur(text)


@pytest.mark.parametrize(("text", "says"), [("-", "has no number"), ("--2", "unexpected '-'")])
def test_bad_negative_amounts(text: str, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        parse_eur(text, allow_negative=True)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "0,00 €"),
        (5, "0,05 €"),
        (600, "6,00 €"),
        (650, "6,50 €"),
        (99999, "999,99 €"),
        (100000, "1 000,00 €"),
        (123450, "1 234,50 €"),
        (123456789, "1 234 567,89 €"),
        (-50, "-0,50 €"),
        (-123450, "-1 234,50 €"),
    ],
)
def test_format(cents: int, text: str) -> None:
    assert format_eur(cents) == text


LARGEST = 10 ** (MAX_EURO_DIGITS + 2) - 1


@given(st.integers(min_value=-LARGEST, max_value=LARGEST))
def test_format_then_parse_gives_the_same_cents(cents: int) -> None:
    assert parse_eur(format_eur(cents), allow_negative=True) == cents


@given(st.text(max_size=16), st.booleans())
def test_any_text_is_an_amount_or_an_input_error(text: str, allow_negative: bool) -> None:
    with contextlib.suppress(InputError):
        parse_eur(text, allow_negative=allow_negative)


@given(st.text(alphabet="0123456789 ,.-€EUR", max_size=12))
def test_amount_like_text_is_an_amount_or_an_input_error(text: str) -> None:
    try:
        cents = parse_eur(text, allow_negative=True)
    except InputError:
        return
    assert isinstance(cents, int)
