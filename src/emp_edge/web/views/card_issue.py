"""Handover, issue and destruction of cards (§35, §26, §43–47, §49).

The handover page lists the personalised cards not yet handed to the school: the ticked ones go
into a handover act (PDF). Cards handed over wait there to be given out: the issue gives each its
registration number and writes in the journal who received it (the pupil, a parent or the class
teacher, by name) and when. The journal shows on screen and prints as a PDF for signatures. The
destruction page lists the returned, spoiled and never-issued cards and the blanks spoiled in
printing; the commission's act (chair and members) destroys those ticked.

Every page showing pupils' names is one row of the audit trail; each change is one transaction
with its outbox event (the store emits it) and its audit row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.card_station import Recipient
from emp_edge.domain.cards import CardState
from emp_edge.errors import InputError
from emp_edge.store.card_issue import act, awaiting_handover, hand_over, issue_card
from emp_edge.store.card_issue import journal as issue_journal
from emp_edge.store.card_lists import OpenRequest, open_requests
from emp_edge.store.card_returns import destroy, destroyable
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.card_papers import card_papers
from emp_edge.web.forms import show_error
from emp_edge.web.forms.card_station import (
    DestructionForm,
    HandoverForm,
    IssueForm,
    ticked_numbers,
)
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.labels import CARD_STATE_NAMES, RECIPIENT_NAMES

blueprint = Blueprint("card_issue", __name__, url_prefix="/cards")

CARDS = Area.CARDS
BLANK_STATE = "blank"  # an act's item that is a spoiled blank with no card


def _user_id() -> int:
    user_id: int = current_user.account.id
    return user_id


def _today() -> date:
    return services().clock.today()


def _pdf(data: bytes, filename: str) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- handover (§35) and issue


def _handed_over() -> list[OpenRequest]:
    """Personalised cards handed to the school and not yet given out."""
    conn = services().store.conn
    waiting = {item.card_id for item in awaiting_handover(conn)}
    return [
        card
        for card in open_requests(conn)
        if card.state is CardState.PERSONALISED and card.card_id not in waiting
    ]


def _issue_form(card: OpenRequest) -> IssueForm:
    """The issue form of a card, filled in for the pupil receiving it today."""
    return IssueForm(
        formdata=None,
        data={
            "recipient": Recipient.PUPIL.value,
            "recipient_name": f"{card.first_name} {card.last_name}",
            "issued_on": _today(),
            "back": "handover",
        },
    )


def _handover_page(
    form: HandoverForm,
    status: int = 200,
    *,
    failed: tuple[int, IssueForm] | None = None,
) -> ResponseReturnValue:
    items = awaiting_handover(services().store.conn)
    to_issue = _handed_over()
    if items or to_issue:
        audit_view(
            "cards.handover_listed",
            detail=f"{len(items)} awaiting handover, {len(to_issue)} awaiting issue",
        )
    issue_forms = {card.card_id: _issue_form(card) for card in to_issue}
    if failed is not None:
        issue_forms[failed[0]] = failed[1]
    made = request.args.get("act", type=int)
    return render_template(
        "card_issue/handover.html",
        form=form,
        items=items,
        ticked={str(v) for v in (form.cards.data or [])},
        to_issue=to_issue,
        issue_forms=issue_forms,
        made_act=made if made and made > 0 else None,
        can_change=may(manager(CARDS)),
    ), status


@blueprint.get("/handover")
@needs(viewer(CARDS))
def handover() -> ResponseReturnValue:
    form = HandoverForm(
        formdata=None,
        data={"made_on": _today(), "handed_by": current_user.account.full_name},
    )
    return _handover_page(form)


@blueprint.post("/handover", endpoint="hand_over")
@needs(manager(CARDS))
def hand_over_cards() -> ResponseReturnValue:
    form = HandoverForm()
    if not form.validate():
        return _handover_page(form, 400)
    made_on = form.made_on.data
    assert made_on is not None  # Filled
    try:
        card_ids = ticked_numbers(form.cards, where="cards")
        with services().store.transaction() as tx:
            act_id = hand_over(
                tx,
                card_ids,
                made_on,
                form.handed_by.data or "",
                form.received_by.data or "",
                user_id=_user_id(),
            )
            audit(
                tx,
                "cards.handed_over",
                f"act:{act_id}",
                f"cards {', '.join(map(str, card_ids))}"[:300] + f"; on={made_on.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return _handover_page(form, 400)
    flash(gettext("Handover act no. %(number)s is recorded.", number=act_id), "success")
    return redirect(url_for(".handover", act=act_id), code=303)


@blueprint.post("/<int:card_id>/issue")
@needs(manager(CARDS))
def issue(card_id: int) -> ResponseReturnValue:
    form = IssueForm()
    back = form.back.data or ""
    if not form.validate():
        return _issue_refused(card_id, form, back)
    try:
        issued_on = form.issued_on.data
        assert issued_on is not None  # Filled
        with services().store.transaction() as tx:
            number = issue_card(
                tx,
                card_id,
                form.role(),
                form.recipient_name.data or "",
                issued_on,
                user_id=_user_id(),
            )
            audit(
                tx,
                "card.issued",
                f"card:{card_id}",
                f"registration {number}; received by {form.role().value}",
            )
    except InputError as err:
        show_error(form, err)
        return _issue_refused(card_id, form, back)
    flash(
        gettext(
            "Card %(card)s is issued: registration number %(number)s.", card=card_id, number=number
        ),
        "success",
    )
    if back == "card":
        return redirect(url_for("card_requests.card", card_id=card_id), code=303)
    return redirect(url_for(".handover"), code=303)


def _issue_refused(card_id: int, form: IssueForm, back: str) -> ResponseReturnValue:
    """Back on the page the form came from, with the reason next to its field."""
    if back == "card":
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("card_requests.card", card_id=card_id), code=303)
    blank = HandoverForm(
        formdata=None,
        data={"made_on": _today(), "handed_by": current_user.account.full_name},
    )
    return _handover_page(blank, 400, failed=(card_id, form))


# ---------------------------------------------------------------- the acts' PDFs


@blueprint.get("/acts/<int:act_id>.pdf")
@needs(viewer(CARDS))
def act_pdf(act_id: int) -> ResponseReturnValue:
    try:
        found = act(services().store.conn, act_id)
    except InputError:
        abort(404)
    papers = card_papers()
    data = (
        papers.handover_act(act_id) if found.kind == "handover" else papers.destruction_act(act_id)
    )
    audit_view("card_act.printed", f"act:{act_id}", f"{found.kind}; {len(found.items)} items")
    return _pdf(data, f"{found.kind}-act-{act_id}.pdf")


# ---------------------------------------------------------------- the journal (annex 4)


@blueprint.get("/journal")
@needs(viewer(CARDS))
def journal() -> ResponseReturnValue:
    conn = services().store.conn
    chosen = request.args.get("year", "")
    year: int | None
    if chosen == "all":
        year = None
    elif chosen.isdigit() and 2000 <= int(chosen) <= 2999:
        year = int(chosen)
    else:
        year = _today().year
    if request.args.get("format") == "pdf":
        data = card_papers().journal(year)
        audit_view("cards.journal_printed", detail=f"year {year or 'all'}")
        return _pdf(data, f"journal-{year or 'all'}.pdf")
    entries = issue_journal(conn, year)
    if entries:
        audit_view("cards.journal_viewed", detail=f"year {year or 'all'}; {len(entries)} entries")
    years = sorted({e.issued_on.year for e in issue_journal(conn)} | {_today().year}, reverse=True)
    return render_template(
        "card_issue/journal.html",
        entries=entries,
        year=year,
        years=years,
        recipients=_recipient_names(),
        states=CARD_STATE_NAMES,
    )


def _recipient_names() -> dict[str, Any]:
    return {r.value: name for r, name in RECIPIENT_NAMES.items()}


# ---------------------------------------------------------------- destruction (§44–47)


def _destruction_page(form: DestructionForm, status: int = 200) -> ResponseReturnValue:
    found = destroyable(services().store.conn)
    if found:
        audit_view("cards.destroyable_listed", detail=f"{len(found)} blanks and cards")
    made = request.args.get("act", type=int)
    return render_template(
        "card_issue/destruction.html",
        form=form,
        found=found,
        ticked={str(v) for v in (form.blanks.data or [])},
        states=CARD_STATE_NAMES,
        state_of=_state_name,
        made_act=made if made and made > 0 else None,
        can_change=may(manager(CARDS)),
    ), status


def _state_name(state: str) -> str:
    if state == BLANK_STATE:
        return gettext("blank spoiled in printing")
    try:
        return str(CARD_STATE_NAMES[CardState(state)])
    except ValueError:
        return state


@blueprint.get("/destruction")
@needs(viewer(CARDS))
def destruction() -> ResponseReturnValue:
    return _destruction_page(DestructionForm(formdata=None, data={"made_on": _today()}))


@blueprint.post("/destruction", endpoint="destroy")
@needs(manager(CARDS))
def destroy_cards() -> ResponseReturnValue:
    form = DestructionForm()
    if not form.validate():
        return _destruction_page(form, 400)
    made_on = form.made_on.data
    assert made_on is not None  # Filled
    try:
        blank_ids = ticked_numbers(form.blanks, where="blanks")
        commission = form.commission()
        with services().store.transaction() as tx:
            act_id = destroy(tx, blank_ids, made_on, commission, user_id=_user_id())
            audit(
                tx,
                "cards.destroyed",
                f"act:{act_id}",
                f"blanks {', '.join(map(str, blank_ids))}"[:300]
                + f"; commission of {len(commission)}; on={made_on.isoformat()}",
            )
    except InputError as err:
        if err.where == "commission":
            form.member_1.errors = [*form.member_1.errors, error_text(err)]
        else:
            show_error(form, err)
        return _destruction_page(form, 400)
    flash(gettext("Destruction act no. %(number)s is recorded.", number=act_id), "success")
    return redirect(url_for(".destruction", act=act_id), code=303)
