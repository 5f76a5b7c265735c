"""The cards page's chart of the open requests against the 21-day limit (§42): how many requests
are how many days old, with the limit and the warning line drawn across. The places are worked out
here and drawn as SVG by the template (no script; the list beside it gives the same figures).

One column per day of age, from today's requests on the left to the oldest on the right; a
column's height is its number of requests against the fullest day. Columns past the limit are
overdue, those past the warning line are due soon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from emp_edge.domain.cards import REQUEST_DAYS, RequestStatus, request_status

LEFT: Final = 44  # the count labels
PLOT_WIDTH: Final = 660
TOP: Final = 24  # the lines' labels
PLOT_HEIGHT: Final = 150
HEADROOM: Final = 18  # above the tallest column, for its count
BOTTOM: Final = 40  # the day labels and the axis' name
RIGHT: Final = 12
MIN_DAYS: Final = REQUEST_DAYS + 8
"""The axis always shows a week past the limit, so the limit never sits at the edge."""
TICK_EVERY: Final = 7


@dataclass(frozen=True)
class Column:
    age: int  # days since the request
    count: int
    status: RequestStatus
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Tick:
    x: int
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    baseline: int  # y of the axis
    top: int
    tallest: int  # y of the top of a column of ``most`` requests
    columns: list[Column]
    ticks: list[Tick]
    limit_x: int  # the 21-day line
    warn_x: int  # the line where "due soon" begins
    warn_age: int
    most: int
    requests: int
    overdue: int
    due_soon: int


def _x(age: float, days: int) -> int:
    return LEFT + round(PLOT_WIDTH * age / days)


def request_chart(requested: Sequence[date], today: date, warn_days: int) -> Chart:
    """The chart of requests made on these days, as it stands ``today``."""
    ages = Counter(max(0, (today - day).days) for day in requested)
    days = max(MIN_DAYS, max(ages, default=0) + 2)
    most = max([1, *ages.values()])
    slot = PLOT_WIDTH / days
    bar = max(2, round(slot * 0.8))
    baseline = TOP + PLOT_HEIGHT
    columns = []
    for age in sorted(ages):
        count = ages[age]
        height = max(2, round((PLOT_HEIGHT - HEADROOM) * count / most))
        status = request_status(today - timedelta(days=age), today, warn_days=warn_days)
        middle = _x(age + 0.5, days)
        columns.append(
            Column(age, count, status, middle - bar // 2, baseline - height, bar, height)
        )
    ticks = [Tick(_x(age + 0.5, days), str(age)) for age in range(0, days, TICK_EVERY)]
    warn_age = max(0, REQUEST_DAYS - warn_days)
    return Chart(
        width=LEFT + PLOT_WIDTH + RIGHT,
        height=TOP + PLOT_HEIGHT + BOTTOM,
        left=LEFT,
        baseline=baseline,
        top=TOP,
        tallest=baseline - (PLOT_HEIGHT - HEADROOM),
        columns=columns,
        ticks=ticks,
        limit_x=_x(REQUEST_DAYS + 1, days),
        warn_x=_x(warn_age, days),
        warn_age=warn_age,
        most=most,
        requests=len(requested),
        overdue=sum(c.count for c in columns if c.status is RequestStatus.OVERDUE),
        due_soon=sum(c.count for c in columns if c.status is RequestStatus.DUE_SOON),
    )
