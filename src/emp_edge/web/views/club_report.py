"""The clubs' (NVŠ) monthly attendance report: per group and pupil the sessions and academic
hours attended and whether the month is fundable from the basket under the municipality's rule
(settings ``clubs.basket_min_hours`` and ``clubs.basket_min_sessions``).

The page, its CSV (like the canteen's: ``;``, UTF-8 with a byte order mark) and its PDF are for
viewers of the basket calculation; sending a group's month to the registry is for its managers,
and may be done again as a correction. The PDF is drawn by the printer part, which the
composition root plugs in with ``use_report_pdf``; without it the page offers no PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.clubs import FundingRule
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import InputError, PrinterError
from emp_edge.store.canteen_day_table import excel_csv
from emp_edge.store.club_lists import Month, month_of
from emp_edge.store.club_report import (
    GroupMonth,
    groups_of_year,
    last_sent,
    month_report,
    parse_month,
    send_month,
)
from emp_edge.store.club_report_table import MonthDocument, ReportHeads, month_table
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.i18n import error_text, gettext

blueprint = Blueprint("club_report", __name__, url_prefix="/clubs")

ReportPdf = Callable[[MonthDocument], bytes]
"""Draws the report as a PDF; raises PrinterError."""
REPORT_PDF = "emp_edge_club_report_pdf"


def use_report_pdf(app: Flask, render: ReportPdf | None) -> None:
    """Plug in the PDF drawing of the report (None: the page offers no PDF)."""
    if render is not None:
        app.extensions[REPORT_PDF] = render


def _report_pdf() -> ReportPdf | None:
    render: ReportPdf | None = current_app.extensions.get(REPORT_PDF)
    return render


def rule() -> FundingRule:
    settings = services().settings
    return FundingRule(settings["clubs.basket_min_hours"], settings["clubs.basket_min_sessions"])


def rule_text(funding: FundingRule) -> str:
    if funding.min_sessions:
        return gettext(
            "A month is fundable for a pupil who attended at least %(hours)s academic hours in"
            " at least %(sessions)s sessions.",
            hours=funding.min_hours,
            sessions=funding.min_sessions,
        )
    return gettext(
        "A month is fundable for a pupil who attended at least %(hours)s academic hours in it.",
        hours=funding.min_hours,
    )


def heads() -> ReportHeads:
    return ReportHeads(
        group=gettext("Group"),
        programme=gettext("Programme"),
        month=gettext("Month"),
        sessions_held=gettext("Sessions held"),
        hours_held=gettext("Academic hours held"),
        pupil=gettext("Pupil"),
        class_label=gettext("Class"),
        sessions_attended=gettext("Sessions attended"),
        hours=gettext("Academic hours attended"),
        fundable=gettext("Fundable"),
        basket=gettext("NVŠ basket"),
        yes=gettext("yes"),
        no=gettext("no"),
    )


def caption(group: GroupMonth) -> str:
    return gettext(
        "%(group)s (%(programme)s): %(sessions)s sessions held, %(hours)s academic hours",
        group=group.group_name,
        programme=group.programme_name,
        sessions=group.sessions_held,
        hours=group.hours_held,
    )


def _chosen(args: dict[str, str], today: date) -> tuple[Month, int | None]:
    """The month (this one by default) and group (all by default) asked for."""
    text = args.get("month", "").strip()
    month = parse_month(text) if text else month_of(today)
    group = args.get("group", "").strip()
    if group and not group.isdigit():
        raise InputError("choose the group from the list")
    return month, int(group) if group else None


def _report() -> tuple[Month, int | None, list[GroupMonth]]:
    """The report asked for; a bad choice is said and the default shown instead."""
    app = services()
    today = app.clock.today()
    try:
        month, group = _chosen(request.args.to_dict(), today)
    except InputError as err:
        flash(error_text(err), "error")
        month, group = month_of(today), None
    return month, group, month_report(app.store.conn, month, app.settings.tz, rule(), group)


def _detail(month: Month, group: int | None, report: list[GroupMonth]) -> str:
    pupils = sum(len(g.pupils) for g in report)
    return f"month={month.label} group={group or 'all'} groups={len(report)} pupils={pupils}"


def _file_name(month: Month, group: int | None, suffix: str) -> str:
    return f"nvs-{month.label}{f'-group-{group}' if group else ''}.{suffix}"


@blueprint.get("/report")
@needs(viewer(Area.BASKET))
def month() -> ResponseReturnValue:
    month, group, report = _report()
    if any(g.pupils for g in report):
        audit_view("clubs.report_viewed", f"month:{month.label}", _detail(month, group, report))
    conn = services().store.conn
    funding = rule()
    return render_template(
        "club_report/month.html",
        month=month,
        group=group,
        report=report,
        captions={g.group_id: caption(g) for g in report},
        sent={g.group_id: last_sent(conn, g.group_id, month) for g in report},
        choices=groups_of_year(conn, school_year(month.first)),
        year_label=school_year_label(school_year(month.first)),
        previous_month=_previous(month).label,
        next_month=month_of(month.after).label,
        rule_text=rule_text(funding),
        may_send=may(manager(Area.BASKET)),
        pdf=_report_pdf() is not None,
        current=month.first <= services().clock.today() < month.after,
    )


def _previous(month: Month) -> Month:
    first = month.first
    return month_of(first.replace(year=first.year - 1, month=12) if first.month == 1
                    else first.replace(month=first.month - 1))  # fmt: skip


@blueprint.get("/report.csv")
@needs(viewer(Area.BASKET))
def csv() -> ResponseReturnValue:
    month, group, report = _report()
    audit_view(
        "clubs.report_downloaded", f"month:{month.label}", "csv " + _detail(month, group, report)
    )
    return Response(
        excel_csv(month_table(report, heads())),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_file_name(month, group, "csv")}"'
        },
    )


def document(month: Month, report: list[GroupMonth]) -> MonthDocument:
    app = services()
    settings = app.settings
    school = settings["school.name"]
    made = app.clock.now().astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    return MonthDocument(
        title=gettext("NVŠ attendance report, %(month)s", month=month.label),
        lines=(
            gettext("%(school)s (code %(code)s)", school=school, code=settings["school.code"]),
            gettext(
                "Month %(month)s, school year %(year)s.",
                month=month.label,
                year=school_year_label(school_year(month.first)),
            ),
            rule_text(rule()),
            gettext("Made %(moment)s.", moment=made),
        ),
        heads=heads(),
        sections=tuple((caption(g), g) for g in report),
        no_pupils=gettext("No pupil was in the group's lists in this month."),
    )


@blueprint.get("/report.pdf")
@needs(viewer(Area.BASKET))
def pdf() -> ResponseReturnValue:
    render = _report_pdf()
    if render is None:
        abort(404)
    month, group, report = _report()
    try:
        content = render(document(month, report))
    except PrinterError as err:
        flash(gettext("The PDF was not made: %(reason)s", reason=error_text(err)), "error")
        return redirect(url_for("club_report.month", month=month.label, group=group or ""))
    audit_view(
        "clubs.report_downloaded", f"month:{month.label}", "pdf " + _detail(month, group, report)
    )
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{_file_name(month, group, "pdf")}"'
        },
    )


@blueprint.post("/report/send")
@needs(manager(Area.BASKET))
def send() -> ResponseReturnValue:
    app = services()
    form = request.form.to_dict()
    shown = form.get("shown", "")  # the page's group filter, to go back to
    back = url_for("club_report.month", month=form.get("month", ""), group=shown)
    try:
        month, group = _chosen(form, app.clock.today())
        if group is None:
            raise InputError("choose the group whose month to send")
        with app.store.transaction() as tx:
            sending = send_month(
                tx, group, month, tz=app.settings.tz, rule=rule(), user_id=current_user.account.id
            )
            before = sending.before
            report = sending.report
            audit(
                tx,
                "clubs.month_sent",
                f"group:{group}",
                f"month={month.label} pupils={len(report.pupils)} funded={report.funded}"
                + (f" corrects={before.event_id}" if before else ""),
            )
    except InputError as err:
        flash(error_text(err), "error")
        return redirect(back)
    if before is None:
        flash(gettext("The month %(month)s of the group waits to be sent to the registry.",
                      month=month.label), "success")  # fmt: skip
    else:
        flash(gettext("The month %(month)s of the group was sent again, as a correction of the"
                      " sending of %(moment)s.", month=month.label,
                      moment=_moment(before.sent_at)), "success")  # fmt: skip
    return redirect(back)


def _moment(utc_text: str) -> str:
    moment = datetime.fromisoformat(utc_text).astimezone(services().settings.tz)
    return moment.strftime("%Y-%m-%d %H:%M")
