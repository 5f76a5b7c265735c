"""The card page of the station (blueprint ``card_requests``): one card, what is printed on it,
its photo and entries, what is missing before printing, its history, and the buttons its state
allows. The routes are in ``card_requests`` (the request and the card's data) and
``card_changes`` (replacement, payment, return, spoiling); both render the page through ``show``.

A form sent with bad input comes back on the page with the reason at its field (status 400) and
nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.cards import (
    ReplacementReason,
    RequestStatus,
    replacement_fee,
    request_due_date,
    request_status,
)
from emp_edge.domain.money import format_eur
from emp_edge.errors import EdgeError
from emp_edge.store.card_faces import face, other_entries
from emp_edge.store.card_lists import OPEN_STATES
from emp_edge.store.card_pages import CardPage, card_history, card_page, has_photo, pupil_cards
from emp_edge.store.card_printing import ready_to_print
from emp_edge.web.access import may, services
from emp_edge.web.card_papers import card_papers, has_card_papers
from emp_edge.web.forms.card_requests import (
    CancelForm,
    EmptyForm,
    EntryForm,
    FaceForm,
    PaymentForm,
    PhotoForm,
    ReplaceForm,
    ReturnForm,
    SpoilForm,
)
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.labels import (
    CARD_STATE_NAMES,
    OTHER_ENTRY_KIND_NAMES,
    RECIPIENT_NAMES,
    REPLACEMENT_REASON_NAMES,
    REQUESTER_NAMES,
)
from emp_edge.web.views.cards import REQUEST_STATUS_NAMES

blueprint = Blueprint("card_requests", __name__, url_prefix="/cards")

CARDS = Area.CARDS
READ = viewer(CARDS)
CHANGE = manager(CARDS)


#: what ``ready_to_print`` says is missing, marked here for translation (the store's English)
MISSING_TEXT: dict[str, LazyString] = {
    "the card is not waiting to be printed": lazy_gettext("the card is not waiting to be printed"),
    "the card's data have not been checked": lazy_gettext("the card's data have not been checked"),
    "there is no photo": lazy_gettext("there is no photo"),
    "the replacement fee is not paid yet": lazy_gettext("the replacement fee is not paid yet"),
}


def the_card(card_id: int) -> CardPage:
    """The card, or the 404 page."""
    found = card_page(services().store.conn, card_id)
    if found is None:
        abort(404)
    return found


def user_id() -> int:
    """The signed-in person's account, for the card's history."""
    return int(current_user.account.id)


def fee_cents() -> int:
    return int(services().settings["cards.replacement_fee_cents"])


def fee_text(cents: int) -> str:
    return format_eur(cents) if cents else gettext("free")


def replacement_fee_of(card: CardPage, reason: ReplacementReason, on: date) -> int:
    """What a replacement for this reason costs on that day (§38–39)."""
    if card.valid_until is None:
        return 0
    return replacement_fee(reason, old_valid_until=card.valid_until, on=on, fee_cents=fee_cents())


def reason_choices(card: CardPage) -> list[SelectChoice]:
    """The reasons, each with what a replacement for it costs today."""
    today = services().clock.today()
    return [
        SelectChoice(
            reason.value,
            f"{REPLACEMENT_REASON_NAMES[reason]} — "
            f"{fee_text(replacement_fee_of(card, reason, today))}",
        )
        for reason in ReplacementReason
    ]


def pdf(data: bytes, name: str) -> Response:
    """A PDF shown in the browser, with a file name for saving it."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@dataclass(frozen=True)
class Clock:
    """Where an open request stands against the 21-day limit (§42)."""

    due: date
    days_left: int  # negative when overdue
    status: RequestStatus


@dataclass(frozen=True)
class ReplaceCheck:
    """A replacement about to be confirmed: its reason and what it costs."""

    reason: str
    fee_cents: int


def _clock(card: CardPage) -> Clock | None:
    if card.state not in OPEN_STATES:
        return None
    today = services().clock.today()
    warn = int(services().settings["cards.request_warn_days"])
    due = request_due_date(card.requested_on)
    return Clock(due, (due - today).days, request_status(card.requested_on, today, warn_days=warn))


def _purpose(card: CardPage) -> tuple[str, str]:
    """The payment purpose line of a paid replacement (§40.3), or why it cannot be made now."""
    if not card.fee_cents or not has_card_papers():
        return "", ""
    try:
        return card_papers().payment_purpose(card.id), ""
    except EdgeError as err:
        return "", error_text(err)


def show(
    card: CardPage,
    bound: dict[str, FlaskForm] | None = None,
    status: int = 200,
    *,
    replace_check: ReplaceCheck | None = None,
) -> ResponseReturnValue:
    """The card page; ``bound`` holds a form just sent (by its name), shown with its errors."""
    conn = services().store.conn
    today = services().clock.today()
    bound = bound or {}
    printed = face(conn, card.id)
    face_form = bound.get("face") or FaceForm(
        formdata=None,
        data=(
            {}
            if printed is None
            else {
                "first_name": printed.first_name,
                "last_name": printed.last_name,
                "birth_date": printed.birth_date,
                "school_name": printed.school_name,
                "school_code": printed.school_code,
            }
        ),
    )
    replace_form = bound.get("replace") or ReplaceForm(
        formdata=None,
        data={
            "requested_on": today,
            "requester_name": f"{card.first_name} {card.last_name}",
        },
    )
    assert isinstance(replace_form, ReplaceForm)
    replace_form.reason.choices = reason_choices(card)
    purpose, purpose_error = _purpose(card)
    refused = [
        message
        for form in bound.values()
        for message in [*form.form_errors, *(m for f in form for m in f.errors)]
    ]
    requested = card.state.value == "requested"
    others = [c for c in pupil_cards(conn, card.pupil_id) if c.id != card.id]
    still_open = card.state in OPEN_STATES or any(c.state in OPEN_STATES for c in others)
    return render_template(
        "card_requests/card.html",
        card=card,
        clock=_clock(card),
        printed=printed,
        entries=other_entries(conn, card.id),
        has_photo=has_photo(conn, card.pupil_id),
        missing=[MISSING_TEXT.get(m, m) for m in ready_to_print(conn, card.id)]
        if requested
        else [],
        history=card_history(conn, card.id),
        others=others,
        ask_again=may(CHANGE) and card.pupil_active and not still_open,
        refused=refused,
        sent=next(iter(bound), ""),
        face_form=face_form,
        photo_form=bound.get("photo") or PhotoForm(formdata=None),
        entry_form=bound.get("entry") or EntryForm(formdata=None),
        button_form=EmptyForm(formdata=None),
        cancel_form=bound.get("cancel") or CancelForm(formdata=None),
        replace_form=replace_form,
        replace_check=replace_check,
        payment_form=bound.get("payment") or PaymentForm(formdata=None, data={"paid_on": today}),
        return_form=bound.get("return") or ReturnForm(formdata=None, data={"returned_on": today}),
        spoil_form=bound.get("spoil") or SpoilForm(formdata=None),
        purpose=purpose,
        purpose_error=purpose_error,
        fee_text=fee_text,
        papers=has_card_papers(),
        can_change=may(CHANGE),
        link_pupil=may(viewer(Area.PERSONAL_DATA)),
        state_names=CARD_STATE_NAMES,
        status_names=REQUEST_STATUS_NAMES,
        requester_names={r.value: n for r, n in REQUESTER_NAMES.items()},
        recipient_names={r.value: n for r, n in RECIPIENT_NAMES.items()},
        reason_names={r.value: n for r, n in REPLACEMENT_REASON_NAMES.items()},
        kind_names={k.value: n for k, n in OTHER_ENTRY_KIND_NAMES.items()},
        today=today,
    ), status
