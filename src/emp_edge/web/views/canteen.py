"""The canteen page: today's sales per till, meals per day, free-meal entitlements, balances."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, viewer
from emp_edge.domain.money import format_eur
from emp_edge.store.canteen_lists import (
    entitlement_counts,
    entitlements_on,
    meals_per_day,
    negative_balances,
    sales_on,
)
from emp_edge.web.access import audit_view, needs, services
from emp_edge.web.labels import MEAL_NAMES

blueprint = Blueprint("canteen", __name__, url_prefix="/canteen")

CHART_DAYS = 14

SOURCE_NAMES: dict[str, LazyString] = {
    "registry": lazy_gettext("registry"),
    "staff": lazy_gettext("entered at school"),
}


@blueprint.get("/")
@needs(viewer(Area.CANTEEN))
def index() -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    tz = app.settings.tz
    today = app.clock.today()
    days = [today - timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1)]
    meals = meals_per_day(conn, days, tz)
    entitled = entitlements_on(conn, today)
    negative = negative_balances(conn)
    if entitled or negative:
        audit_view(
            "canteen.listed",
            detail=f"entitlements={len(entitled)} negative_balances={len(negative)}",
        )
    return render_template(
        "canteen/index.html",
        today=today,
        sales=sales_on(conn, today, tz),
        meals=meals,
        most_meals=max([1, *(m.meals for m in meals)]),
        chart_days=CHART_DAYS,
        counts=entitlement_counts(conn, today),
        entitled=entitled,
        negative=negative,
        meal_names=MEAL_NAMES,
        source_names=SOURCE_NAMES,
        eur=format_eur,
    )
