"""The cards pages: cards by state, the open requests against the 21-day limit, the blanks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.card_station import demand_due
from emp_edge.domain.cards import (
    REQUEST_DAYS,
    RequestStatus,
    request_due_date,
    request_status,
)
from emp_edge.domain.school import school_year_label
from emp_edge.store.blank_demand import estimate
from emp_edge.store.blank_stock import batches
from emp_edge.store.card_lists import (
    BLANK_STATES,
    OpenRequest,
    blanks_by_state,
    cards_by_state,
    open_requests,
)
from emp_edge.web.access import audit_view, may, needs, rule_of, services
from emp_edge.web.card_chart import request_chart
from emp_edge.web.forms.card_blanks import ReceiveForm
from emp_edge.web.labels import CARD_STATE_NAMES

blueprint = Blueprint("cards", __name__, url_prefix="/cards")

REQUEST_STATUS_NAMES: dict[RequestStatus, LazyString] = {
    RequestStatus.ON_TIME: lazy_gettext("on time"),
    RequestStatus.DUE_SOON: lazy_gettext("due soon"),
    RequestStatus.OVERDUE: lazy_gettext("overdue"),
}
REQUESTED_BY_NAMES: dict[str, LazyString] = {
    "pupil": lazy_gettext("pupil"),
    "parent": lazy_gettext("parent or guardian"),
}
BLANK_STATE_NAMES: dict[str, LazyString] = {
    "received": lazy_gettext("received, not used yet"),
    "used": lazy_gettext("used for a card"),
    "spoiled": lazy_gettext("spoiled"),
    "destroyed": lazy_gettext("destroyed"),
}


@dataclass(frozen=True)
class RequestRow:
    """An open request with where it stands against the 21-day limit (§42)."""

    request: OpenRequest
    due: date
    days_left: int  # negative when overdue
    status: RequestStatus


def _request_rows(requests: list[OpenRequest], today: date, warn_days: int) -> list[RequestRow]:
    rows = []
    for request in requests:
        due = request_due_date(request.requested_on)
        status = request_status(request.requested_on, today, warn_days=warn_days)
        rows.append(RequestRow(request, due, (due - today).days, status))
    return rows


def number_ranges(numbers: list[str]) -> list[str]:
    """Blank numbers with runs written as ranges: 000101, 000102, 000103 → "000101–000103"."""
    ranges: list[str] = []
    run: list[str] = []

    def follows(before: str, number: str) -> bool:
        head_a, digits_a = _split_number(before)
        head_b, digits_b = _split_number(number)
        return (
            bool(digits_a and digits_b)
            and (head_a, len(digits_a)) == (head_b, len(digits_b))
            and int(digits_b) == int(digits_a) + 1
        )

    for number in numbers:
        if run and follows(run[-1], number):
            run.append(number)
            continue
        if run:
            ranges.append(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}")
        run = [number]
    if run:
        ranges.append(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}")
    return ranges


def _split_number(number: str) -> tuple[str, str]:
    """A blank number's text before its trailing digits, and those digits."""
    end = len(number)
    while end > 0 and number[end - 1].isdigit():
        end -= 1
    return number[:end], number[end:]


def _opens(endpoint: str) -> bool:
    """Whether the page exists here and the reader may open it (the index links to it)."""
    rule = rule_of(endpoint) if endpoint in current_app.view_functions else None
    return rule is not None and may(rule)


@blueprint.get("/")
@needs(viewer(Area.CARDS))
def index() -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    today = app.clock.today()
    warn_days = int(app.settings["cards.request_warn_days"])
    rows = sorted(
        _request_rows(open_requests(conn), today, warn_days), key=lambda row: row.due
    )  # the most urgent first (open_requests gives them by request date already)
    if rows:
        audit_view("cards.listed", detail=f"open_requests={len(rows)}")
    by_status = {status: 0 for status in RequestStatus}
    for row in rows:
        by_status[row.status] += 1
    return render_template(
        "cards/index.html",
        by_state=cards_by_state(conn),
        state_names=CARD_STATE_NAMES,
        rows=rows,
        by_status=by_status,
        status_names=REQUEST_STATUS_NAMES,
        requested_by_names=REQUESTED_BY_NAMES,
        request_days=REQUEST_DAYS,
        warn_days=warn_days,
        chart=request_chart([row.request.requested_on for row in rows], today, warn_days),
        today=today,
        opens=_opens,
        may_request=may(manager(Area.CARDS)),
        link_pupils=may(viewer(Area.PERSONAL_DATA)),
    )


def blanks_page(form: ReceiveForm | None = None, status: int = 200) -> ResponseReturnValue:
    """The blanks page: counts and numbers by state, the deliveries, the form to record one
    (``form`` re-shown with its errors after a refusal), and next school year's demand."""
    app = services()
    conn = app.store.conn
    today = app.clock.today()
    found = blanks_by_state(conn)
    states = [
        (state, BLANK_STATE_NAMES[state], len(found[state]), number_ranges(found[state]))
        for state in BLANK_STATES
    ]
    percent = int(app.settings["cards.blank_reserve_percent"])
    return render_template(
        "cards/blanks.html",
        states=states,
        total=sum(len(n) for n in found.values()),
        batches=batches(conn),
        form=form or ReceiveForm(formdata=None, data={"received_on": today}),
        can_receive=may(manager(Area.BLANKS)),
        can_export=may(viewer(Area.LISTS)),
        demand=estimate(conn, today, percent),
        due=demand_due(today),
        reserve_percent=percent,
        year_label=school_year_label,
    ), status


@blueprint.get("/blanks")
@needs(viewer(Area.BLANKS))
def blanks() -> ResponseReturnValue:
    return blanks_page()
