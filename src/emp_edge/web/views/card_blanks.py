"""The blanks' work beside the blanks page (``cards.blanks``): a delivery received, next school
year's demand (§10) to print or download, the handover of the card duty (§51), and the issued
cards as a CSV file for the e-diary system (§33–34).

Blanks and the duty: viewers of the blanks area read, its managers change. The e-diary CSV needs
the lists area; it names pupils, so each download is one row of the audit trail. Every change is
one transaction with its outbox event (the store emits it) and its audit row; bad input re-shows
the form with the reason next to the field and writes nothing.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.card_station import BlankDemand, blank_range, demand_due
from emp_edge.domain.school import school_year_label
from emp_edge.errors import InputError
from emp_edge.store.accounts import list_accounts
from emp_edge.store.blank_demand import estimate
from emp_edge.store.blank_stock import receive_batch
from emp_edge.store.canteen_day_table import excel_csv
from emp_edge.store.card_exports import COLUMNS, issued_cards
from emp_edge.store.duty_handovers import duty_counts, handovers, record_handover
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.card_blanks import DutyForm, ReceiveForm
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.views.cards import blanks_page

blueprint = Blueprint("card_blanks", __name__, url_prefix="/cards")

BLANKS = Area.BLANKS
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _user_id() -> int:
    return int(current_user.account.id)


# ---------------------------------------------------------------- a delivery of blanks


@blueprint.post("/blanks/receive")
@needs(manager(BLANKS))
def receive() -> ResponseReturnValue:
    form = ReceiveForm()
    if not form.validate():
        return blanks_page(form, 400)
    received_on = form.received_on.data
    assert received_on is not None  # Filled
    try:
        blanks = blank_range(form.first_number.data or "", form.last_number.data or "")
        with services().store.transaction() as tx:
            batch_id = receive_batch(
                tx, blanks, received_on, form.document.data or "", user_id=_user_id()
            )
            audit(
                tx,
                "blanks.received",
                f"batch:{batch_id}",
                f"{blanks.first_number}–{blanks.last_number}; count={blanks.count};"
                f" received_on={received_on.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return blanks_page(form, 400)
    flash(
        ngettext(
            "%(num)d blank received: %(first)s–%(last)s.",
            "%(num)d blanks received: %(first)s–%(last)s.",
            blanks.count,
            first=blanks.first_number,
            last=blanks.last_number,
        ),
        "success",
    )
    return redirect(url_for("cards.blanks"))


# ---------------------------------------------------------------- next school year's demand


def _demand_rows(demand: BlankDemand, due: date, percent: int) -> list[list[str]]:
    """The estimate as a two-column table: what, how many."""
    return [
        [gettext("School year"), school_year_label(demand.school_year)],
        [gettext("Due by"), due.isoformat()],
        [gettext("Cards ending on 31 August, of pupils who stay on"), str(demand.expiring)],
        [gettext("Newcomers: the size of this year's entry grade"), str(demand.newcomers)],
        [
            gettext(
                "Reserve for replacements and spoiled blanks: %(percent)s %% of the pupils",
                percent=percent,
            ),
            str(demand.reserve),
        ],
        [gettext("Blanks needed"), str(demand.needed)],
        [gettext("Blanks in stock (received, not used)"), str(demand.in_stock)],
        [gettext("Blanks to order"), str(demand.to_order)],
    ]


@blueprint.get("/blanks/demand")
@needs(viewer(BLANKS))
def demand() -> ResponseReturnValue:
    """The estimate; ``?format=csv`` downloads it, ``?format=print`` is the page to print."""
    app = services()
    today = app.clock.today()
    percent = int(app.settings["cards.blank_reserve_percent"])
    found = estimate(app.store.conn, today, percent)
    due = demand_due(today)
    shape = request.args.get("format", "")
    if shape == "csv":
        rows = [[gettext("Item"), gettext("Value")], *_demand_rows(found, due, percent)]
        return Response(
            excel_csv(rows),
            mimetype="text/csv",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="blank-demand-{found.school_year}.csv"'
                )
            },
        )
    return render_template(
        "card_blanks/demand_print.html" if shape == "print" else "card_blanks/demand.html",
        demand=found,
        due=due,
        today=today,
        reserve_percent=percent,
        year_label=school_year_label,
        school_name=app.settings["school.name"],
    )


# ---------------------------------------------------------------- handover of the duty (§51)


def _duty_page(form: DutyForm, status: int = 200) -> ResponseReturnValue:
    conn = services().store.conn
    people = list_accounts(conn)
    pick = SelectChoice("", gettext("-choose-"))
    # one who has left (disabled) may still have handed over; only an enabled one takes over
    form.from_user.choices = [pick, *(SelectChoice(str(a.id), a.full_name) for a in people)]
    form.to_user.choices = [
        pick,
        *(SelectChoice(str(a.id), a.full_name) for a in people if not a.disabled),
    ]
    return render_template(
        "card_blanks/duty.html",
        form=form,
        handovers=handovers(conn),
        counts=duty_counts(conn),
        can_record=may(manager(BLANKS)),
    ), status


@blueprint.get("/duty")
@needs(viewer(BLANKS))
def duty() -> ResponseReturnValue:
    today = services().clock.today()
    return _duty_page(DutyForm(formdata=None, data={"handed_on": today}))


@blueprint.post("/duty", endpoint="hand_over_duty")
@needs(manager(BLANKS))
def hand_over_duty() -> ResponseReturnValue:
    form = DutyForm()
    if not form.validate():
        return _duty_page(form, 400)
    handed_on = form.handed_on.data
    assert handed_on is not None  # Filled
    try:
        from_user, to_user = form.user_ids()
        with services().store.transaction() as tx:
            handover_id = record_handover(
                tx,
                from_user,
                to_user,
                handed_on,
                form.director_order.data or "",
                form.note.data or "",
                user_id=_user_id(),
            )
            audit(
                tx,
                "card_duty.handed_over",
                f"handover:{handover_id}",
                f"from user:{from_user} to user:{to_user}; on={handed_on.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return _duty_page(form, 400)
    flash(gettext("The handover of the card duty is recorded."), "success")
    return redirect(url_for("card_blanks.duty"))


# ---------------------------------------------------------------- the e-diary CSV (§33–34)


def _since(text: str) -> date | None:
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("{text!r} is not a date yyyy-mm-dd", where="since", text=text) from None


def _heads() -> list[str]:
    names = {
        "registry_id": gettext("Registry id"),
        "last_name": gettext("Last name"),
        "first_name": gettext("First name"),
        "class": gettext("Class"),
        "card_number": gettext("Card number"),
        "registration_number": gettext("Registration number"),
        "issued_on": gettext("Issued on"),
        "valid_until": gettext("Valid until"),
    }
    return [names[column] for column in COLUMNS]


@blueprint.get("/issued.csv")
@needs(viewer(Area.LISTS))
def ediary_csv() -> ResponseReturnValue:
    """The cards in use for the e-diary; ``?since=yyyy-mm-dd`` keeps those issued from then."""
    text = request.args.get("since", "").strip()[:20]
    try:
        since = _since(text)
    except InputError as err:
        text = gettext("Issued since: %(reason)s", reason=error_text(err))
        title = gettext("Issued cards for the e-diary")
        return render_template("problem.html", status=400, title=title, text=text), 400
    cards = issued_cards(services().store.conn, since)
    audit_view(
        "cards.ediary_downloaded",
        detail=f"since={since.isoformat() if since else '-'}; rows={len(cards)}",
    )
    name = f"issued-cards-{since.isoformat()}.csv" if since else "issued-cards.csv"
    return Response(
        excel_csv([_heads(), *(card.row() for card in cards)]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
