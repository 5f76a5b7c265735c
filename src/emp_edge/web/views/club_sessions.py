"""The club leader's pages: my groups with today's sessions, and a session with its marks.

Any signed-in person may ask; the page answers only the group's leader or a manager of learning
data, and refuses everyone else (403). The leader opens today's scheduled session (from
``clubs.open_before_minutes`` ahead of it) or an extra one at a club room's terminal, closes it,
and marks a pupil of the group present by hand or takes a mark away. Each change is one
transaction with its event (the store emits it) and its audit row; a refused change re-shows the
page with the reason and writes nothing. A page with pupils' names writes its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from wtforms import SelectChoice

from emp_edge.config.terminals import parse_terminals
from emp_edge.domain.access import SIGNED_IN, Area, manager
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import InputError
from emp_edge.store import club_marks
from emp_edge.store.club_session_pages import (
    LedGroup,
    SessionLine,
    enrolled_pupils,
    group_name,
    groups_of_year,
    leads,
    not_in_group_taps,
    present_list,
    recent_sessions,
)
from emp_edge.store.club_sessions import (
    ScheduledSlot,
    Session,
    find_session,
    is_due,
    scheduled_session,
    slots_on,
)
from emp_edge.store.club_sessions_by_hand import close_by_hand, open_extra, open_slot_by_hand
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.forms.club_sessions import EXTRA, ActionForm, MarkForm, OpenSessionForm
from emp_edge.web.i18n import error_text, gettext

blueprint = Blueprint("club_sessions", __name__, url_prefix="/clubs")

LEARNING = Area.LEARNING_DATA
RECENT = 8

SLOT_STATES: dict[str, LazyString] = {
    "due": lazy_gettext("due now, not open"),
    "open": lazy_gettext("open"),
    "closed": lazy_gettext("closed before its end"),
    "held": lazy_gettext("held"),
    "missed": lazy_gettext("not held"),
}
SOURCES: dict[str, LazyString] = {"tap": lazy_gettext("card"), "hand": lazy_gettext("by hand")}


# ---------------------------------------------------------------- who may


def _user_id() -> int:
    return int(current_user.account.id)


def _refuse_unless_leader(group_id: int) -> None:
    """The group's leader or a manager of learning data; anyone else is refused."""
    if may(manager(LEARNING)) or leads(services().store.conn, _user_id(), group_id):
        return
    abort(403)


def _session_or_404(session_id: int) -> Session:
    found = find_session(services().store.conn, session_id)
    if found is None:
        abort(404)
    _refuse_unless_leader(found.group_id)
    return found


def _club_terminals() -> list[str]:
    readers = services().settings["terminal.readers"]
    return [spec.name for spec in parse_terminals(readers) if spec.role == "club"]


def _open_before() -> timedelta:
    return timedelta(minutes=int(services().settings["clubs.open_before_minutes"]))


# ---------------------------------------------------------------- my groups


@dataclass(frozen=True)
class SlotToday:
    slot: ScheduledSlot
    starts: datetime
    ends: datetime
    session: Session | None
    opens: datetime  # when it opens by itself
    state: str  # upcoming, or a key of SLOT_STATES
    can_open: bool


@dataclass(frozen=True)
class GroupToday:
    group: LedGroup
    slots: list[SlotToday]
    recent: list[SessionLine]
    open_now: list[SessionLine]


def _slot_today(slot: ScheduledSlot, now: datetime) -> SlotToday:
    app = services()
    tz = app.settings.tz
    before = _open_before()
    starts, ends = slot.span(now.astimezone(tz).date(), tz)
    session = scheduled_session(app.store.conn, slot.id, starts)
    due = is_due(slot, now, tz, before)
    if session is not None:
        state = "open" if session.is_open(now) else "closed" if now < session.ends_at else "held"
    elif due:
        state = "due"
    else:
        state = "upcoming" if now < starts - before else "missed"
    can_open = due and state in ("due", "closed")
    return SlotToday(slot, starts, ends, session, starts - before, state, can_open)


def _groups_today() -> list[GroupToday]:
    app = services()
    conn = app.store.conn
    now = app.clock.now()
    today = now.astimezone(app.settings.tz).date()
    leader = None if may(manager(LEARNING)) else _user_id()
    found = []
    for group in groups_of_year(conn, school_year(today), leader):
        recent = recent_sessions(conn, group.id, RECENT)
        found.append(
            GroupToday(
                group,
                [_slot_today(slot, now) for slot in slots_on(conn, today, group_id=group.id)],
                recent,
                [line for line in recent if line.session.is_open(now)],
            )
        )
    return found


def _mine_page(
    form: OpenSessionForm | None = None,
    sent_for: int | None = None,
    refused: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    app = services()
    now = app.clock.now()
    terminals = _club_terminals()
    if form is None:
        form = _open_form(formdata=None)
    return render_template(
        "club_sessions/mine.html",
        groups=_groups_today(),
        manages=may(manager(LEARNING)),
        year_label=school_year_label(school_year(now.astimezone(app.settings.tz).date())),
        terminals=terminals,
        form=form,
        fresh=_open_form(formdata=None),
        sent_for=sent_for,
        refused=refused or [],
        slot_states=SLOT_STATES,
        clock=lambda moment: moment.astimezone(app.settings.tz).strftime("%H:%M"),
        now=now,
    ), status


def _open_form(**kwargs: object) -> OpenSessionForm:
    app = services()
    form = OpenSessionForm(**kwargs)
    form.terminal.choices = [SelectChoice(name, name) for name in _club_terminals()]
    if kwargs.get("formdata", True) is None:
        local = app.clock.now().astimezone(app.settings.tz)
        ends = min(local + timedelta(minutes=90), local.replace(hour=23, minute=59))
        form.ends.data = ends.time().replace(second=0, microsecond=0)
    return form


@blueprint.get("/sessions")
@needs(SIGNED_IN)
def mine() -> ResponseReturnValue:
    return _mine_page()


@blueprint.post("/groups/<int:group_id>/sessions")
@needs(SIGNED_IN)
def open_session(group_id: int) -> ResponseReturnValue:
    app = services()
    if group_name(app.store.conn, group_id) is None:
        abort(404)
    _refuse_unless_leader(group_id)
    form = _open_form()
    extra = form.what.data == EXTRA
    if extra and not form.validate():
        return _mine_page(
            form, group_id, [gettext("Some fields need attention; nothing was saved.")], 400
        )
    now = app.clock.now()
    tz = app.settings.tz
    try:
        if extra and form.terminal.data not in _club_terminals():
            raise InputError("choose the club room's terminal")
        with app.store.transaction() as tx:
            if extra:
                assert form.ends.data is not None
                opened = open_extra(
                    tx,
                    group_id,
                    _user_id(),
                    now,
                    tz,
                    terminal=str(form.terminal.data),
                    academic_hours=int(form.academic_hours.data or 0),
                    ends=form.ends.data,
                )
            else:
                opened = open_slot_by_hand(tx, group_id, _user_id(), now, tz, _open_before())
            audit(
                tx,
                "club_session.opened",
                f"club_session:{opened.id}",
                f"group={group_id}; terminal={opened.terminal}; extra={int(extra)}",
            )
    except InputError as err:
        return _mine_page(form, group_id, [error_text(err)], 400)
    flash(
        gettext(
            "The session of %(group)s is open at %(terminal)s until %(ends)s.",
            group=opened.group_name,
            terminal=opened.terminal,
            ends=opened.ends_at.astimezone(tz).strftime("%H:%M"),
        ),
        "success",
    )
    return redirect(url_for(".session", session_id=opened.id))


# ---------------------------------------------------------------- one session


def _session_page(
    found: Session,
    form: MarkForm | None = None,
    refused: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    app = services()
    conn = app.store.conn
    tz = app.settings.tz
    present = present_list(conn, found.id)
    marked = {line.pupil_id for line in present}
    candidates = [p for p in enrolled_pupils(conn, found.group_id, found.day(tz))
                  if p.pupil_id not in marked]  # fmt: skip
    if form is None:
        form = MarkForm(formdata=None)
    form.pupil.choices = [SelectChoice("", gettext("choose a pupil"))] + [
        SelectChoice(str(p.pupil_id), f"{p.name} ({p.class_label})" if p.class_label else p.name)
        for p in candidates
    ]
    return render_template(
        "club_sessions/session.html",
        session=found,
        is_open=found.is_open(app.clock.now()),
        present=present,
        strangers=not_in_group_taps(conn, found.id),
        form=form,
        action=ActionForm(formdata=None),
        candidates=candidates,
        refused=refused or [],
        sources=SOURCES,
        clock=lambda moment: moment.astimezone(tz).strftime("%H:%M"),
        day=found.day(tz),
    ), status


@blueprint.get("/sessions/<int:session_id>")
@needs(SIGNED_IN)
def session(session_id: int) -> ResponseReturnValue:
    found = _session_or_404(session_id)
    audit_view("club_session.viewed", f"club_session:{session_id}")
    return _session_page(found)


@blueprint.post("/sessions/<int:session_id>/close")
@needs(SIGNED_IN)
def close_session(session_id: int) -> ResponseReturnValue:
    found = _session_or_404(session_id)
    app = services()
    try:
        with app.store.transaction() as tx:
            close_by_hand(tx, session_id, _user_id(), app.clock.now())
            audit(tx, "club_session.closed", f"club_session:{session_id}",
                  f"group={found.group_id}")  # fmt: skip
    except InputError as err:
        return _session_page(found, refused=[error_text(err)], status=400)
    flash(gettext("The session is closed."), "success")
    return redirect(url_for(".session", session_id=session_id))


@blueprint.post("/sessions/<int:session_id>/marks")
@needs(SIGNED_IN)
def add_mark(session_id: int) -> ResponseReturnValue:
    found = _session_or_404(session_id)
    app = services()
    form = MarkForm()
    pupil_id = form.pupil_id()
    try:
        if pupil_id is None:
            raise InputError("choose the pupil to mark present")
        with app.store.transaction() as tx:
            event = club_marks.add_mark(tx, session_id, pupil_id, _user_id(), app.settings.tz)
            audit(tx, "club_attendance.added", f"pupil:{pupil_id}",
                  f"session={session_id}; event={event}")  # fmt: skip
    except InputError as err:
        return _session_page(found, form, [error_text(err)], 400)
    flash(gettext("Marked present by hand."), "success")
    return redirect(url_for(".session", session_id=session_id))


@blueprint.post("/sessions/<int:session_id>/marks/<int:pupil_id>/remove")
@needs(SIGNED_IN)
def remove_mark(session_id: int, pupil_id: int) -> ResponseReturnValue:
    found = _session_or_404(session_id)
    app = services()
    try:
        with app.store.transaction() as tx:
            event = club_marks.remove_mark(tx, session_id, pupil_id)
            audit(tx, "club_attendance.removed", f"pupil:{pupil_id}",
                  f"session={session_id}; event={event}")  # fmt: skip
    except InputError as err:
        return _session_page(found, refused=[error_text(err)], status=400)
    flash(gettext("The mark is taken away."), "success")
    return redirect(url_for(".session", session_id=session_id))
