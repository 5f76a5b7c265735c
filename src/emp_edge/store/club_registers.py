"""The registry's six lists of the clubs (NVŠ) — SPEC §4.5 and the registry's SĄRAŠAI screens.

- groups: "NVŠ grupių sąrašas" — programme, purpose, group, sub-directions, leaders, enrolled;
- learners: "Besimokančių asmenų sąrašas" — who is in a group's lists on a day;
- arrivals: "Atvykusių mokinių sąrašas" — first day in a period, with the contract;
- departures: "Išvykusių mokinių sąrašas" — departure date in a period, order number, reason;
- basket: "Gaunančių NVŠ MK sąrašas" — pupils with a basket mark not rejected in the school year,
  with the municipality where the pupil attends general education (the pupil's school's);
- attended: "NVŠ lankančių pamokas (būrelius) sąrašas" — the clubs the pupils of a general
  education school attend, narrowed by directions and sub-directions from the classifiers.

Every list is of one school year's groups. A pupil is in a group's lists from the first day up
to the day before the departure date (``domain.clubs.enrolled_on``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from emp_edge.domain.clubs import BASKET
from emp_edge.domain.lithuanian import name_order
from emp_edge.domain.school import school_year_bounds, school_year_label
from emp_edge.errors import InputError
from emp_edge.store.classifiers import entries, names


def check_in_year(day: date, year: int) -> None:
    """A day asked about lies in the school year of the lists."""
    first, last = school_year_bounds(year)
    if not first <= day <= last:
        raise InputError(
            "{day} is not in the school year {year}",
            day=day.isoformat(),
            year=school_year_label(year),
        )


def _codes(text: str) -> list[str]:
    found = json.loads(text or "[]")
    return [str(code) for code in found] if isinstance(found, list) else []


# ---------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupRow:
    group_id: int
    purpose: str  # the purpose's name in the classifier
    programme_code: str
    programme_name: str
    group_name: str
    sub_directions: list[str]  # names
    leaders: list[str]  # full names
    enrolled: int  # in the group's lists on the day asked about


def groups(conn: sqlite3.Connection, year: int, day: date) -> list[GroupRow]:
    """The school year's groups by purpose, programme and name, with who is enrolled on ``day``."""
    purposes = names(conn, "purpose")
    subs = names(conn, "sub_direction")
    leaders: dict[int, list[tuple[str, str]]] = {}
    for group_id, first, last in conn.execute(
        "SELECT l.group_id, u.first_name, u.last_name FROM group_leaders l"
        " JOIN users u ON u.id = l.user_id JOIN club_groups g ON g.id = l.group_id"
        " WHERE g.school_year = ?",
        (year,),
    ):
        leaders.setdefault(int(group_id), []).append((first, last))
    rows = [
        GroupRow(
            int(gid),
            purposes.get(purpose, purpose),
            code,
            programme,
            name,
            [subs.get(sub, sub) for sub in _codes(sub_directions)],
            [
                f"{first} {last}"
                for first, last in sorted(
                    leaders.get(int(gid), []), key=lambda n: name_order(n[1], n[0])
                )
            ],
            int(enrolled),
        )
        for gid, purpose, code, programme, name, sub_directions, enrolled in conn.execute(
            "SELECT g.id, p.purpose, p.ktprr_code, p.name, g.name, g.sub_directions,"
            " (SELECT count(DISTINCT e.pupil_id) FROM enrolments e WHERE e.group_id = g.id"
            "  AND e.first_day <= :day AND (e.left_on IS NULL OR e.left_on > :day))"
            " FROM club_groups g JOIN programmes p ON p.id = g.programme_id"
            " WHERE g.school_year = :year",
            {"day": day.isoformat(), "year": year},
        )
    ]
    return sorted(rows, key=lambda r: (r.purpose, r.programme_name, r.group_name, r.group_id))


# ---------------------------------------------------------------- pupils in groups


@dataclass(frozen=True)
class Enrolled:
    """A pupil's enrolment in a group, as the pupil lists show it."""

    enrolment_id: int
    pupil_id: int
    name: str  # "Vardas Pavardė"
    birth_date: str
    class_label: str
    school: str  # the pupil's general education school
    municipality: str  # the municipality of that school
    group_name: str
    programme_code: str
    programme_name: str
    first_day: str
    left_on: str | None
    contract_type: str | None
    contract_date: str | None
    contract_number: str | None
    departure_order: str | None
    departure_reason: str | None


_ENROLLED = (
    "SELECT e.id, p.id, p.first_name, p.last_name, p.birth_date, coalesce(c.label, ''),"
    " s.name, s.municipality, g.name, pr.ktprr_code, pr.name, e.first_day, e.left_on,"
    " e.contract_type, e.contract_date, e.contract_number, e.departure_order,"
    " e.departure_reason, g.sub_directions, pr.directions"
    " FROM enrolments e JOIN pupils p ON p.id = e.pupil_id JOIN schools s ON s.id = p.school_id"
    " LEFT JOIN classes c ON c.id = p.class_id JOIN club_groups g ON g.id = e.group_id"
    " JOIN programmes pr ON pr.id = g.programme_id WHERE g.school_year = :year"
)


def _enrolled(
    conn: sqlite3.Connection, where: str, params: dict[str, object]
) -> list[tuple[Enrolled, list[str], list[str], tuple[object, ...]]]:
    """Enrolments of the school year matching ``where``; with the group's sub-directions and
    the programme's directions (codes), by pupil's name, then programme and group."""
    found = []
    for row in conn.execute(f"{_ENROLLED} AND {where}", params):
        eid, pid, first, last, birth, label, school, municipality, *rest = row
        group, code, programme, first_day, left_on, ctype, cdate, cnum, order, reason = rest[:10]
        subs, directions = _codes(rest[10]), _codes(rest[11])
        enrolled = Enrolled(
            int(eid),
            int(pid),
            f"{first} {last}",
            birth,
            label,
            school,
            municipality,
            group,
            code,
            programme,
            first_day,
            left_on,
            ctype,
            cdate,
            cnum,
            order,
            reason,
        )
        key = (*name_order(last, first), programme, group, first_day)
        found.append((enrolled, subs, directions, key))
    return sorted(found, key=lambda item: item[3])


def learners(conn: sqlite3.Connection, year: int, day: date) -> list[Enrolled]:
    """Who is in the lists of the school year's groups on ``day``."""
    check_in_year(day, year)
    where = "e.first_day <= :day AND (e.left_on IS NULL OR e.left_on > :day)"
    return [e for e, *_ in _enrolled(conn, where, {"year": year, "day": day.isoformat()})]


def _check_period(since: date, until: date, year: int) -> None:
    check_in_year(since, year)
    check_in_year(until, year)
    if until < since:
        raise InputError(
            "the period ends ({until}) before it begins ({since})",
            since=since.isoformat(),
            until=until.isoformat(),
        )


def arrivals(conn: sqlite3.Connection, year: int, since: date, until: date) -> list[Enrolled]:
    """Enrolments whose first day lies in the period (both ends included), with the contract."""
    _check_period(since, until, year)
    where = "e.first_day BETWEEN :since AND :until"
    period = {"year": year, "since": since.isoformat(), "until": until.isoformat()}
    return [e for e, *_ in _enrolled(conn, where, period)]


def departures(conn: sqlite3.Connection, year: int, since: date, until: date) -> list[Enrolled]:
    """Enrolments whose departure date lies in the period, with the order number and reason."""
    _check_period(since, until, year)
    where = "e.left_on BETWEEN :since AND :until"
    period = {"year": year, "since": since.isoformat(), "until": until.isoformat()}
    return [e for e, *_ in _enrolled(conn, where, period)]


@dataclass(frozen=True)
class BasketRow:
    enrolled: Enrolled
    state: str  # the mark's state: local (not yet confirmed) or accepted


def basket_recipients(
    conn: sqlite3.Connection, year: int, municipality: str | None = None
) -> list[BasketRow]:
    """Pupils whose enrolment in a group of the school year carries a basket mark the registry
    has not rejected, with the municipality of their school (optionally of one municipality)."""
    states = {
        int(enrolment): state
        for enrolment, state in conn.execute(
            "SELECT enrolment_id, state FROM funding_marks WHERE kind = ? AND school_year = ?"
            " AND state <> 'rejected'",
            (BASKET, year),
        )
    }
    where = (
        "EXISTS (SELECT 1 FROM funding_marks f WHERE f.enrolment_id = e.id AND f.kind = :kind"
        " AND f.school_year = :year AND f.state <> 'rejected')"
        " AND (:municipality IS NULL OR s.municipality = :municipality)"
    )
    params: dict[str, object] = {"year": year, "kind": BASKET, "municipality": municipality}
    return [
        BasketRow(e, states.get(e.enrolment_id, "local"))
        for e, *_ in _enrolled(conn, where, params)
    ]


def municipalities(conn: sqlite3.Connection) -> list[str]:
    """The municipalities of the schools the clubs' pupils come from."""
    rows = conn.execute(
        "SELECT DISTINCT s.municipality FROM schools s JOIN pupils p ON p.school_id = s.id"
        " JOIN enrolments e ON e.pupil_id = p.id WHERE s.municipality <> ''"
        " ORDER BY s.municipality"
    )
    return [m for (m,) in rows]


# ---------------------------------------------------------------- clubs attended


@dataclass(frozen=True)
class AttendedRow:
    enrolled: Enrolled
    directions: list[str]  # names: the programme's, and those of the group's sub-directions
    sub_directions: list[str]  # names


@dataclass(frozen=True)
class School:
    id: int
    name: str


def schools(conn: sqlite3.Connection) -> list[School]:
    """The general education schools whose pupils are enrolled in a club."""
    rows = conn.execute(
        "SELECT DISTINCT s.id, s.name FROM schools s JOIN pupils p ON p.school_id = s.id"
        " JOIN enrolments e ON e.pupil_id = p.id ORDER BY s.name, s.id"
    )
    return [School(int(i), name) for i, name in rows]


def matches(
    group_directions: Collection[str],
    group_subs: Collection[str],
    directions: Collection[str],
    subs: Collection[str],
    parent_of: dict[str, str],
) -> bool:
    """Whether a group is wanted: nothing chosen takes every group; a chosen sub-direction takes
    the groups that have it; a chosen direction takes every group of that direction, unless some
    of its sub-directions are chosen too, which then narrow it."""
    if not directions and not subs:
        return True
    if any(sub in group_subs for sub in subs):
        return True
    narrowed = {parent_of.get(sub, "") for sub in subs}
    return any(d in group_directions and d not in narrowed for d in directions)


def clubs_attended(
    conn: sqlite3.Connection,
    year: int,
    day: date,
    *,
    school_id: int | None = None,
    directions: Sequence[str] = (),
    sub_directions: Sequence[str] = (),
) -> list[AttendedRow]:
    """The clubs the pupils (of one general education school, or all) attend on ``day``, in the
    chosen directions and sub-directions (codes from the classifiers)."""
    check_in_year(day, year)
    direction_names = names(conn, "direction")
    sub_entries = entries(conn, "sub_direction", with_retired=True)
    sub_names = {e.code: e.name for e in sub_entries}
    parent_of = {e.code: e.parent for e in sub_entries}
    where = (
        "e.first_day <= :day AND (e.left_on IS NULL OR e.left_on > :day)"
        " AND (:school IS NULL OR p.school_id = :school)"
    )
    params: dict[str, object] = {"year": year, "day": day.isoformat(), "school": school_id}
    rows = []
    for enrolled, subs, programme_directions, _ in _enrolled(conn, where, params):
        group_directions = list(programme_directions)
        for sub in subs:
            parent = parent_of.get(sub)
            if parent and parent not in group_directions:
                group_directions.append(parent)
        if matches(group_directions, subs, directions, sub_directions, parent_of):
            rows.append(
                AttendedRow(
                    enrolled,
                    [direction_names.get(d, d) for d in group_directions],
                    [sub_names.get(s, s) for s in subs],
                )
            )
    return rows
