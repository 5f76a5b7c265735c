"""The till screen: the kiosk page of a ``canteen`` terminal, and the till's own requests.

Staff pick what the next tap buys (or leave it to the open meal's default item), see each tap's
sale, and acknowledge a pupil's diet note before the till takes the next tap. The picks and the
held note live in the database (``till_state``), so a reloaded screen shows them again.

Like the kiosk page these requests need no login and answer only ``kiosk.allow_from``; the two
that change the till take nothing but ``application/json`` (which a page on another site cannot
send here without asking first), so they are exempt from the form token. Texts come in
``kiosk.language``. The state tells only the held tap's pupil; a photo is served only for one of
the till's latest taps, only with ``canteen.till_photo = "on"``, and never cached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.access import PUBLIC
from emp_edge.domain.canteen import MAX_LINES, window_at
from emp_edge.domain.money import format_eur
from emp_edge.domain.taps import TapReason
from emp_edge.errors import InputError
from emp_edge.events import TapDecided
from emp_edge.store.canteen_till import (
    acknowledge,
    items_by_id,
    items_on_sale,
    meal_windows,
    pick,
    till_state,
)
from emp_edge.store.outbox import Transaction
from emp_edge.store.till_screen import has_photo, held_tap, photo_of_tap
from emp_edge.web.access import audit, needs, services
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.views.terminal_box import (
    from_terminal_box,
    kiosk_language,
    refuse_unless_from_terminal_box,
    terminal_or_404,
)

log = logging.getLogger(__name__)

blueprint = Blueprint("till", __name__, url_prefix="/kiosk")

ROLE = "canteen"
#: how often the screen asks for the till's state again (the open meal changes with the hour)
REFRESH_MS = 30_000

#: names the till screen adds to the kiosk's for a sale
TILL_LABELS: dict[str, LazyString] = {
    "balance_after": lazy_gettext("Balance after"),
    "free": lazy_gettext("free"),
}


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:  # JSON from the box's own screen only; see the module's docstring
        csrf.exempt(picks)
        csrf.exempt(acknowledged)


def is_till(spec: TerminalSpec) -> bool:
    return spec.role == ROLE


def till_or_404(name: str) -> TerminalSpec:
    spec = terminal_or_404(name)
    if not is_till(spec):
        abort(404)
    return spec


# ---------------------------------------------------------------- the page's parts


@dataclass(frozen=True)
class ItemButton:
    """An item on sale as its button shows it; ``meal`` names the meal it is, if it is one."""

    id: int
    name: str
    price: str
    meal: str


def item_buttons() -> list[ItemButton]:
    conn = services().store.conn
    meals = {window.code: window.name for window in meal_windows(conn)}
    return [
        ItemButton(
            item.id,
            item.name,
            format_eur(item.price_cents),
            meals.get(item.meal_type, "") if item.meal_type else "",
        )
        for item in items_on_sale(conn)
    ]


def page_parts(spec: TerminalSpec) -> dict[str, Any]:
    """What kiosk.html needs to be a till screen (the caller forces the kiosk's language)."""
    return {
        "items": item_buttons(),
        "state_url": url_for("till.state", terminal=spec.name),
        "picks_url": url_for("till.picks", terminal=spec.name),
        "acknowledge_url": url_for("till.acknowledged", terminal=spec.name),
        "refresh_ms": REFRESH_MS,
        "labels": {key: str(label) for key, label in TILL_LABELS.items()},
    }


def state_of(spec: TerminalSpec) -> dict[str, Any]:
    """The till now: what is picked with its total, what a tap sells when nothing is, and the
    held tap (its pupil's name, class and note: nobody else's)."""
    app = services()
    conn = app.store.conn
    state = till_state(conn, spec.name)
    found = items_by_id(conn, state.picked)
    picked = [found[i] for i in state.picked if i in found]
    held = held_tap(conn, spec.name)
    return {
        "picked": [
            {"id": item.id, "name": item.name, "price": format_eur(item.price_cents)}
            for item in picked
        ],
        "total": format_eur(sum(item.price_cents for item in picked)),
        "sells": _default_sale(),
        "held": None
        if held is None
        else {
            "event_id": held.event_id,
            "name": held.name,
            "class_label": held.class_label,
            "note": held.note,
            "time": held.at.astimezone(app.settings.tz).strftime("%H:%M") if held.at else "",
        },
    }


def _default_sale() -> str:
    """What a tap sells now when nothing is picked, in words."""
    app = services()
    conn = app.store.conn
    moment = app.clock.now().astimezone(app.settings.tz).time().replace(tzinfo=None)
    window = window_at(meal_windows(conn), moment)
    if window is None:
        return gettext("No meal is served now")
    default = window.default_item_id
    item = items_by_id(conn, [default]).get(default) if default is not None else None
    if item is None or not item.active:
        return gettext("%(meal)s has no default item: pick what to sell", meal=window.name)
    return gettext(
        "A tap sells: %(item)s, %(price)s (%(meal)s)",
        item=item.name,
        price=format_eur(item.price_cents),
        meal=window.name,
    )


def tap_extras(news: TapDecided, spec: TerminalSpec) -> dict[str, Any]:
    """What a till's tap message adds to the kiosk's: the items sold, the result in the till's
    words, the photo's address (with ``canteen.till_photo = "on"``)."""
    shown = news.shown
    extras: dict[str, Any] = {}
    items = shown.get("items")
    if isinstance(items, list):
        extras["items"] = [
            {
                "name": str(line.get("name", "")),
                "price": str(line.get("price", "")),
                "free": bool(line.get("free")),
            }
            for line in items
            if isinstance(line, dict)
        ]
    served_at, served_till = shown.get("served_at"), shown.get("served_till")
    if news.reason is TapReason.ALREADY_SERVED and served_at and served_till:
        extras["message"] = gettext(
            "Already served today at %(time)s, till %(till)s", time=served_at, till=served_till
        )
    elif news.reason is TapReason.OK and "items" in extras:
        paid = any(not line["free"] for line in extras["items"])
        if shown.get("free_meal"):
            extras["message"] = (
                gettext("Free meal, the rest paid") if paid else gettext("Free meal")
            )
        else:
            extras["message"] = gettext("Paid from the balance")
    app = services()
    if (
        app.settings["canteen.till_photo"] == "on"
        and news.pupil_name
        and has_photo(app.store.conn, spec.name, news.event_id)
    ):
        extras["photo"] = url_for("till.photo", terminal=spec.name, event_id=news.event_id)
    return extras


# ---------------------------------------------------------------- the till's requests


def _refused() -> ResponseReturnValue | None:
    if from_terminal_box():
        return None
    log.warning("till request refused endpoint=%s source=%s", request.endpoint, request.remote_addr)
    return jsonify(error="only the addresses in kiosk.allow_from may use the till"), 403


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise InputError("send a JSON object with Content-Type: application/json")
    return body


@blueprint.get("/<terminal>/till")
@needs(PUBLIC)
def state(terminal: str) -> ResponseReturnValue:
    refuse_unless_from_terminal_box()
    spec = till_or_404(terminal)
    with force_locale(kiosk_language()):
        return jsonify(state_of(spec))


def read_picks(tx: Transaction, body: dict[str, Any]) -> list[int]:
    """The item numbers of ``{"items": [3, 5, 5]}``, each one on sale (an item twice is two)."""
    unknown = sorted(set(body) - {"items"})
    if unknown:
        raise InputError("unknown field(s): {fields}", fields=", ".join(unknown))
    ids = body.get("items")
    if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise InputError("'items' must be a list of item numbers")
    if len(ids) > MAX_LINES:
        raise InputError("one tap buys at most {n} items", n=MAX_LINES)
    on_sale = {item.id for item in items_on_sale(tx.conn)}
    for item_id in ids:
        if item_id not in on_sale:
            raise InputError("there is no item number {item} on sale", item=item_id)
    return ids


@blueprint.post("/<terminal>/picks")
@needs(PUBLIC)
def picks(terminal: str) -> ResponseReturnValue:
    refused = _refused()
    if refused is not None:
        return refused
    spec = till_or_404(terminal)
    with force_locale(kiosk_language()):
        try:
            body = _body()
            # checked in the transaction that writes them: an item taken off sale meanwhile
            # is refused, never half-picked
            with services().store.transaction(require_event=False) as tx:
                pick(tx, spec.name, read_picks(tx, body))
        except InputError as err:
            return jsonify(error=error_text(err)), 400
        return jsonify(state_of(spec))


@blueprint.post("/<terminal>/acknowledge")
@needs(PUBLIC)
def acknowledged(terminal: str) -> ResponseReturnValue:
    refused = _refused()
    if refused is not None:
        return refused
    spec = till_or_404(terminal)
    with force_locale(kiosk_language()):
        try:
            event_id = _body().get("event_id")
            if not isinstance(event_id, str) or not event_id.strip():
                raise InputError("'event_id' must be the id of the tap whose note was seen")
        except InputError as err:
            return jsonify(error=error_text(err)), 400
        with services().store.transaction(require_event=False) as tx:
            done = acknowledge(tx, spec.name, event_id.strip())
            if done:
                audit(tx, "till.note_acknowledged", f"tap:{event_id.strip()}", spec.name)
        if not done:
            return jsonify(
                error=gettext("That diet note no longer holds the till."), **state_of(spec)
            ), 409
        return jsonify(state_of(spec))


@blueprint.get("/<terminal>/photo/<event_id>")
@needs(PUBLIC)
def photo(terminal: str, event_id: str) -> ResponseReturnValue:
    refuse_unless_from_terminal_box()
    spec = till_or_404(terminal)
    app = services()
    if app.settings["canteen.till_photo"] != "on":
        abort(404)
    jpeg = photo_of_tap(app.store.conn, spec.name, event_id)
    if jpeg is None:
        abort(404)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["Pragma"] = "no-cache"
    return response
