"""The club room's screen: the kiosk page of a ``club`` terminal shows the session open there
(group, until when, how many are present) or that none is, and each tap's mark.

Like the kiosk page its request needs no login and answers only ``kiosk.allow_from``, in
``kiosk.language``. A tap's message carries the sessions as they are after the tap, so the count
changes with it; the screen also asks every ``REFRESH_MS``, for a session the schedule opened or
closed. Nothing here names a pupil: only groups and counts.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, jsonify, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.access import PUBLIC
from emp_edge.domain.taps import TapReason
from emp_edge.events import TapDecided
from emp_edge.store.club_sessions import open_at, present_count
from emp_edge.web.access import needs, services
from emp_edge.web.i18n import gettext
from emp_edge.web.views.terminal_box import (
    kiosk_language,
    refuse_unless_from_terminal_box,
    terminal_or_404,
)

blueprint = Blueprint("club_screen", __name__, url_prefix="/kiosk")

ROLE = "club"
#: how often the screen asks again (the schedule opens and closes sessions by the minute)
REFRESH_MS = 30_000

#: names the club screen adds to the kiosk's for a tap's details
CLUB_LABELS: dict[str, LazyString] = {
    "until": lazy_gettext("Until"),
    "present": lazy_gettext("Present"),
    "marked_at": lazy_gettext("Marked at"),
}


def is_club(spec: TerminalSpec) -> bool:
    return spec.role == ROLE


def sessions_now(spec: TerminalSpec) -> list[dict[str, Any]]:
    """The sessions open at the terminal now: group, programme, end, present count."""
    app = services()
    conn = app.store.conn
    before = timedelta(minutes=int(app.settings["clubs.open_before_minutes"]))
    return [
        {
            "id": session.id,
            "group": session.group_name,
            "programme": session.programme_name,
            "until": session.ends_at.astimezone(app.settings.tz).strftime("%H:%M"),
            "present": present_count(conn, session.id),
        }
        for session in open_at(conn, spec.name, app.clock.now(), before)
    ]


def page_parts(spec: TerminalSpec) -> dict[str, Any]:
    """What kiosk.html needs to be a club room's screen (the caller forces the language)."""
    return {
        "state_url": url_for("club_screen.state", terminal=spec.name),
        "refresh_ms": REFRESH_MS,
        "sessions": sessions_now(spec),
        "labels": {key: str(label) for key, label in CLUB_LABELS.items()},
        # for the screen's script, which fills in {time} and {count}
        "texts": json.dumps(
            {
                "until": gettext("until %(time)s", time="{time}"),
                "present": gettext("present: %(count)s", count="{count}"),
            },
            ensure_ascii=False,
        ),
    }


def tap_extras(news: TapDecided, spec: TerminalSpec) -> dict[str, Any]:
    """What a club room's tap message adds to the kiosk's: the result in the room's words and
    the sessions after the tap."""
    extras: dict[str, Any] = {"sessions": sessions_now(spec)}
    shown = news.shown
    group = shown.get("group")
    if news.reason is TapReason.ALREADY_MARKED and shown.get("marked_at"):
        extras["message"] = gettext("Already marked present at %(time)s", time=shown["marked_at"])
    elif news.reason is TapReason.NOT_IN_GROUP and group:
        extras["message"] = gettext("Not in this group (%(group)s): not marked", group=group)
    elif news.reason is TapReason.OK and group:
        extras["message"] = gettext("Marked present")
    return extras


@blueprint.get("/<terminal>/club")
@needs(PUBLIC)
def state(terminal: str) -> ResponseReturnValue:
    refuse_unless_from_terminal_box()
    spec = terminal_or_404(terminal)
    if not is_club(spec):
        abort(404)
    with force_locale(kiosk_language()):
        return jsonify(sessions=sessions_now(spec))
