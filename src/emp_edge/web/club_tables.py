"""The clubs' (NVŠ) six lists as tables of text, in the reader's language: the same rows on the
page and in the CSV download (SPEC §4.5; the registry's SĄRAŠAI screens)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.store import club_registers as registers
from emp_edge.store.club_registers import Enrolled
from emp_edge.web.i18n import gettext
from emp_edge.web.labels import CONTRACT_TYPE_NAMES, DEPARTURE_REASON_NAMES


@dataclass(frozen=True)
class Filters:
    """What a list is asked for; each list reads the filters it has."""

    year: int
    day: date
    since: date
    until: date
    school_id: int | None = None
    municipality: str | None = None
    directions: list[str] = field(default_factory=list)
    sub_directions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    heads: list[str]
    rows: list[list[str]]
    keys: list[int]  # each row's pupil (a group in the groups list), for the page's markup


@dataclass(frozen=True)
class ListKind:
    """One of the six lists: its titles, which filters it has, how its rows are made."""

    name: str
    title: LazyString
    registry_title: str  # the registry's own name of the list, as its screen writes it
    hint: LazyString
    filters: tuple[str, ...]  # of: day, period, municipality, school, directions
    names_pupils: bool
    table: Callable[[sqlite3.Connection, Filters], Table]


def _pupil_heads() -> list[str]:
    return [gettext("Pupil"), gettext("Birth date")]


def _programme_heads() -> list[str]:
    return [gettext("KTPRR code"), gettext("Programme"), gettext("Group")]


def _pupil(e: Enrolled) -> list[str]:
    return [e.name, e.birth_date]


def _programme(e: Enrolled) -> list[str]:
    return [e.programme_code, e.programme_name, e.group_name]


def _named(names: dict[str, LazyString], code: str | None) -> str:
    return str(names.get(code or "", code or ""))


def groups_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.groups(conn, f.year, f.day)
    heads = [
        gettext("Purpose"),
        *_programme_heads(),
        gettext("Sub-directions"),
        gettext("Leaders"),
        gettext("Enrolled on %(day)s", day=f.day.isoformat()),
    ]
    cells = [
        [
            r.purpose,
            r.programme_code,
            r.programme_name,
            r.group_name,
            ", ".join(r.sub_directions),
            ", ".join(r.leaders),
            str(r.enrolled),
        ]
        for r in rows
    ]
    return Table(heads, cells, [r.group_id for r in rows])


def learners_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.learners(conn, f.year, f.day)
    heads = [*_pupil_heads(), gettext("Class"), gettext("School"), *_programme_heads(),
             gettext("First day")]  # fmt: skip
    cells = [[*_pupil(e), e.class_label, e.school, *_programme(e), e.first_day] for e in rows]
    return Table(heads, cells, [e.pupil_id for e in rows])


def arrivals_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.arrivals(conn, f.year, f.since, f.until)
    heads = [
        *_pupil_heads(),
        gettext("Class"),
        *_programme_heads(),
        gettext("First day"),
        gettext("Contract type"),
        gettext("Contract date"),
        gettext("Contract number"),
    ]
    cells = [
        [
            *_pupil(e),
            e.class_label,
            *_programme(e),
            e.first_day,
            _named(CONTRACT_TYPE_NAMES, e.contract_type),
            e.contract_date or "",
            e.contract_number or "",
        ]
        for e in rows
    ]
    return Table(heads, cells, [e.pupil_id for e in rows])


def departures_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.departures(conn, f.year, f.since, f.until)
    heads = [
        *_pupil_heads(),
        gettext("Class"),
        *_programme_heads(),
        gettext("First day"),
        gettext("Departure date"),
        gettext("Director's order number"),
        gettext("Reason for leaving"),
    ]
    cells = [
        [
            *_pupil(e),
            e.class_label,
            *_programme(e),
            e.first_day,
            e.left_on or "",
            e.departure_order or "",
            _named(DEPARTURE_REASON_NAMES, e.departure_reason),
        ]
        for e in rows
    ]
    return Table(heads, cells, [e.pupil_id for e in rows])


def basket_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.basket_recipients(conn, f.year, f.municipality)
    heads = [
        *_pupil_heads(),
        gettext("First day"),
        *_programme_heads(),
        gettext("Municipality of general education"),
        gettext("Departure date"),
        gettext("Basket mark"),
    ]
    states = {"local": gettext("not yet confirmed by the registry"),
              "accepted": gettext("accepted by the registry")}  # fmt: skip
    cells = [
        [
            *_pupil(r.enrolled),
            r.enrolled.first_day,
            *_programme(r.enrolled),
            r.enrolled.municipality,
            r.enrolled.left_on or "",
            states.get(r.state, r.state),
        ]
        for r in rows
    ]
    return Table(heads, cells, [r.enrolled.pupil_id for r in rows])


def attended_table(conn: sqlite3.Connection, f: Filters) -> Table:
    rows = registers.clubs_attended(
        conn,
        f.year,
        f.day,
        school_id=f.school_id,
        directions=f.directions,
        sub_directions=f.sub_directions,
    )
    heads = [
        *_pupil_heads(),
        gettext("Class"),
        gettext("School"),
        *_programme_heads(),
        gettext("Directions"),
        gettext("Sub-directions"),
        gettext("First day"),
    ]
    cells = [
        [
            *_pupil(r.enrolled),
            r.enrolled.class_label,
            r.enrolled.school,
            *_programme(r.enrolled),
            ", ".join(r.directions),
            ", ".join(r.sub_directions),
            r.enrolled.first_day,
        ]
        for r in rows
    ]
    return Table(heads, cells, [r.enrolled.pupil_id for r in rows])


LISTS: dict[str, ListKind] = {
    kind.name: kind
    for kind in (
        ListKind(
            "groups",
            lazy_gettext("NVŠ groups"),
            "NVŠ grupių sąrašas",
            lazy_gettext("The school year's groups by purpose and programme, with their"
                         " sub-directions, leaders and the pupils enrolled on the day."),
            ("day",),
            False,
            groups_table,
        ),
        ListKind(
            "learners",
            lazy_gettext("Learners"),
            "Besimokančių asmenų sąrašas",
            lazy_gettext("Every pupil in a group's lists on the day."),
            ("day",),
            True,
            learners_table,
        ),
        ListKind(
            "arrivals",
            lazy_gettext("Arrivals"),
            "Atvykusių mokinių sąrašas",
            lazy_gettext("Pupils whose first day in a group falls in the period, with their"
                         " contract."),
            ("period",),
            True,
            arrivals_table,
        ),
        ListKind(
            "departures",
            lazy_gettext("Departures"),
            "Išvykusių mokinių sąrašas",
            lazy_gettext("Pupils whose departure date falls in the period, with the director's"
                         " order number and the reason."),
            ("period",),
            True,
            departures_table,
        ),
        ListKind(
            "basket",
            lazy_gettext("NVŠ basket recipients"),
            "Gaunančių NVŠ MK sąrašas",
            lazy_gettext("Pupils with an NVŠ basket mark the registry has not rejected in the"
                         " school year, with the municipality where they attend general"
                         " education."),
            ("municipality",),
            True,
            basket_table,
        ),
        ListKind(
            "attended",
            lazy_gettext("Clubs attended by pupils of a school"),
            "NVŠ lankančių pamokas (būrelius) sąrašas",
            lazy_gettext("The clubs the pupils of a general education school attend on the day,"
                         " in the directions and sub-directions chosen; a chosen sub-direction"
                         " narrows its direction."),
            ("day", "school", "directions"),
            True,
            attended_table,
        ),
    )
}  # fmt: skip
