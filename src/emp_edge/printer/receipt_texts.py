"""What the canteen's receipts say: a sale's receipt and a till's end-of-day report.

The words come through the ``gettext`` the composition root hands in (the kiosk's language), so
the message catalogs hold them like every other visible string. A receipt names a pupil by
initials and class only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from emp_edge.domain.money import format_eur
from emp_edge.printer.receipt import Line, Pair, Receipt, Rule, Text, Title
from emp_edge.store.canteen_days import TillDay
from emp_edge.store.canteen_receipts import SaleReceipt

Translate = Callable[[str], str]


def _untranslated(message: str) -> str:
    return message


@dataclass(frozen=True)
class Words:
    """The fixed words of the receipts, in the language they are printed in."""

    till: str
    pupil: str
    free: str
    paid: str
    balance_after: str
    end_of_day: str
    day: str
    admin_pages: str
    free_meals: str
    sales: str
    top_ups: str
    refunds: str
    corrections: str
    printed_at: str


def receipt_words(gettext: Translate = _untranslated) -> Words:
    return Words(
        till=gettext("Till"),
        pupil=gettext("Pupil"),
        free=gettext("FREE"),
        paid=gettext("Paid"),
        balance_after=gettext("Balance after"),
        end_of_day=gettext("End of day"),
        day=gettext("Day"),
        admin_pages=gettext("entered on the admin pages"),
        free_meals=gettext("Free meals"),
        sales=gettext("Sales"),
        top_ups=gettext("Top-ups"),
        refunds=gettext("Refunds"),
        corrections=gettext("Corrections"),
        printed_at=gettext("Printed"),
    )


def _moment(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def sale_receipt(sale: SaleReceipt, *, school: str, tz: tzinfo, words: Words) -> Receipt:
    """School, till, date and time, initials and class, the items, paid, balance after."""
    pupil = f"{words.pupil}: {sale.initials}"
    lines: list[Line] = [
        Title(school),
        Pair(f"{words.till}: {sale.till}", _moment(sale.at, tz)),
        Pair(pupil, sale.class_label) if sale.class_label else Text(pupil),
        Rule(),
        Text(sale.meal_name),
    ]
    lines += [
        Pair(item.name, words.free if item.free else format_eur(item.price_cents))
        for item in sale.items
    ]
    lines += [
        Rule(),
        Pair(words.paid, format_eur(sale.paid_cents)),
        Pair(words.balance_after, format_eur(sale.balance_after_cents)),
    ]
    return Receipt(tuple(lines))


def _count_and_sum(label: str, count: int, cents: int) -> Pair:
    return Pair(f"{label}: {count}", format_eur(cents))


def day_receipt(
    till_day: TillDay,
    *,
    school: str,
    meal_names: Mapping[str, str],
    printed_at: datetime,
    tz: tzinfo,
    words: Words,
) -> Receipt:
    """One till's day: free meals by meal type, sales, top-ups, refunds and corrections."""
    till = till_day.till or words.admin_pages
    lines: list[Line] = [
        Title(school),
        Title(words.end_of_day),
        Pair(f"{words.till}: {till}", f"{words.day}: {till_day.day.isoformat()}"),
        Rule(),
        Pair(words.free_meals, str(sum(till_day.free_meals.values()))),
    ]
    ordered = [code for code in meal_names if code in till_day.free_meals]
    ordered += sorted(code for code in till_day.free_meals if code not in meal_names)
    lines += [
        Pair(f"  {meal_names.get(code, code)}", str(till_day.free_meals[code])) for code in ordered
    ]
    lines += [
        _count_and_sum(words.sales, till_day.sales, till_day.sales_cents),
        _count_and_sum(words.top_ups, till_day.top_ups, till_day.top_ups_cents),
        _count_and_sum(words.refunds, till_day.refunds, till_day.refunds_cents),
        _count_and_sum(words.corrections, till_day.corrections, till_day.corrections_cents),
        Rule(),
        Text(f"{words.printed_at}: {_moment(printed_at, tz)}"),
    ]
    return Receipt(tuple(lines))


def quiet_day(till: str, day: date) -> TillDay:
    """A till's day with nothing in it (its report still prints, with zeros)."""
    return TillDay(till, day, {}, 0, 0, 0, 0, 0, 0, 0, 0)
