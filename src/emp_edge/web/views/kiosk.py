"""The kiosk screen at a terminal: "put your card on the reader", then green or red with the
pupil's name and why, and a banner while the reader is offline. At a ``canteen`` terminal the
same page is the till screen (its own parts are in ``till.py``), at a ``club`` terminal the club
room's screen (``club_screen.py``).

The screen runs full-screen in the terminal box's own browser with nobody signed in, so it is
open only to the addresses in ``kiosk.allow_from``; everyone else gets the refusal page. It
speaks the language of ``kiosk.language`` whatever the browser asks (``terminal_box.py``).
Opening the screen is one row of the audit trail (it will show pupils' names); the taps it
shows are not, each tap has its own event already.

The taps come over Server-Sent Events straight from the bus: each stream waits on its own inbox
and passes a tap on the moment it is published (no polling), sends a comment every
``KIOSK_HEARTBEAT_SECONDS`` and ends after ``KIOSK_LIFETIME_SECONDS``; the browser reconnects
by itself. Kiosk streams have their own slots (``KIOSK_MAX_STREAMS``: the server's threads
less the dashboard's live slots and one for pages), so they never take the dashboard's and
cannot starve the pages. A message carries what the screen shows and nothing else: never a
personal code or a chip UID.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import tzinfo
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.access import PUBLIC
from emp_edge.events import News, ReaderChanged, ReceiptPrinted, TapDecided
from emp_edge.web.access import audit_view, needs, services
from emp_edge.web.labels import TAP_REASON_TEXT
from emp_edge.web.views import club_screen, till
from emp_edge.web.views.terminal_box import (
    kiosk_language,
    refuse_unless_from_terminal_box,
    terminal_or_404,
)

log = logging.getLogger(__name__)

blueprint = Blueprint("kiosk", __name__, url_prefix="/kiosk")

SLOTS = "emp_edge_kiosk_slots"

#: names for what a terminal's role adds to a tap (``TapDecided.shown``), by key; a key not
#: named here is shown as it is
SHOWN_LABELS: dict[str, LazyString] = {
    "valid_until": lazy_gettext("Valid until"),
    "balance": lazy_gettext("Balance"),
    "paid": lazy_gettext("Paid"),
    "meal": lazy_gettext("Meal"),
    "group": lazy_gettext("Group"),
    "programme": lazy_gettext("Programme"),
}

_Scalar = str | int | float | bool | None


# ---------------------------------------------------------------- the page


@blueprint.get("/<terminal>")
@needs(PUBLIC)
def screen(terminal: str) -> ResponseReturnValue:
    refuse_unless_from_terminal_box()
    spec = terminal_or_404(terminal)
    audit_view("kiosk.opened", f"terminal:{spec.name}")
    with force_locale(kiosk_language()):
        labels = {key: str(label) for key, label in SHOWN_LABELS.items()}
        parts = till.page_parts(spec) if till.is_till(spec) else None
        if parts is not None:
            labels |= parts["labels"]
        club = club_screen.page_parts(spec) if club_screen.is_club(spec) else None
        if club is not None:
            labels |= club["labels"]
        return render_template(
            "kiosk.html",
            terminal=spec,
            till=parts,
            club=club,
            result_ms=int(services().settings["kiosk.result_seconds"]) * 1000,
            shown_labels=json.dumps(labels, ensure_ascii=False),
        )


# ---------------------------------------------------------------- the stream


def tap_message(news: TapDecided, tz: tzinfo, spec: TerminalSpec) -> dict[str, Any]:
    """What the screen shows of a tap, in the current language: nothing else leaves."""
    message = {
        "result": str(news.result),
        "reason": str(news.reason),
        "message": str(TAP_REASON_TEXT[news.reason]),
        "name": news.pupil_name,
        "class_label": news.class_label,
        "time": news.at.astimezone(tz).strftime("%H:%M"),
        "event_id": news.event_id,
        "shown": _scalars(news.shown),
    }
    if till.is_till(spec):
        message |= till.tap_extras(news, spec)
    if club_screen.is_club(spec):
        message |= club_screen.tap_extras(news, spec)
    return message


def reader_message(news: ReaderChanged) -> dict[str, Any]:
    return {"online": news.online, "detail": news.detail}


def _scalars(shown: Mapping[str, Any]) -> dict[str, _Scalar]:
    """The role's details for the screen: plain values only, never a nested structure."""
    return {
        str(key): value
        for key, value in shown.items()
        if isinstance(value, str | int | float | bool) or value is None
    }


def _event(name: str, data: dict[str, Any], event_id: str = "") -> str:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    event_id = "".join(event_id.split())  # a line break would end the field early
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\ndata: {body}\n\n"


@blueprint.get("/<terminal>/events")
@needs(PUBLIC)
def screen_events(terminal: str) -> ResponseReturnValue:
    refuse_unless_from_terminal_box()
    spec = terminal_or_404(terminal)
    config = current_app.config
    app = services()
    language = kiosk_language()
    tz = app.settings.tz
    beat = float(config["KIOSK_HEARTBEAT_SECONDS"])
    lifetime = float(config["KIOSK_LIFETIME_SECONDS"])

    def encode(news: News) -> str:
        with force_locale(language):
            if isinstance(news, TapDecided):
                return _event("tap", tap_message(news, tz, spec), news.event_id)
            if isinstance(news, ReceiptPrinted):
                return _event("receipt", {"event_id": news.event_id, "printed": news.printed})
            return _event("reader", reader_message(news))

    # waitress tells when the browser has gone (with channel_request_lookahead on), so a closed
    # screen frees its thread within a second instead of at its next failed write
    gone: Callable[[], bool] = request.environ.get("waitress.client_disconnected", bool)

    def run() -> Iterator[str]:
        with app.bus.subscribe(spec.name) as inbox:
            yield f"retry: {config['KIOSK_RETRY_MS']}\n\n"  # sent once subscribed
            state = app.bus.reader_state(spec.name)
            if state is not None:
                yield encode(state)
            ends = time.monotonic() + lifetime
            next_beat = time.monotonic() + beat
            while (now := time.monotonic()) < ends and not gone():
                news = inbox.get(timeout=max(0.0, min(next_beat, ends, now + 1.0) - now))
                if news is not None:
                    yield encode(news)
                elif time.monotonic() >= next_beat:
                    yield ": heartbeat\n\n"
                else:
                    continue
                next_beat = time.monotonic() + beat

    slots = _slots(current_app)
    if not slots.acquire(blocking=False):
        log.warning("kiosk streams all busy terminal=%s; raise web.threads", spec.name)
        return _sse(f"retry: {config['KIOSK_RETRY_MS'] * 2}\n\n")
    response = _sse(stream_with_context(run()))
    response.call_on_close(_release_once(slots))
    return response


def _sse(body: Any) -> Response:
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _slots(app: Flask) -> threading.BoundedSemaphore:
    slots: threading.BoundedSemaphore | None = app.extensions.get(SLOTS)
    if slots is None:
        app.extensions.setdefault(
            SLOTS, threading.BoundedSemaphore(app.config["KIOSK_MAX_STREAMS"])
        )
        slots = app.extensions[SLOTS]
    assert slots is not None
    return slots


def _release_once(slots: threading.BoundedSemaphore) -> Callable[[], None]:
    done = threading.Event()
    lock = threading.Lock()

    def release() -> None:
        with lock:
            if done.is_set():
                return
            done.set()
        slots.release()

    return release
