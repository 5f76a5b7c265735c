"""The clubs' monthly report as rows of text (for the CSV download) and as a document to print
(the PDF), its words in the reader's language: the web makes the heads, the printer draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emp_edge.store.club_report import GroupMonth


@dataclass(frozen=True)
class ReportHeads:
    """Column heads and words of the report, in the reader's language (English by default)."""

    group: str = "Group"
    programme: str = "Programme"
    month: str = "Month"
    sessions_held: str = "Sessions held"
    hours_held: str = "Academic hours held"
    pupil: str = "Pupil"
    class_label: str = "Class"
    sessions_attended: str = "Sessions attended"
    hours: str = "Academic hours attended"
    fundable: str = "Fundable"
    basket: str = "NVŠ basket"
    yes: str = "yes"
    no: str = "no"


def month_table(report: Sequence[GroupMonth], heads: ReportHeads | None = None) -> list[list[str]]:
    """The heads and one row per group and pupil (a group without pupils: one row of its own)."""
    heads = heads or ReportHeads()
    rows = [
        [
            heads.month,
            heads.programme,
            heads.group,
            heads.sessions_held,
            heads.hours_held,
            heads.pupil,
            heads.class_label,
            heads.sessions_attended,
            heads.hours,
            heads.fundable,
            heads.basket,
        ]
    ]
    for group in report:
        start = [
            group.month,
            group.programme_name,
            group.group_name,
            str(group.sessions_held),
            str(group.hours_held),
        ]
        if not group.pupils:
            rows.append([*start, "", "", "", "", "", ""])
        for p in group.pupils:
            rows.append(
                [
                    *start,
                    p.name,
                    p.class_label,
                    str(p.sessions_attended),
                    str(p.hours),
                    heads.yes if p.fundable else heads.no,
                    heads.yes if p.basket else heads.no,
                ]
            )
    return rows


@dataclass(frozen=True)
class MonthDocument:
    """The report as a document to print, its words already in the reader's language."""

    title: str
    lines: tuple[str, ...]  # under the title: the school, the month, the rule, when it was made
    heads: ReportHeads
    sections: tuple[tuple[str, GroupMonth], ...]  # each group under its caption
    no_pupils: str  # said under a group with no pupil in its lists that month
