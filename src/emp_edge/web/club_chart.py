"""The clubs page's chart of attendance per group and month: the bars' places, worked out here
and drawn as SVG by the template (no script; the table beside it gives the same figures).

One row per group that held a session in the school year, one slot per month; a bar's height is
the month's presence marks against the largest month of any group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from emp_edge.store.club_lists import Month, MonthAttendance

LABEL_WIDTH: Final = 230
SLOT: Final = 64
BAR: Final = 40
ROW: Final = 60
BAR_ROOM: Final = 40  # the tallest bar; the rest of a row holds its figure
TOP: Final = 26  # the month names
NAME_LENGTH: Final = 28


@dataclass(frozen=True)
class Bar:
    month: str
    marks: int
    sessions: int
    hours: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class ChartRow:
    group_id: int
    name: str  # the group and its programme
    short_name: str  # what fits beside the bars
    y: int  # the row's baseline
    bars: list[Bar]


@dataclass(frozen=True)
class MonthSlot:
    label: str  # yyyy-mm
    x: int  # the middle of its slot


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    months: list[MonthSlot]
    rows: list[ChartRow]
    most: int
    bar: int = BAR  # a bar's width


def _short(text: str) -> str:
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1].rstrip() + "…"


def attendance_chart(attendance: Sequence[MonthAttendance], months: Sequence[Month]) -> Chart:
    """The bars of each group's months (a month without a session has no bar)."""
    most = max([1, *(a.marks for a in attendance)])
    place = {month.label: n for n, month in enumerate(months)}
    slots = [MonthSlot(m.label, LABEL_WIDTH + n * SLOT + SLOT // 2) for n, m in enumerate(months)]
    rows: dict[int, ChartRow] = {}
    for a in attendance:
        if a.month not in place:
            continue
        if a.group_id not in rows:
            name = f"{a.group_name} ({a.programme_name})"
            baseline = TOP + (len(rows) + 1) * ROW
            rows[a.group_id] = ChartRow(a.group_id, name, _short(name), baseline, [])
        row = rows[a.group_id]
        height = round(BAR_ROOM * a.marks / most)
        x = LABEL_WIDTH + place[a.month] * SLOT + (SLOT - BAR) // 2
        row.bars.append(Bar(a.month, a.marks, a.sessions, a.hours, x, row.y - height, height))
    width = LABEL_WIDTH + len(months) * SLOT + 8
    return Chart(width, TOP + len(rows) * ROW + 10, slots, list(rows.values()), most)
