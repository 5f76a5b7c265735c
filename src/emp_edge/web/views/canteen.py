"""The canteen page: a school day's end-of-day report per till, closing the day, meals per day
over the month, free-meal entitlements and the low-balance list.

The report downloads as CSV (for Excel) and, where the composition root plugged in a day
printer, prints on a till's receipt printer. Closing a day (canteen managers) sends the day's
free meals to the registry; the page says whether that event has been acknowledged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.money import format_eur
from emp_edge.errors import InputError, PrinterError
from emp_edge.store.canteen_day_table import DayHeads, day_table, excel_csv
from emp_edge.store.canteen_days import (
    close_day,
    closed_day,
    day_is_over,
    day_report,
    free_meal_totals,
    serving_ends,
    totals,
)
from emp_edge.store.canteen_lists import (
    entitlement_counts,
    low_balances,
    meal_types,
    meals_in_month,
)
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.i18n import error_text

blueprint = Blueprint("canteen", __name__, url_prefix="/canteen")

DayPrinter = Callable[[str, date], None]
"""Prints a till's day report on that till's receipt printer; raises PrinterError."""
DAY_PRINTER = "emp_edge_day_printer"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def use_day_printer(app: Flask, printer: DayPrinter | None) -> None:
    """Plug in the receipt printers' day report (None: the page offers no printing)."""
    if printer is not None:
        app.extensions[DAY_PRINTER] = printer


def _day_printer() -> DayPrinter | None:
    printer: DayPrinter | None = current_app.extensions.get(DAY_PRINTER)
    return printer


def _day(text: str | None) -> date:
    """The day asked for (yyyy-mm-dd), or the school's today when none was given."""
    text = (text or "").strip()
    if not text:
        return services().clock.today()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("{text!r} is not a date yyyy-mm-dd", text=text) from None


def _heads() -> DayHeads:
    return DayHeads(
        day=gettext("Day"),
        till=gettext("Till"),
        admin_pages=gettext("Admin pages"),
        all_tills=gettext("All tills"),
        free_meal=gettext("Free: %(meal)s", meal="{meal}"),
        sales=gettext("Sales"),
        sales_sum=gettext("Sales, EUR"),
        top_ups=gettext("Top-ups"),
        top_ups_sum=gettext("Top-ups, EUR"),
        refunds=gettext("Refunds"),
        refunds_sum=gettext("Refunds, EUR"),
        corrections=gettext("Corrections"),
        corrections_sum=gettext("Corrections, EUR"),
        net=gettext("Balances changed by, EUR"),
    )


@blueprint.get("/")
@needs(viewer(Area.CANTEEN))
def index() -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    today = app.clock.today()
    try:
        day = _day(request.args.get("day"))
    except InputError as err:
        flash(error_text(err), "error")
        day = today
    report = day_report(conn, day, app.settings.tz)
    month = meals_in_month(conn, day)
    threshold = app.settings["canteen.low_balance_cents"]
    low = low_balances(conn, threshold)
    if low:
        audit_view("canteen.listed", detail=f"day={day.isoformat()} low_balances={len(low)}")
    now = app.clock.now().astimezone(app.settings.tz)
    ends = serving_ends(conn)
    return render_template(
        "canteen/index.html",
        day=day,
        today=today,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        report=report,
        total=totals(report, day),
        meals=meal_types(conn),
        printer=_day_printer() is not None,
        closing=closed_day(conn, day),
        over=day_is_over(conn, day, now),
        serving_ends=ends.strftime("%H:%M") if ends else "",
        may_close=may(manager(Area.CANTEEN)),
        month=month,
        most_meals=max([1, *(m.free for m in month), *(m.paid for m in month)]),
        month_free=sum(m.free for m in month),
        month_paid=sum(m.paid for m in month),
        entitled=entitlement_counts(conn, day),
        served=free_meal_totals(conn, day),
        low=low,
        threshold=threshold,
        eur=format_eur,
    )


@blueprint.get("/day.csv")
@needs(viewer(Area.CANTEEN))
def day_csv() -> ResponseReturnValue:
    app = services()
    try:
        day = _day(request.args.get("day"))
    except InputError as err:
        flash(error_text(err), "error")
        return redirect(url_for("canteen.index"))
    conn = app.store.conn
    rows = day_table(day, day_report(conn, day, app.settings.tz), meal_types(conn), _heads())
    name = f"valgykla-{day.isoformat()}.csv"
    return Response(
        excel_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.post("/print")
@needs(viewer(Area.CANTEEN))
def print_day() -> ResponseReturnValue:
    printer = _day_printer()
    till = request.form.get("till", "").strip()
    try:
        day = _day(request.form.get("day"))
        if printer is None:
            raise InputError("this box has no receipt printer for day reports")
        if not till:
            raise InputError("choose the till whose report to print")
        printer(till, day)
    except PrinterError as err:
        flash(gettext("The report was not printed: %(reason)s", reason=error_text(err)), "error")
        return redirect(url_for("canteen.index", day=request.form.get("day", "")))
    except InputError as err:
        flash(error_text(err), "error")
        return redirect(url_for("canteen.index", day=request.form.get("day", "")))
    flash(gettext("The report of %(till)s for %(day)s went to its receipt printer.", till=till,
                  day=day.isoformat()), "success")  # fmt: skip
    return redirect(url_for("canteen.index", day=day.isoformat()))


@blueprint.post("/close")
@needs(manager(Area.CANTEEN))
def close() -> ResponseReturnValue:
    app = services()
    try:
        day = _day(request.form.get("day"))
        with app.store.transaction() as tx:
            closing = close_day(tx, day, app.settings["school.code"], tz=app.settings.tz)
            if closing is not None:
                served = sum(free_meal_totals(tx.conn, day).values())
                audit(tx, "canteen.day_closed", f"day:{day.isoformat()}", f"free_meals={served}")
    except InputError as err:
        flash(error_text(err), "error")
        return redirect(url_for("canteen.index", day=request.form.get("day", "")))
    if closing is None:
        flash(gettext("%(day)s was closed before; nothing was sent again.", day=day.isoformat()),
              "info")  # fmt: skip
    else:
        flash(gettext("%(day)s is closed: %(count)s free meals wait to be sent to the registry.",
                      day=day.isoformat(), count=served), "success")  # fmt: skip
    return redirect(url_for("canteen.index", day=day.isoformat()))
