"""Personal codes (asmens kodai): SPEC §4.1."""

from __future__ import annotations

import contextlib
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.domain.personal_code import (
    PersonalCode,
    build,
    check_digit,
    mask,
    parse,
)
from emp_edge.errors import InputError

# Each one checked by hand: the weighted sums are written out in the comments.
KNOWN_GOOD = [
    # 3·1+3·2+3·3+0·4+9·5+2·6+4·7+0·8+0·9+6·1 = 109 ≡ 10, so the second pass:
    # 3·3+3·4+3·5+0·6+9·7+2·8+4·9+0·1+0·2+6·3 = 169 ≡ 4
    ("33309240064", date(1933, 9, 24), "M"),
    # 3+0+9+0+45+12+28+0+0+6 = 103 ≡ 4 (one digit away from the code above, see below)
    ("30309240064", date(1903, 9, 24), "M"),
    # 4+18+0+0+15+12+7+8+18+3 = 85 ≡ 8
    ("49003211238", date(1990, 3, 21), "F"),
    # 5+2+27+0+25+0+21+0+0+0 = 80 ≡ 3
    ("51905030003", date(2019, 5, 3), "M"),
    # 1+0+0+0+5+0+7+0+0+0 = 13 ≡ 2
    ("10001010002", date(1800, 1, 1), "M"),
    # 3+18+0+0+5+0+7+0+45+9 = 87 ≡ 10; 9+36+0+0+7+0+9+0+10+27 = 98 ≡ 10, so 0
    ("39001010590", date(1990, 1, 1), "M"),
    # 6+2+0+0+5+0+7+0+27+7 = 54 ≡ 10; 18+4+0+0+7+0+9+0+6+21 = 65 ≡ 10, so 0
    ("61001010370", date(2010, 1, 1), "F"),
]


def weighted(first10: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(first10, weights, strict=True)) % 11


def first_pass(first10: str) -> int:
    return weighted(first10, (1, 2, 3, 4, 5, 6, 7, 8, 9, 1))


def second_pass(first10: str) -> int:
    return weighted(first10, (3, 4, 5, 6, 7, 8, 9, 1, 2, 3))


def error_of(code: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse(code)
    return caught.value


@pytest.mark.parametrize(("code", "birth_date", "sex"), KNOWN_GOOD)
def test_known_good_codes_parse(code: str, birth_date: date, sex: str) -> None:
    person = parse(code)
    assert (person.code, person.birth_date, person.sex) == (code, birth_date, sex)
    assert check_digit(code[:10]) == int(code[10])


def test_check_digit_from_the_first_pass() -> None:
    assert first_pass("4900321123") == 8
    assert check_digit("4900321123") == 8


def test_check_digit_from_the_second_pass() -> None:
    assert first_pass("3330924006") == 10
    assert second_pass("3330924006") == 4
    assert check_digit("3330924006") == 4


def test_check_digit_is_zero_when_both_passes_give_ten() -> None:
    assert first_pass("3900101059") == 10
    assert second_pass("3900101059") == 10
    assert check_digit("3900101059") == 0


def test_search_finds_codes_of_every_pass() -> None:
    kinds: dict[str, str] = {}
    for serial in range(1000):
        first10 = f"5100101{serial:03d}"
        kind = "first" if first_pass(first10) != 10 else "second"
        if kind == "second" and second_pass(first10) == 10:
            kind = "zero"
        kinds.setdefault(kind, first10 + str(check_digit(first10)))
    assert set(kinds) == {"first", "second", "zero"}
    assert kinds["zero"].endswith("0")
    for code in kinds.values():
        assert parse(code).birth_date == date(2010, 1, 1)


@pytest.mark.parametrize(
    ("first", "year", "sex"),
    [
        (1, 1850, "M"),
        (2, 1850, "F"),
        (3, 1950, "M"),
        (4, 1950, "F"),
        (5, 2015, "M"),
        (6, 2015, "F"),
    ],
)
def test_every_century_and_sex_digit(first: int, year: int, sex: str) -> None:
    first10 = f"{first}{year % 100:02d}0615123"
    person = parse(first10 + str(check_digit(first10)))
    assert person.birth_date == date(year, 6, 15)
    assert person.sex == sex


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse("  33309240064\n").code == "33309240064"


def test_empty() -> None:
    assert error_of("   ").reason == "personal code is empty"


def test_non_digit_says_which_character_and_where() -> None:
    err = error_of("3330924O064")
    assert "only digits" in err.reason
    assert "'O'" in err.reason
    assert "position 8" in err.reason
    assert "3330924O064" not in err.reason


def test_inner_space_is_not_a_digit() -> None:
    assert "' ' at position 4" in error_of("333 09240064").reason


def test_unicode_digits_are_not_digits() -> None:
    assert "only digits" in error_of("3330924006٤").reason


@pytest.mark.parametrize(("code", "n"), [("3330924006", 10), ("333092400641", 12), ("3", 1)])
def test_wrong_length_says_how_many(code: str, n: int) -> None:
    assert error_of(code).reason == f"personal code must have 11 digits, it has {n}"


@pytest.mark.parametrize("first", ["0", "7", "8", "9"])
def test_first_digit_outside_one_to_six(first: str) -> None:
    err = error_of(first + "3309240064")
    assert f"cannot start with {first}" in err.reason
    assert "1–6" in err.reason


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("51902300000", "2019-02-30"),
        ("31902290000", "1919-02-29"),
        ("30013010000", "1900-13-01"),
        ("30001000000", "1900-01-00"),
        ("40004310000", "1900-04-31"),
    ],
)
def test_no_such_birth_date(code: str, shown: str) -> None:
    err = error_of(code)
    assert err.reason == f"personal code holds no such birth date {shown}"


def test_leap_day_of_2000_exists() -> None:
    first10 = "6000229000"
    assert parse(first10 + str(check_digit(first10))).birth_date == date(2000, 2, 29)


def test_wrong_check_digit_says_expected_and_found() -> None:
    err = error_of("33309240065")
    assert err.reason == "personal code check digit is wrong: expected 4, found 5"
    assert "33309240065" not in err.reason


def test_one_changed_digit_can_slip_through_the_two_pass_rule() -> None:
    # 33309240064 goes to the second pass, 30309240064 does not: both are valid.
    assert parse("33309240064") != parse("30309240064")


def test_repr_and_str_show_only_the_masked_code() -> None:
    person = parse("51905030003")
    assert person.masked == "5190503****"
    assert str(person) == "5190503****"
    assert repr(person) == "PersonalCode('5190503****')"
    assert f"{person}" == "5190503****"
    assert "51905030003" not in repr([person]) + repr({"p": person})


def test_a_code_made_by_hand_must_agree_with_its_date_and_sex() -> None:
    assert PersonalCode("51905030003", date(2019, 5, 3), "M") == parse("51905030003")
    with pytest.raises(InputError, match="does not agree"):
        PersonalCode("51905030003", date(2019, 5, 4), "M")
    with pytest.raises(InputError, match="does not agree"):
        PersonalCode("51905030003", date(2019, 5, 3), "F")
    with pytest.raises(InputError, match="check digit"):
        PersonalCode("51905030004", date(2019, 5, 3), "M")


@pytest.mark.parametrize(
    ("code", "masked"),
    [("51905030003", "5190503****"), ("123", "***"), ("", ""), ("123456789012", "*" * 12)],
)
def test_mask(code: str, masked: str) -> None:
    assert mask(code) == masked


def test_build_makes_the_known_codes() -> None:
    assert build(date(1933, 9, 24), "M", 6) == "33309240064"
    assert build(date(1990, 3, 21), "F", 123) == "49003211238"
    assert build(date(1800, 1, 1), "M", 0) == "10001010002"
    assert build(date(2099, 12, 31), "F", 999)[0] == "6"


@pytest.mark.parametrize(
    ("birth_date", "sex", "serial", "says"),
    [
        (date(1799, 12, 31), "M", 0, "birth years 1800–2099, not 1799"),
        (date(2100, 1, 1), "F", 0, "not 2100"),
        (date(2000, 1, 1), "M", -1, "0–999, not -1"),
        (date(2000, 1, 1), "M", 1000, "0–999, not 1000"),
        (date(2000, 1, 1), "X", 1, "M or F"),
    ],
)
def test_build_refuses(birth_date: date, sex: str, serial: int, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        build(birth_date, sex, serial)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first10", "says"), [("123456789", "10 digits, not 9"), ("12345678x0", "digits only")]
)
def test_check_digit_refuses(first10: str, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        check_digit(first10)


births = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=0, max_value=999)


@given(births, sexes, serials)
def test_build_then_parse_gives_the_same_person(birth_date: date, sex: str, serial: int) -> None:
    code = build(birth_date, sex, serial)  # type: ignore[arg-type]
    person = parse(code)
    assert (person.code, person.birth_date, person.sex) == (code, birth_date, sex)
    assert code not in repr(person)


@given(births, sexes, serials, st.integers(0, 10), st.integers(1, 9))
def test_a_single_changed_digit_is_caught_unless_the_pass_changes(
    birth_date: date, sex: str, serial: int, position: int, shift: int
) -> None:
    code = build(birth_date, sex, serial)  # type: ignore[arg-type]
    digit = str((int(code[position]) + shift) % 10)
    changed = code[:position] + digit + code[position + 1 :]
    try:
        person = parse(changed)
    except InputError:
        return
    # The only hole of the rule: exactly one of the two codes takes the second pass.
    assert position != 10
    assert (first_pass(code[:10]) == 10) != (first_pass(changed[:10]) == 10)
    assert person.code != code


@given(st.text(max_size=20))
def test_any_text_is_a_code_or_an_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse(text)


@given(st.from_regex(r"\A\s?[0-9]{10,12}\s?\Z"))
def test_any_digits_are_a_code_or_an_input_error(text: str) -> None:
    try:
        person = parse(text)
    except InputError as err:
        message = err.reason
    else:
        assert person.code == text.strip()
        return
    assert text.strip() not in message
