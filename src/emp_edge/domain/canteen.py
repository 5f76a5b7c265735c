"""The canteen's rules: serving windows, the free meal, the prepaid balance and its limits.

Pure: the till hands in what it knows (the open window, the items picked, the pupil's purse) and
gets back the sale or the reason there is none. The database makes the same rule hold across
tills (one free meal per pupil, meal and day is also a primary key), but the decision is here.

::

    tap ─▶ a meal's window open now?            no  ─▶ no_serving_now
        ─▶ items picked, or the window's default  none ─▶ nothing_picked
        ─▶ every item still sold, none forbidden  no  ─▶ item_unavailable / item_not_allowed
        ─▶ the window's meal item, pupil entitled:
               served today already?              yes ─▶ already_served (at 12:03, till 2)
               else that line is free
        ─▶ the rest is paid: within the daily limit?            no ─▶ daily_limit
                             balance stays ≥ −overdraft limit?  no ─▶ low_balance
        ─▶ accepted: lines, paid, balance after
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Final

from emp_edge.domain.taps import TapReason
from emp_edge.errors import InputError

MAX_ITEM_PRICE_CENTS: Final = 10_000
"""The dearest item a school canteen sells (100,00 €); more is surely a typing slip."""
MAX_LINES: Final = 20
"""The most items one tap may buy."""
MAX_TEXT: Final = 200


# ---------------------------------------------------------------- meals and items


@dataclass(frozen=True)
class MealWindow:
    """A meal type and when it is served (school time, ``serves_until`` not included)."""

    code: str
    name: str
    serves_from: time
    serves_until: time
    default_item_id: int | None = None

    def open_at(self, moment: time) -> bool:
        return self.serves_from <= moment < self.serves_until


def window_at(windows: Sequence[MealWindow], moment: time) -> MealWindow | None:
    """The meal served at ``moment``; where windows overlap, the one that started last (a
    lunch inside an all-day snack window is lunch)."""
    open_now = [w for w in windows if w.open_at(moment)]
    return max(open_now, key=lambda w: (w.serves_from, w.code)) if open_now else None


_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def check_meal_type(code: str, name: str, serves_from: str, serves_until: str) -> MealWindow:
    """A meal type as staff typed it, checked: code, name and a window within one day."""
    code = code.strip()
    if not _CODE.match(code):
        raise InputError(
            "meal code {code!r} must be lower-case Latin letters, digits or _ (e.g. lunch)",
            code=code,
        )
    name = _words(name)
    if not name:
        raise InputError("the meal name is empty")
    start = _clock(serves_from)
    if start is None:
        raise InputError("serving starts: {text!r} is not a time like 11:30", text=serves_from)
    end = _clock(serves_until)
    if end is None:
        raise InputError("serving ends: {text!r} is not a time like 14:00", text=serves_until)
    if end <= start:
        raise InputError(
            "serving must end after it starts: {start}–{end}",
            start=serves_from.strip(),
            end=serves_until.strip(),
        )
    return MealWindow(code, name, start, end)


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text.strip())
    return time(int(match[1]), int(match[2])) if match else None


def _words(text: str) -> str:
    """The text with its spaces made single, checked not too long (it may be empty)."""
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise InputError(
            "the text {start!r}… is longer than {n} characters", start=text[:20], n=MAX_TEXT
        )
    return text


@dataclass(frozen=True)
class Item:
    """Something the till sells; ``meal_type`` names the meal it is (free for the entitled)."""

    id: int
    name: str
    price_cents: int
    meal_type: str | None = None
    active: bool = True


def check_price(cents: int) -> int:
    if cents < 0:
        raise InputError("a price cannot be negative")
    if cents > MAX_ITEM_PRICE_CENTS:
        raise InputError(
            "a price above {limit} cents is surely a typing slip", limit=MAX_ITEM_PRICE_CENTS
        )
    return cents


def check_item_name(name: str) -> str:
    name = _words(name)
    if not name:
        raise InputError("the item name is empty")
    return name


# ---------------------------------------------------------------- the sale at a tap


@dataclass(frozen=True)
class Served:
    """When and where today's free meal was served."""

    at: datetime
    till: str


@dataclass(frozen=True)
class Purse:
    """What a sale must know about the pupil, read in the tap's own transaction."""

    balance_cents: int
    spent_today_cents: int = 0
    daily_limit_cents: int | None = None
    no_buy: frozenset[int] = frozenset()
    #: entitled to a free serving of the open window's meal today
    entitled: bool = False
    #: that free serving, if it has been served today already
    served: Served | None = None


@dataclass(frozen=True)
class SaleLine:
    item: Item
    price_cents: int
    free: bool


@dataclass(frozen=True)
class Sale:
    """The decision: accepted with its lines, or refused with the one reason."""

    reason: TapReason
    lines: tuple[SaleLine, ...] = ()
    paid_cents: int = 0
    balance_after_cents: int = 0
    served: Served | None = None  # for already_served: when and where
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is TapReason.OK

    @property
    def free_meal(self) -> bool:
        return any(line.free for line in self.lines)


def decide_sale(
    window: MealWindow | None,
    picked: Sequence[Item],
    purse: Purse,
    *,
    overdraft_limit_cents: int,
) -> Sale:
    """The till's answer to a tap; see the module's diagram."""
    if window is None:
        return Sale(TapReason.NO_SERVING_NOW)
    if not picked:
        return Sale(TapReason.NOTHING_PICKED, detail=f"{window.code} has no default item")
    for item in picked:
        if not item.active:
            return Sale(TapReason.ITEM_UNAVAILABLE, detail=item.name)
        if item.id in purse.no_buy:
            return Sale(TapReason.ITEM_NOT_ALLOWED, detail=item.name)
    lines: list[SaleLine] = []
    free_taken = False
    for item in picked:
        if item.meal_type == window.code and purse.entitled and not free_taken:
            if purse.served is not None:
                return Sale(TapReason.ALREADY_SERVED, served=purse.served, detail=item.name)
            lines.append(SaleLine(item, 0, free=True))
            free_taken = True
        else:
            lines.append(SaleLine(item, item.price_cents, free=False))
    paid = sum(line.price_cents for line in lines)
    after = purse.balance_cents - paid
    if paid:
        limit = purse.daily_limit_cents
        if limit is not None and purse.spent_today_cents + paid > limit:
            return Sale(
                TapReason.DAILY_LIMIT,
                detail=f"spent {purse.spent_today_cents} + {paid} > {limit}",
            )
        if after < -overdraft_limit_cents:
            return Sale(
                TapReason.LOW_BALANCE,
                detail=f"balance {purse.balance_cents} − {paid} < −{overdraft_limit_cents}",
            )
    return Sale(TapReason.OK, tuple(lines), paid, after)


# ---------------------------------------------------------------- the ledger


class LedgerKind(StrEnum):
    TOP_UP = "topup"
    SALE = "sale"
    REFUND = "refund"
    CORRECTION = "correction"


class PaidBy(StrEnum):
    CASH = "cash"
    BANK = "bank"


@dataclass(frozen=True)
class LedgerEntry:
    """A row for the ledger as staff entered it, checked: signed cents, never a sale."""

    kind: LedgerKind
    amount_cents: int
    reference: str = ""
    reason: str = ""
    method: PaidBy | None = None
    refund_of: str | None = None


def top_up(cents: int, method: str, reference: str, *, max_cents: int) -> LedgerEntry:
    """Money a parent paid in: cash with the receipt number, or a bank transfer's reference."""
    try:
        paid_by = PaidBy(method)
    except ValueError:
        raise InputError(
            "a top-up is paid in cash or by bank, not {method!r}", method=method
        ) from None
    if cents <= 0:
        raise InputError("a top-up must be more than 0")
    if cents > max_cents:
        raise InputError("a top-up above {limit} cents is surely a typing slip", limit=max_cents)
    reference = " ".join(reference.split())
    if not reference:
        raise InputError(
            "a top-up needs a reference: the cash receipt number or the bank transfer's reference"
        )
    if len(reference) > MAX_TEXT:
        raise InputError("the reference is longer than {n} characters", n=MAX_TEXT)
    return LedgerEntry(LedgerKind.TOP_UP, cents, reference=reference, method=paid_by)


def refund(cents: int, sale_event: str, refundable_cents: int, reason: str) -> LedgerEntry:
    """Money of a sale given back to the balance; never more than the sale has left."""
    if cents <= 0:
        raise InputError("a refund must be more than 0")
    if cents > refundable_cents:
        raise InputError(
            "this sale has {left} cents left to refund, not {cents}",
            left=refundable_cents,
            cents=cents,
        )
    return LedgerEntry(
        LedgerKind.REFUND, cents, reason=_refund_reason(reason), refund_of=sale_event
    )


def correction(
    cents: int, reason: str, balance_cents: int, *, max_cents: int, overdraft: int
) -> LedgerEntry:
    """A manager's correction, signed, with its reason; it may not break the overdraft limit."""
    if cents == 0:
        raise InputError("a correction of 0 changes nothing")
    if abs(cents) > max_cents:
        raise InputError(
            "a correction above {limit} cents is surely a typing slip", limit=max_cents
        )
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("a correction needs its reason")
    if len(reason) > MAX_TEXT:
        raise InputError("the reason is longer than {n} characters", n=MAX_TEXT)
    if cents < 0 and balance_cents + cents < -overdraft:
        raise InputError(
            "the correction would take the balance to {after} cents, below the limit of −{limit}",
            after=balance_cents + cents,
            limit=overdraft,
        )
    return LedgerEntry(LedgerKind.CORRECTION, cents, reason=reason)


def daily_limit(cents: int | None) -> int | None:
    """A parent's daily spend limit: none, or whole cents from 0 (buy nothing) up."""
    if cents is not None and not 0 <= cents <= MAX_ITEM_PRICE_CENTS * MAX_LINES:
        raise InputError(
            "a daily limit must be between 0 and {most} cents",
            most=MAX_ITEM_PRICE_CENTS * MAX_LINES,
        )
    return cents


def _refund_reason(reason: str) -> str:
    reason = _words(reason)
    if not reason:
        raise InputError("a refund needs its reason")
    return reason
