"""The dashboard: devices, sync and today's counts, kept live over Server-Sent Events."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from emp_edge import __version__
from emp_edge.config.terminals import TerminalSpec, parse_terminals
from emp_edge.domain.access import PUBLIC, SIGNED_IN, Area, viewer
from emp_edge.errors import ConfigError, StoreError
from emp_edge.store.devices import DeviceKind, DeviceState, list_devices
from emp_edge.store.outbox import backlog
from emp_edge.store.status import as_dict, sync_state, today_counts
from emp_edge.web import live
from emp_edge.web.access import may, needs, services
from emp_edge.web.sync_texts import kept_error_text
from emp_edge.web.views import simulator

blueprint = Blueprint("dashboard", __name__)


def _day_bounds() -> tuple[str, str]:
    """Today in the school's time zone, as UTC moments."""
    app = services()
    today = app.clock.today()
    start = datetime.combine(today, time(0), tzinfo=app.settings.tz)
    end = start + timedelta(days=1)
    return start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()


DEVICE_KINDS = {
    DeviceKind.READER: lazy_gettext("card reader"),
    DeviceKind.PRINTER: lazy_gettext("printer"),
    DeviceKind.TILL: lazy_gettext("till"),
}
DEVICE_STATES = {
    DeviceState.OK: lazy_gettext("working"),
    DeviceState.WARNING: lazy_gettext("needs attention"),
    DeviceState.ERROR: lazy_gettext("fault"),
    DeviceState.OFFLINE: lazy_gettext("not connected"),
}


def status() -> dict[str, Any]:
    """Everything the dashboard shows, ready to display, as JSON-ready data."""
    conn = services().store.conn
    moment = current_app.jinja_env.filters["moment"]
    sync = sync_state(conn)
    return {
        "devices": [
            {
                "name": d.name,
                "kind": str(DEVICE_KINDS[d.kind]),
                "state": str(d.state),
                "state_text": str(DEVICE_STATES[d.state]),
                "detail": d.detail,
                "seen_at": moment(d.seen_at),
            }
            for d in list_devices(conn)
        ],
        "sync": {
            "backlog": sync.backlog,
            "last_success": moment(sync.last_success),
            "last_error": kept_error_text(sync.last_error) or "—",
        },
        "today": as_dict(today_counts(conn, *_day_bounds())),
    }


def _terminals() -> tuple[TerminalSpec, ...]:
    """The terminals this box runs, for links to their kiosk screens (none when misconfigured:
    the terminal role reports that, the overview still opens)."""
    if "terminal" not in services().settings["roles"]:
        return ()
    try:
        return parse_terminals(services().settings["terminal.readers"])
    except ConfigError:
        return ()


@blueprint.get("/")
@needs(SIGNED_IN)
def index() -> ResponseReturnValue:
    return render_template(
        "dashboard.html",
        status=status(),
        school=services().settings["school.name"],
        terminals=_terminals(),
        simulator=may(viewer(Area.CARDS)) and simulator.available(),
        uid_only=bool(_terminals()) and services().settings["terminal.card_mode"] == "uid",
    )


@blueprint.get("/status/events")
@needs(SIGNED_IN)
def status_events() -> ResponseReturnValue:
    return live.stream(lambda: ("status", status()))


@blueprint.get("/healthz")
@needs(PUBLIC)
def healthz() -> ResponseReturnValue:
    store = services().store
    try:
        store.conn.execute("SELECT 1").fetchone()
        waiting = len(store.pending_migrations())
        queued = backlog(store.conn)
    except (sqlite3.Error, StoreError) as err:
        return jsonify(status="error", database=str(err), version=__version__), 503
    return jsonify(
        status="ok" if waiting == 0 else "migrations pending",
        version=__version__,
        database="ok",
        pending_migrations=waiting,
        outbox_backlog=queued,
    ), (200 if waiting == 0 else 503)
