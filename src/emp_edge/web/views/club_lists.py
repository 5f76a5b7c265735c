"""The clubs' (NVŠ) lists: the six lists of the registry's SĄRAŠAI screens as pages and as CSV.

Filters come in the query string: ``year`` (the school year's first calendar year), ``day``,
``from`` and ``to`` (a period), ``municipality``, ``school``, and ``direction`` /
``sub_direction`` (repeated, codes from the classifiers). ``?format=csv`` gives the page's rows
as a CSV file Excel opens as it is (``;`` between fields, UTF-8 with a byte order mark, like the
canteen's). Every list or download that names pupils is one row of the audit trail.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from emp_edge.domain.access import Area, viewer
from emp_edge.domain.school import school_year, school_year_bounds, school_year_label
from emp_edge.errors import InputError
from emp_edge.store import club_registers as registers
from emp_edge.store.canteen_day_table import excel_csv
from emp_edge.store.classifiers import Entry, check_codes, entries
from emp_edge.web.access import audit_view, may, needs, rule_of, services
from emp_edge.web.club_tables import LISTS, Filters, ListKind
from emp_edge.web.i18n import error_text

blueprint = Blueprint("club_lists", __name__, url_prefix="/clubs/lists")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


def _date(text: str) -> date:
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("{text!r} is not a date yyyy-mm-dd", text=text) from None


def _within(day: date, year: int) -> date:
    first, last = school_year_bounds(year)
    return min(max(day, first), last)


def defaults(today: date, year: int | None = None) -> Filters:
    """The whole school year (this one unless another is asked for); the day is today, or the
    school year's nearest day to it."""
    year = school_year(today) if year is None else year
    first, last = school_year_bounds(year)
    return Filters(year, _within(today, year), first, last)


def read_filters(args: MultiDict[str, str], today: date) -> Filters:
    """The filters asked for; an InputError names the first bad one."""
    text = args.get("year", "").strip()
    if text and not _YEAR.fullmatch(text):
        raise InputError("{text!r} is not a school year", text=text)
    base = defaults(today, int(text) if text else None)
    day = _date(args["day"].strip()) if args.get("day", "").strip() else base.day
    since = _date(args["from"].strip()) if args.get("from", "").strip() else base.since
    until = _date(args["to"].strip()) if args.get("to", "").strip() else base.until
    school = args.get("school", "").strip()
    if school and not school.isdigit():
        raise InputError("choose the school from the list")
    conn = services().store.conn
    directions = [d for d in args.getlist("direction") if d]
    sub_directions = [d for d in args.getlist("sub_direction") if d]
    check_codes(conn, "direction", directions)
    check_codes(conn, "sub_direction", sub_directions)
    return Filters(
        base.year,
        day,
        since,
        until,
        school_id=int(school) if school else None,
        municipality=args.get("municipality", "").strip() or None,
        directions=directions,
        sub_directions=sub_directions,
    )


def _kind(name: str) -> ListKind:
    kind = LISTS.get(name)
    if kind is None:
        abort(404)
    return kind


def filter_args(kind: ListKind, f: Filters) -> dict[str, str | list[str]]:
    """The query string of a list with these filters (the CSV link gives what the page shows)."""
    args: dict[str, str | list[str]] = {"year": str(f.year)}
    if "day" in kind.filters:
        args["day"] = f.day.isoformat()
    if "period" in kind.filters:
        args["from"], args["to"] = f.since.isoformat(), f.until.isoformat()
    if "school" in kind.filters and f.school_id is not None:
        args["school"] = str(f.school_id)
    if "municipality" in kind.filters and f.municipality:
        args["municipality"] = f.municipality
    if "directions" in kind.filters:
        args["direction"], args["sub_direction"] = f.directions, f.sub_directions
    return args


def _detail(kind: ListKind, f: Filters, rows: int) -> str:
    """What was listed, for the audit trail."""
    parts = [f"year={f.year}"]
    if "day" in kind.filters:
        parts.append(f"day={f.day.isoformat()}")
    if "period" in kind.filters:
        parts.append(f"from={f.since.isoformat()} to={f.until.isoformat()}")
    if f.school_id is not None and "school" in kind.filters:
        parts.append(f"school={f.school_id}")
    if f.municipality and "municipality" in kind.filters:
        parts.append(f"municipality={f.municipality}")
    if "directions" in kind.filters and (f.directions or f.sub_directions):
        parts.append("directions=" + ",".join([*f.directions, *f.sub_directions]))
    return " ".join([*parts, f"rows={rows}"])


def _by_direction(conn: sqlite3.Connection) -> list[tuple[str, list[Entry]]]:
    """The sub-directions under their directions' names, to choose from."""
    subs = entries(conn, "sub_direction")
    return [
        (direction.name, [sub for sub in subs if sub.parent == direction.code])
        for direction in entries(conn, "direction")
        if any(sub.parent == direction.code for sub in subs)
    ]


def _may_open(endpoint: str) -> bool:
    rule = rule_of(endpoint)
    return rule is not None and may(rule)


@blueprint.get("")
@needs(viewer(Area.LISTS))
def index() -> ResponseReturnValue:
    today = services().clock.today()
    return render_template(
        "club_lists/index.html",
        lists=list(LISTS.values()),
        year_label=school_year_label(school_year(today)),
        clubs_link=_may_open("clubs.index"),
    )


@blueprint.get("/<name>")
@needs(viewer(Area.LISTS))
def show(name: str) -> ResponseReturnValue:
    kind = _kind(name)
    app = services()
    conn = app.store.conn
    today = app.clock.today()
    csv = request.args.get("format") == "csv"
    try:
        filters = read_filters(request.args, today)
        table = kind.table(conn, filters)
    except InputError as err:
        flash(error_text(err), "error")
        if csv:
            return redirect(url_for("club_lists.show", name=name))
        filters = defaults(today)
        table = kind.table(conn, filters)
    if csv:
        if kind.names_pupils:
            audit_view(
                "clubs.list_downloaded", f"list:{name}", _detail(kind, filters, len(table.rows))
            )
        return Response(
            excel_csv([table.heads, *table.rows]),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="nvs-{name}-{filters.year}.csv"'
            },
        )
    if kind.names_pupils:
        audit_view("clubs.listed", f"list:{name}", _detail(kind, filters, len(table.rows)))
    this_year = school_year(today)
    return render_template(
        "club_lists/show.html",
        kind=kind,
        filters=filters,
        table=table,
        years=list(range(this_year + 1, this_year - 6, -1)),
        year_label=school_year_label(filters.year),
        schools=registers.schools(conn) if "school" in kind.filters else [],
        municipalities=registers.municipalities(conn) if "municipality" in kind.filters else [],
        directions=entries(conn, "direction") if "directions" in kind.filters else [],
        sub_directions=_by_direction(conn) if "directions" in kind.filters else [],
        csv_args={**filter_args(kind, filters), "format": "csv"},
    )
