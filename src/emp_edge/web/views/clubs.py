"""The clubs (NVŠ) page: links to every clubs page one may open, programmes, this school year's
groups, a chart and table of attendance per group and month, funding marks."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, viewer
from emp_edge.domain.clubs import BASKET, FUNDING_KINDS
from emp_edge.domain.school import school_year, school_year_bounds, school_year_label
from emp_edge.store.classifiers import names
from emp_edge.store.club_lists import (
    MARK_STATES,
    attendance_by_month,
    funding_marks,
    groups,
    month_of,
    months_between,
    programmes,
)
from emp_edge.web.access import may, needs, rule_of, services
from emp_edge.web.club_chart import attendance_chart
from emp_edge.web.labels import FUNDING_KIND_NAMES, MARK_STATE_TEXT

blueprint = Blueprint("clubs", __name__, url_prefix="/clubs")

#: the clubs' pages, in the order of the work: set up, enrol, attend, list, report
PAGES: tuple[tuple[str, LazyString, LazyString], ...] = (
    ("club_setup.programmes", lazy_gettext("Programmes and groups"),
     lazy_gettext("KTPRR programmes, their groups, leaders and weekly sessions.")),
    ("club_setup.classifiers", lazy_gettext("NVŠ classifiers"),
     lazy_gettext("Directions, sub-directions, programme purposes and provider groups.")),
    ("club_enrolment.find", lazy_gettext("Enrol a pupil"),
     lazy_gettext("The registry's three steps: the pupil, the group, the contract.")),
    ("club_sessions.mine", lazy_gettext("Sessions and attendance"),
     lazy_gettext("Open a session, see who tapped in, mark by hand.")),
    ("club_lists.index", lazy_gettext("NVŠ lists"),
     lazy_gettext("Groups, learners, arrivals, departures, basket recipients, clubs attended.")),
    ("club_report.month", lazy_gettext("Monthly report for the basket"),
     lazy_gettext("Hours attended per pupil and whether the month is fundable; CSV, PDF.")),
)  # fmt: skip


def pages() -> list[tuple[str, LazyString, LazyString]]:
    """The clubs' pages that exist here and that the signed-in person may open."""
    found = []
    for endpoint, title, hint in PAGES:
        if endpoint not in current_app.view_functions:
            continue
        rule = rule_of(endpoint)
        if rule is not None and may(rule):
            found.append((endpoint, title, hint))
    return found


@blueprint.get("/")
@needs(viewer(Area.LEARNING_DATA))
def index() -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    tz = app.settings.tz
    today = app.clock.today()
    year = school_year(today)
    first_day, _ = school_year_bounds(year)
    months = months_between(first_day, today)
    attendance = attendance_by_month(conn, year, months, tz)
    show_basket = may(viewer(Area.BASKET))
    marks = funding_marks(conn, year, [k for k in FUNDING_KINDS if k != BASKET or show_basket])
    return render_template(
        "clubs/index.html",
        year_label=school_year_label(year),
        month_label=month_of(today).label,
        programmes=programmes(conn, year),
        purposes=names(conn, "purpose"),
        groups=groups(conn, year, today, month_of(today), tz),
        attendance=attendance,
        chart=attendance_chart(attendance, months),
        pages=pages(),
        funding={kind: counts for kind, counts in marks.items() if kind != BASKET},
        basket=marks.get(BASKET) if show_basket else None,
        mark_states=MARK_STATES,
        funding_names=FUNDING_KIND_NAMES,
        mark_state_names=MARK_STATE_TEXT,
    )
