"""The clubs (NVŠ) page: programmes, this school year's groups, attendance per month, funding."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, viewer
from emp_edge.domain.school import school_year, school_year_bounds, school_year_label
from emp_edge.store.club_lists import (
    FUNDING_KINDS,
    MARK_STATES,
    attendance_by_month,
    funding_marks,
    groups,
    month_of,
    months_between,
    programmes,
)
from emp_edge.web.access import may, needs, services

blueprint = Blueprint("clubs", __name__, url_prefix="/clubs")

BASKET = "basket"

FUNDING_NAMES: dict[str, LazyString] = {
    "basket": lazy_gettext("NVŠ basket"),
    "municipal": lazy_gettext("municipal"),
    "state": lazy_gettext("state"),
    "other": lazy_gettext("other"),
}
MARK_STATE_NAMES: dict[str, LazyString] = {
    "local": lazy_gettext("not yet confirmed by the registry"),
    "accepted": lazy_gettext("accepted by the registry"),
    "rejected": lazy_gettext("rejected by the registry"),
}


@blueprint.get("/")
@needs(viewer(Area.LEARNING_DATA))
def index() -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    tz = app.settings.tz
    today = app.clock.today()
    year = school_year(today)
    first_day, _ = school_year_bounds(year)
    attendance = attendance_by_month(conn, year, months_between(first_day, today), tz)
    show_basket = may(viewer(Area.BASKET))
    marks = funding_marks(conn, year, [k for k in FUNDING_KINDS if k != BASKET or show_basket])
    return render_template(
        "clubs/index.html",
        year_label=school_year_label(year),
        month_label=month_of(today).label,
        programmes=programmes(conn, year),
        groups=groups(conn, year, today, month_of(today), tz),
        attendance=attendance,
        most_marks=max([1, *(row.marks for row in attendance)]),
        funding={kind: counts for kind, counts in marks.items() if kind != BASKET},
        basket=marks.get(BASKET) if show_basket else None,
        mark_states=MARK_STATES,
        funding_names=FUNDING_NAMES,
        mark_state_names=MARK_STATE_NAMES,
    )
