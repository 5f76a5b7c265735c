"""Classes and school years: SPEC §4.2 (§30), glossary "mokslo metai"."""

from __future__ import annotations

import contextlib
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.school import (
    SchoolClass,
    parse_class,
    school_year,
    school_year_bounds,
    school_year_label,
)
from emp_edge.errors import InputError


@pytest.mark.parametrize(
    ("text", "grade", "letter", "label"),
    [
        ("1a", 1, "a", "1a"),
        ("5 B", 5, "b", "5b"),
        ("5b", 5, "b", "5b"),
        ("5-b", 5, "b", "5b"),
        ("5 - b", 5, "b", "5b"),
        ("  7c\t", 7, "c", "7c"),
        ("12c", 12, "c", "12c"),
        ("9", 9, "", "9"),
        ("10", 10, "", "10"),
        ("05a", 5, "a", "5a"),
        ("8ž", 8, "ž", "8ž"),
        ("3 Ą", 3, "ą", "3ą"),
        ("I", 9, "", "I"),
        ("Ia", 9, "a", "Ia"),
        ("IIa", 10, "a", "IIa"),
        ("iia", 10, "a", "IIa"),
        ("III b", 11, "b", "IIIb"),
        ("iii-B", 11, "b", "IIIb"),
        ("IV", 12, "", "IV"),
        ("iv", 12, "", "IV"),
        ("Iv", 9, "v", "Iv"),  # an upper-case numeral and a lower-case letter glued to it
        ("IIi", 10, "i", "IIi"),
        ("Iva", 12, "a", "IVa"),
        ("IV č", 12, "č", "IVč"),
    ],
)
def test_accepted_class_names(text: str, grade: int, letter: str, label: str) -> None:
    parsed = parse_class(text)
    assert (parsed.grade, parsed.letter, parsed.label, str(parsed)) == (grade, letter, label, label)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "class name is empty"),
        ("   ", "class name is empty"),
        ("13", "grade 13 does not exist: grades are 1–12 or I–IV"),
        ("0a", "grade 0 does not exist: grades are 1–12 or I–IV"),
        ("123", "grade 123 does not exist: grades are 1–12 or I–IV"),
        ("V", "V is not a gymnasium class: use I–IV"),
        ("Va", "V is not a gymnasium class: use I–IV"),
        ("VI a", "VI is not a gymnasium class: use I–IV"),
        ("IIII", "IIII is not a gymnasium class: use I–IV"),
        ("x", "X is not a gymnasium class: use I–IV"),
        ("5ab", "a class has one letter, not 'ab'"),
        ("5 a b", "unexpected 'b' in class name"),
        ("5.", "unexpected '.' in class name"),
        ("5b-", "unexpected '-' in class name"),
        ("5--b", "unexpected '-' in class name"),
        ("II5", "unexpected '5' in class name"),
        ("5-", "class letter is missing after '-'"),
        ("a5", "class name must begin with its grade (1–12 or I–IV), not with 'a'"),
        ("-5", "class name must begin with its grade (1–12 or I–IV), not with '-'"),
        ("٥a", "class name must begin with its grade (1–12 or I–IV), not with '٥'"),
    ],
)
def test_rejected_class_names(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_class(text)
    assert caught.value.reason == message


@pytest.mark.parametrize(
    ("grade", "letter", "roman", "says"),
    [
        (0, "", False, "grade 0 does not exist"),
        (13, "a", False, "grade 13 does not exist"),
        (5, "B", False, "one lower-case letter"),
        (5, "ab", False, "one lower-case letter"),
        (5, "1", False, "one lower-case letter"),
        (8, "a", True, "only grades 9–12 are I–IV"),
    ],
)
def test_a_class_made_by_hand_is_checked(grade: int, letter: str, roman: bool, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        SchoolClass(grade, letter, roman=roman)


def test_roman_only_changes_the_label() -> None:
    assert SchoolClass(10, "a", roman=True) == SchoolClass(10, "a")
    assert hash(SchoolClass(10, "a", roman=True)) == hash(SchoolClass(10, "a"))
    assert parse_class("IIa") == parse_class("10a")
    assert (parse_class("IIa").label, parse_class("10a").label) == ("IIa", "10a")


classes = st.builds(
    lambda grade, letter, roman: SchoolClass(grade, letter, roman=roman and grade >= 9),
    st.integers(1, 12),
    st.sampled_from(["", *"aąbcčdeęėfghiįyjklmnoprsštuųūvzž", "x"]),
    st.booleans(),
)


@given(classes)
def test_a_label_reads_back_as_the_same_class(school_class: SchoolClass) -> None:
    again = parse_class(school_class.label)
    assert again == school_class
    assert again.label == school_class.label


@given(st.text(max_size=8))
def test_any_text_is_a_class_or_an_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_class(text)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 8, 31), 2025),
        (date(2026, 9, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 8, 31), 2026),
        (date(2027, 9, 1), 2027),
    ],
)
def test_school_year_turns_on_the_first_of_september(day: date, year: int) -> None:
    assert school_year(day) == year


def test_school_year_bounds_and_label() -> None:
    assert school_year_bounds(2026) == (date(2026, 9, 1), date(2027, 8, 31))
    assert school_year_bounds(2027) == (date(2027, 9, 1), date(2028, 8, 31))
    assert school_year_label(2026) == "2026–2027"


@pytest.mark.parametrize("year", [0, 9999])
def test_school_year_out_of_range(year: int) -> None:
    with pytest.raises(InputError, match=f"school year {year} is out of range"):
        school_year_bounds(year)


@given(st.dates(min_value=date(1, 9, 1), max_value=date(9998, 12, 31)))
def test_the_school_year_of_a_day_holds_it(day: date) -> None:
    first, last = school_year_bounds(school_year(day))
    assert first <= day <= last
    assert (first.month, first.day, last.month, last.day) == (9, 1, 8, 31)
    assert school_year(first) == school_year(last) == school_year(day)
