"""Money in whole euro cents, read and written the Lithuanian way: 1 234,50 €."""

from __future__ import annotations

from typing import Final

from emp_edge.errors import InputError

_DIGITS: Final = "0123456789"
_SPACES: Final = " \u00a0\u202f"  # plain, no-break and narrow no-break space between groups
_CURRENCY: Final = ("€", "eur")
MAX_EURO_DIGITS: Final = 15
"""Longest whole-euro part accepted; anything longer is surely a typing slip."""


def parse_eur(text: str, *, allow_negative: bool = False) -> int:
    """Cents from an amount as people type it: 6, 6,5, 6.50, 1 234,50, 6,00 €, 6.00 EUR."""
    body = text.strip()
    if not body:
        raise InputError("amount is empty")
    for sign in _CURRENCY:
        if body.lower().endswith(sign):
            body = body[: -len(sign)].rstrip()
            break
    if not body:
        raise InputError("amount {text!r} has no number", text=text)
    negative = body.startswith("-")
    if negative:
        if not allow_negative:
            raise InputError("amount cannot be negative here: {text!r}", text=text)
        body = body[1:].lstrip()
        if not body:
            raise InputError("amount {text!r} has no number", text=text)
    for ch in body:
        if ch.isalpha():
            raise InputError(
                "amount cannot contain letters: {char!r} in {text!r}", char=ch, text=text
            )
        if ch not in _DIGITS and ch not in _SPACES and ch not in ",.":
            raise InputError("unexpected {char!r} in amount {text!r}", char=ch, text=text)
    whole, cents = _split(body, text)
    return -_cents(whole, cents, text) if negative else _cents(whole, cents, text)


def format_eur(cents: int) -> str:
    """The amount as printed on receipts and pages: 6,00 €, 1 234,50 €, -0,50 €."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", " ")
    return f"{sign}{grouped},{rest:02d} €"


def _split(body: str, text: str) -> tuple[str, str]:
    """The whole euros and the cents digits ("" when none), checking the decimal separator."""
    commas, dots = body.count(","), body.count(".")
    if commas and dots:
        raise InputError(
            "amount {text!r} has both ',' and '.': write thousands with spaces, e.g. 1 234,50",
            text=text,
        )
    if commas + dots > 1:
        raise InputError("amount {text!r} has more than one decimal separator", text=text)
    whole, _, cents = body.replace(".", ",").partition(",")
    if commas + dots and not cents:
        raise InputError("amount {text!r} has no digits after the decimal separator", text=text)
    if any(ch not in _DIGITS for ch in cents):
        raise InputError("amount {text!r} has a space among its cents", text=text)
    if len(cents) > 2:
        raise InputError(
            "amount {text!r} has {n} decimals: at most 2 (cents)", text=text, n=len(cents)
        )
    return whole, cents


def _cents(whole: str, cents: str, text: str) -> int:
    """The amount in cents from checked whole-euro text (maybe grouped by spaces) and cents."""
    if not whole:
        raise InputError("amount {text!r} has no digits before the decimal separator", text=text)
    groups = [whole] if all(ch in _DIGITS for ch in whole) else _groups(whole, text)
    digits = "".join(groups)
    if len(digits.lstrip("0")) > MAX_EURO_DIGITS:
        raise InputError("amount {text!r} is too large", text=text)
    return int(digits) * 100 + int(cents.ljust(2, "0"))


def _groups(whole: str, text: str) -> list[str]:
    """Digit groups split by single spaces: 1 234 567 (the first 1–3 digits, the rest 3)."""
    for space in _SPACES[1:]:
        whole = whole.replace(space, " ")
    groups = whole.split(" ")
    if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise InputError(
            "amount {text!r} has its digits grouped wrongly: use groups of three, e.g. 1 234,50",
            text=text,
        )
    return groups
