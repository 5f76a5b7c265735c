"""The changes in an issued or personalised card's life, on the card page (blueprint
``card_requests``): a replacement with its fee (§37–40), the payment and the parents' notice, the
return of a pupil's card with its data deleted (§44), and spoiling a personalised card.

A replacement is sent twice: the first time the store works it out in a transaction that is then
rolled back, so the page shows the fee (or that it is free) and any refusal before anything is
written; the second time, confirmed, it is recorded — and the old card is blocked at every
terminal at once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from emp_edge.domain.card_station import Requester
from emp_edge.domain.cards import ReplacementReason
from emp_edge.errors import InputError
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_pages import CardPage
from emp_edge.store.card_requests import RequestInput, record_payment, request_replacement
from emp_edge.store.card_returns import return_card as take_back
from emp_edge.store.card_returns import spoil_card
from emp_edge.web.access import audit, audit_view, needs, services
from emp_edge.web.card_papers import card_papers
from emp_edge.web.forms import show_error
from emp_edge.web.forms.card_requests import PaymentForm, ReplaceForm, ReturnForm, SpoilForm
from emp_edge.web.i18n import gettext
from emp_edge.web.views.card_page import (
    CHANGE,
    READ,
    ReplaceCheck,
    blueprint,
    fee_cents,
    fee_text,
    pdf,
    reason_choices,
    show,
    the_card,
    user_id,
)

CONFIRMED = "yes"


class _TrialError(Exception):
    """Ends the trial run of a replacement, so that its transaction is rolled back."""

    def __init__(self, fee: int) -> None:
        super().__init__("trial run")
        self.fee = fee


def _replacement(card: CardPage, form: ReplaceForm) -> tuple[ReplacementReason, RequestInput]:
    requester = Requester(form.requester.data)
    name = form.requester_name.data or ""
    if not name and requester is Requester.PUPIL:
        name = f"{card.first_name} {card.last_name}"
    requested_on = form.requested_on.data
    assert requested_on is not None  # Filled
    asked = RequestInput(
        card.pupil_id, requested_on, requester, name, form.requester_contact.data or ""
    )
    return ReplacementReason(form.reason.data), asked


@blueprint.post("/<int:card_id>/replace")
@needs(CHANGE)
def replace(card_id: int) -> ResponseReturnValue:
    card = the_card(card_id)
    form = ReplaceForm()
    form.reason.choices = reason_choices(card)
    if not form.validate():
        return show(card, {"replace": form}, 400)
    reason, asked = _replacement(card, form)
    store = services().store
    try:
        if form.confirm.data != CONFIRMED:
            try:
                with store.transaction() as tx:
                    new_id = request_replacement(
                        tx, card_id, reason, asked, fee_cents=fee_cents(), user_id=user_id()
                    )
                    raise _TrialError(station_card(tx.conn, new_id).fee_cents)
            except _TrialError as tried:
                return show(card, {"replace": form}, replace_check=ReplaceCheck(reason, tried.fee))
        with store.transaction() as tx:
            new_id = request_replacement(
                tx, card_id, reason, asked, fee_cents=fee_cents(), user_id=user_id()
            )
            fee = station_card(tx.conn, new_id).fee_cents
            audit(
                tx,
                "card.replaced",
                f"card:{card_id}",
                f"pupil:{card.pupil_id}; new card:{new_id}; reason={reason.value}; fee={fee}",
            )
    except InputError as err:
        show_error(form, err)
        return show(card, {"replace": form}, 400)
    flash(
        gettext(
            "Card %(old)s is blocked at every terminal from now on. The new card %(new)s is"
            " requested: %(fee)s.",
            old=card_id,
            new=new_id,
            fee=fee_text(fee),
        ),
        "success",
    )
    return redirect(url_for(".card", card_id=new_id))


@blueprint.post("/<int:card_id>/payment")
@needs(CHANGE)
def payment(card_id: int) -> ResponseReturnValue:
    card = the_card(card_id)
    form = PaymentForm()
    if not form.validate():
        return show(card, {"payment": form}, 400)
    paid_on = form.paid_on.data
    assert paid_on is not None  # Filled
    try:
        with services().store.transaction() as tx:
            record_payment(tx, card_id, paid_on, form.reference.data or "", user_id=user_id())
            audit(
                tx,
                "card.paid",
                f"card:{card_id}",
                f"pupil:{card.pupil_id}; fee={card.fee_cents}; paid_on={paid_on.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return show(card, {"payment": form}, 400)
    flash(gettext("The payment is recorded; the card can be printed."), "success")
    return redirect(url_for(".card", card_id=card_id))


@blueprint.get("/<int:card_id>/notice.pdf")
@needs(READ)
def notice(card_id: int) -> ResponseReturnValue:
    card = the_card(card_id)
    if not card.fee_cents:
        abort(404)
    document = card_papers().parents_notice(card_id)
    audit_view("card.notice_printed", f"card:{card_id}", f"pupil:{card.pupil_id}")
    return pdf(document, f"pranesimas-{card_id}.pdf")


@blueprint.post("/<int:card_id>/return")
@needs(CHANGE)
def return_card(card_id: int) -> ResponseReturnValue:
    card = the_card(card_id)
    form = ReturnForm()
    if not form.validate():
        return show(card, {"return": form}, 400)
    returned_on = form.returned_on.data
    assert returned_on is not None  # Filled
    try:
        with services().store.transaction() as tx:
            take_back(tx, card_id, returned_on, form.reason.data or "", user_id=user_id())
            audit(
                tx,
                "card.returned",
                f"card:{card_id}",
                f"pupil:{card.pupil_id}; returned_on={returned_on.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return show(card, {"return": form}, 400)
    flash(
        gettext("Card %(card)s is returned; its personalisation data are deleted.", card=card_id),
        "success",
    )
    return redirect(url_for(".card", card_id=card_id))


@blueprint.post("/<int:card_id>/spoil")
@needs(CHANGE)
def spoil(card_id: int) -> ResponseReturnValue:
    card = the_card(card_id)
    form = SpoilForm()
    if not form.validate():
        return show(card, {"spoil": form}, 400)
    try:
        with services().store.transaction() as tx:
            spoil_card(tx, card_id, form.reason.data or "", user_id=user_id())
            audit(tx, "card.spoiled", f"card:{card_id}", f"pupil:{card.pupil_id}")
    except InputError as err:
        show_error(form, err)
        return show(card, {"spoil": form}, 400)
    flash(
        gettext(
            "Card %(card)s is spoiled and waits for the destruction act; a new card is free.",
            card=card_id,
        ),
        "success",
    )
    return redirect(url_for(".card", card_id=card_id))
