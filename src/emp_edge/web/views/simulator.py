"""The tap simulator: play the whole tap flow with no hardware.

A person with the cards area picks a pupil's card, a simulated terminal and the kind of card
(the genuine one, a copy, one with an altered record, another school's, an unknown chip) and
taps; the terminal decides as it would for a real card and its kiosk screen shows the result.
Scripts on the box tap through ``POST /simulator/taps`` with JSON: that endpoint needs no login
but answers only the addresses in ``kiosk.allow_from``, and takes nothing but
``application/json`` (which a page on another site cannot send here without asking first).

The web does not import the terminal package: the composition root hands the simulator in with
``use_tap_simulator``. Without one, or with no simulated terminal, these pages do not exist.
Each tap sent from here is a row of the audit trail.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Optional

from emp_edge.domain.access import PUBLIC, Area, viewer
from emp_edge.domain.taps import SimulatedCard
from emp_edge.errors import InputError
from emp_edge.store.tap_cards import search_tap_cards, tap_card
from emp_edge.web.access import audit_view, needs, services
from emp_edge.web.i18n import error_text
from emp_edge.web.labels import CARD_STATE_NAMES, SIMULATED_CARD_NAMES
from emp_edge.web.views.terminal_box import from_terminal_box

log = logging.getLogger(__name__)

blueprint = Blueprint("simulator", __name__, url_prefix="/simulator")

SIMULATOR = "emp_edge_tap_simulator"
#: cards listed at once; the search box narrows 10,000 pupils down to these
SHOWN_CARDS = 50
#: kinds of card made from a pupil's card (another school's card carries the pupil's record
#: too); an unknown chip needs none
NEEDS_CARD = frozenset(set(SimulatedCard) - {SimulatedCard.UNKNOWN})


class TapSimulator(Protocol):
    """The simulated readers of the box, as the terminal part offers them."""

    def terminals(self) -> list[str]:
        """The names of the simulated terminals."""
        ...

    def tap(self, terminal: str, card_id: int | None, kind: SimulatedCard) -> None:
        """Put a card of ``kind`` on the terminal's reader (``card_id`` is the pupil's card it
        is made from, None for an unknown chip); InputError for an unknown terminal or card."""
        ...


def use_tap_simulator(app: Flask, simulator: TapSimulator) -> None:
    """Called by the composition root: the simulator pages tap through ``simulator``."""
    app.extensions[SIMULATOR] = simulator


@blueprint.record_once
def _setup(state: BlueprintSetupState) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(taps)  # a JSON API for scripts on the box; see the module's docstring


def available() -> bool:
    """True when the simulator pages exist on this server (for a link to them)."""
    simulator: TapSimulator | None = current_app.extensions.get(SIMULATOR)
    return simulator is not None and bool(simulator.terminals())


def _simulator() -> tuple[TapSimulator, list[str]]:
    """The simulator and its terminals; no simulator or no terminal: the page does not exist."""
    simulator: TapSimulator | None = current_app.extensions.get(SIMULATOR)
    terminals = simulator.terminals() if simulator is not None else []
    if simulator is None or not terminals:
        abort(404)
    return simulator, terminals


# ---------------------------------------------------------------- the page


class TapForm(FlaskForm):  # type: ignore[misc]
    terminal = StringField(validators=[InputRequired()])
    card_id = IntegerField(validators=[Optional()])
    kind = StringField(
        default=SimulatedCard.GENUINE.value,
        validators=[InputRequired(), AnyOf([kind.value for kind in SimulatedCard])],
    )


def _back(form: TapForm, text: str) -> ResponseReturnValue:
    """Back to the page with the same choices, so the next tap is one click."""
    return redirect(
        url_for(
            ".index",
            q=text or None,
            terminal=form.terminal.data,
            card_id=form.card_id.data,
            kind=form.kind.data,
        ),
        code=303,
    )


@blueprint.route("", methods=["GET", "POST"])
@needs(viewer(Area.CARDS))
def index() -> ResponseReturnValue:
    simulator, terminals = _simulator()
    text = request.values.get("q", "").strip()[:200]
    form = TapForm(formdata=request.form if request.method == "POST" else request.args)
    if request.method == "POST":
        if not form.validate() or form.terminal.data not in terminals:
            flash(gettext("Choose a terminal and a kind of card."), "error")
            return _back(form, text)
        kind = SimulatedCard(form.kind.data)
        card_id = form.card_id.data if kind in NEEDS_CARD else None
        if kind in NEEDS_CARD and card_id is None:
            flash(gettext("Choose a pupil's card first."), "error")
            return _back(form, text)
        _tap(simulator, form.terminal.data, card_id, kind)
        return _back(form, text)
    found = search_tap_cards(services().store.conn, text, limit=SHOWN_CARDS)
    if found.rows:
        audit_view("simulator.listed", detail=f"cards={len(found.rows)} of {found.total}")
    return render_template(
        "simulator.html",
        form=form,
        q=text,
        found=found,
        terminals=terminals,
        kinds=SIMULATED_CARD_NAMES,
        state_names=CARD_STATE_NAMES,
    )


def _tap(simulator: TapSimulator, terminal: str, card_id: int | None, kind: SimulatedCard) -> None:
    """Tap and say so on the next page; an error is said there too."""
    card = tap_card(services().store.conn, card_id) if card_id is not None else None
    if card_id is not None and card is None:
        flash(gettext("There is no card with a chip numbered %(card)s.", card=card_id), "error")
        return
    audit_view("simulator.tapped", f"card:{card_id}" if card_id else "", f"{terminal} {kind}")
    try:
        simulator.tap(terminal, card_id, kind)
    except InputError as err:
        flash(error_text(err), "error")
        return
    if card is None:
        text = gettext(
            "Tapped at %(terminal)s: %(kind)s.", terminal=terminal, kind=SIMULATED_CARD_NAMES[kind]
        )
    else:
        text = gettext(
            "Tapped at %(terminal)s: %(kind)s (%(pupil)s, %(class_label)s).",
            terminal=terminal,
            kind=SIMULATED_CARD_NAMES[kind],
            pupil=card.pupil_name,
            class_label=card.class_label or "—",
        )
    flash(text, "success")


# ---------------------------------------------------------------- the scripted taps


class BadTapError(ValueError):
    """A scripted tap that cannot be made; the text says why, in English (it is for scripts)."""


def _bad(text: str, status: int = 400) -> ResponseReturnValue:
    return jsonify(error=text), status


@blueprint.post("/taps")
@needs(PUBLIC)
def taps() -> ResponseReturnValue:
    if not from_terminal_box():
        log.warning("scripted tap refused source=%s", request.remote_addr)
        return _bad("taps are taken only from the addresses in kiosk.allow_from", 403)
    simulator: TapSimulator | None = current_app.extensions.get(SIMULATOR)
    if simulator is None or not simulator.terminals():
        return _bad("this box has no simulated terminal", 404)
    try:
        terminal, card_id, kind = read_tap(
            request.get_json(silent=True) if request.is_json else None
        )
    except BadTapError as bad:
        return _bad(str(bad))
    audit_view("simulator.tapped", f"card:{card_id}" if card_id else "", f"{terminal} {kind}")
    try:
        simulator.tap(terminal, card_id, kind)
    except InputError as err:
        return _bad(err.message)
    return jsonify(queued=True), 202


def read_tap(body: Any) -> tuple[str, int | None, SimulatedCard]:
    """(terminal, card, kind) of a scripted tap ``{"terminal", "card_id", "kind"}``; the card
    is None for an unknown chip."""
    if not isinstance(body, dict):
        raise BadTapError("send a JSON object with Content-Type: application/json")
    unknown = sorted(set(body) - {"terminal", "card_id", "kind"})
    if unknown:
        raise BadTapError("unknown field(s): " + ", ".join(unknown))
    terminal = body.get("terminal")
    if not isinstance(terminal, str) or not terminal.strip():
        raise BadTapError("'terminal' must be the name of a simulated terminal")
    kind_text = body.get("kind", SimulatedCard.GENUINE.value)
    kinds = [kind.value for kind in SimulatedCard]
    if kind_text not in kinds:
        raise BadTapError("'kind' must be one of: " + ", ".join(kinds))
    kind = SimulatedCard(kind_text)
    card_id = body.get("card_id")
    if card_id is not None and (isinstance(card_id, bool) or not isinstance(card_id, int)):
        raise BadTapError("'card_id' must be a card number or null")
    if kind not in NEEDS_CARD:
        return terminal.strip(), None, kind
    if card_id is None:
        raise BadTapError(f"a tap of a {kind.value} card needs 'card_id'")
    return terminal.strip(), card_id, kind
