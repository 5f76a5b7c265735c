"""The end-of-day report as rows of text: for the CSV download and the command line.

The CSV is what Excel opens as it is: ``;`` between fields, a UTF-8 byte order mark so that
ą č ę ė į š ų ū ž survive, and amounts written 2,50 (no currency sign, no thousands spaces).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from emp_edge.store.canteen_days import TillDay, totals
from emp_edge.store.canteen_lists import MealType


@dataclass(frozen=True)
class DayHeads:
    """The column heads and row names, in the reader's language (English by default)."""

    day: str = "Day"
    till: str = "Till"
    admin_pages: str = "Admin pages"
    all_tills: str = "All tills"
    free_meal: str = "Free: {meal}"
    sales: str = "Sales"
    sales_sum: str = "Sales, EUR"
    top_ups: str = "Top-ups"
    top_ups_sum: str = "Top-ups, EUR"
    refunds: str = "Refunds"
    refunds_sum: str = "Refunds, EUR"
    corrections: str = "Corrections"
    corrections_sum: str = "Corrections, EUR"
    net: str = "Balances changed by, EUR"


def amount(cents: int) -> str:
    """Cents as a spreadsheet reads them in Lithuanian: 2,50 and -1234,05."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"


def day_table(
    day: date,
    report: Sequence[TillDay],
    meals: Sequence[MealType],
    heads: DayHeads | None = None,
) -> list[list[str]]:
    """The heads, a row per till, and the totals row (also when no till did anything)."""
    heads = heads or DayHeads()
    rows = [
        [
            heads.day,
            heads.till,
            *(heads.free_meal.format(meal=meal.name) for meal in meals),
            heads.sales,
            heads.sales_sum,
            heads.top_ups,
            heads.top_ups_sum,
            heads.refunds,
            heads.refunds_sum,
            heads.corrections,
            heads.corrections_sum,
            heads.net,
        ]
    ]
    total = totals(report, day)
    for till_day, name in [
        *((t, t.till or heads.admin_pages) for t in report),
        (total, heads.all_tills),
    ]:
        rows.append(
            [
                till_day.day.isoformat(),
                name,
                *(str(till_day.free_meals.get(meal.code, 0)) for meal in meals),
                str(till_day.sales),
                amount(till_day.sales_cents),
                str(till_day.top_ups),
                amount(till_day.top_ups_cents),
                str(till_day.refunds),
                amount(till_day.refunds_cents),
                str(till_day.corrections),
                amount(till_day.corrections_cents),
                amount(till_day.net_cents),
            ]
        )
    return rows


def excel_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """Rows as a CSV file Excel opens with Lithuanian letters intact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
