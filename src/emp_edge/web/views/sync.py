"""The sync page: backlog, last success and error, the newest outbox events, the pull cursors."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from emp_edge.domain.access import SIGNED_IN
from emp_edge.store.status import sync_state
from emp_edge.store.sync_lists import cursors, newest_events, outbox_totals
from emp_edge.web.access import needs, services

blueprint = Blueprint("sync", __name__, url_prefix="/sync")

NEWEST = 50


@blueprint.get("/")
@needs(SIGNED_IN)
def index() -> ResponseReturnValue:
    conn = services().store.conn
    return render_template(
        "sync/index.html",
        state=sync_state(conn),
        totals=outbox_totals(conn),
        events=newest_events(conn, NEWEST),
        newest=NEWEST,
        cursors=cursors(conn),
    )
