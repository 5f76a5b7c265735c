"""The clubs' (NVŠ) setup pages: programmes, groups with their leaders and weekly schedule, and
the registry's classifiers.

Viewers of learning data see them; managers of learning data change them. Each change is one
transaction with its outbox event (the store emits it) and its audit row; bad input re-shows the
form with the reason and changes nothing. No page here shows a pupil.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from emp_edge.config.terminals import parse_terminals
from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.clubs import Slot
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import ConfigError, InputError
from emp_edge.store import classifiers
from emp_edge.store.club_setup import save_group, save_programme
from emp_edge.store.club_setup_pages import (
    Group,
    Programme,
    ScheduleSlot,
    all_programmes,
    directions_tree,
    find_group,
    find_programme,
    group_page,
    group_rows,
    leader_candidates,
    programme_rows,
)
from emp_edge.store.group_schedule import add_slot, remove_slot
from emp_edge.web.access import audit, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.clubs import WEEKDAYS, GroupForm, ProgrammeForm, SlotForm
from emp_edge.web.i18n import error_text, gettext

blueprint = Blueprint("club_setup", __name__, url_prefix="/clubs")

LEARNING = Area.LEARNING_DATA


def _this_year() -> int:
    return school_year(services().clock.today())


def club_terminals() -> list[str]:
    """The box's terminals of the role club, where a group's pupils tap (none when the setting
    is wrong: the terminal part reports that)."""
    try:
        specs = parse_terminals(services().settings["terminal.readers"])
    except ConfigError:
        return []
    return [spec.name for spec in specs if spec.role == "club"]


def _names() -> dict[str, dict[str, str]]:
    conn = services().store.conn
    return {kind: classifiers.names(conn, kind) for kind in classifiers.KINDS}


# ---------------------------------------------------------------- programmes


@blueprint.get("/programmes")
@needs(viewer(LEARNING))
def programmes() -> ResponseReturnValue:
    conn = services().store.conn
    now = _this_year()
    year = request.args.get("year", type=int) or now
    if not now - 10 <= year <= now + 1:
        year = now
    return render_template(
        "club_setup/programmes.html",
        rows=programme_rows(conn, year),
        groups=group_rows(conn, year=year),
        year=year,
        years=[now - 1, now, now + 1],
        year_label=school_year_label,
        names=_names(),
        can_manage=may(manager(LEARNING)),
    )


def _programme_choices(form: ProgrammeForm, programme: Programme | None) -> None:
    """Current purposes and directions, and the programme's own even if retired since."""
    conn = services().store.conn
    purposes = classifiers.entries(conn, "purpose", with_retired=True)
    form.purpose.choices = [SelectChoice("", gettext("— choose —"))] + [
        SelectChoice(e.code, e.name)
        for e in purposes
        if not e.retired or (programme and e.code == programme.purpose)
    ]
    form.directions.choices = [
        SelectChoice(e.code, e.name)
        for e in classifiers.entries(conn, "direction", with_retired=True)
        if not e.retired or (programme and e.code in programme.directions)
    ]


def _programme_page(
    form: ProgrammeForm, programme: Programme | None, status: int
) -> ResponseReturnValue:
    groups = (
        [] if programme is None else group_rows(services().store.conn, programme_id=programme.id)
    )
    return render_template(
        "club_setup/programme_form.html",
        form=form,
        programme=programme,
        groups=groups,
        year_label=school_year_label,
    ), status


def _save_programme(form: ProgrammeForm, programme: Programme | None) -> ResponseReturnValue:
    if not form.validate():
        return _programme_page(form, programme, 400)
    try:
        with services().store.transaction() as tx:
            saved = save_programme(
                tx,
                programme.id if programme else None,
                form.ktprr_code.data or "",
                form.name.data or "",
                form.purpose.data or "",
                form.directions.data or [],
            )
            if saved is not None:
                action = "nvs.programme.changed" if programme else "nvs.programme.added"
                detail = (
                    f"ktprr={saved.ktprr_code}; purpose={saved.purpose};"
                    f" directions={','.join(saved.directions)}"
                )
                audit(tx, action, f"programme:{saved.id}", detail)
    except InputError as err:
        show_error(form, err)
        return _programme_page(form, programme, 400)
    if saved is None:
        flash(gettext("Nothing was changed."), "info")
        return redirect(url_for(".programmes"))
    flash(gettext("Programme %(name)s saved.", name=saved.name), "success")
    return redirect(url_for(".programmes"))


@blueprint.route("/programmes/new", methods=["GET", "POST"])
@needs(manager(LEARNING))
def new_programme() -> ResponseReturnValue:
    form = ProgrammeForm()
    _programme_choices(form, None)
    if request.method == "GET":
        return _programme_page(form, None, 200)
    return _save_programme(form, None)


@blueprint.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@needs(manager(LEARNING))
def edit_programme(programme_id: int) -> ResponseReturnValue:
    programme = find_programme(services().store.conn, programme_id)
    if programme is None:
        abort(404)
    if request.method == "GET":
        data = {
            "ktprr_code": programme.ktprr_code,
            "name": programme.name,
            "purpose": programme.purpose,
            "directions": list(programme.directions),
        }
        form = ProgrammeForm(formdata=None, data=data)
        _programme_choices(form, programme)
        return _programme_page(form, programme, 200)
    form = ProgrammeForm()
    _programme_choices(form, programme)
    return _save_programme(form, programme)


# ---------------------------------------------------------------- a group's page


def _group_view(
    group_id: int, slot_form: SlotForm | None = None, error: str = "", status: int = 200
) -> ResponseReturnValue:
    app = services()
    page = group_page(app.store.conn, group_id, app.clock.today())
    if page is None:
        abort(404)
    can_manage = may(manager(LEARNING))
    if slot_form is None:
        slot_form = SlotForm(formdata=None)
    slot_form.terminal.choices = [SelectChoice(name, name) for name in club_terminals()]
    return render_template(
        "club_setup/group.html",
        page=page,
        year_label=school_year_label,
        names=_names(),
        tree=directions_tree(app.store.conn, with_retired=True),
        weekdays=WEEKDAYS,
        slot_form=slot_form,
        slot_error=error,
        can_manage=can_manage,
    ), status


@blueprint.get("/groups/<int:group_id>")
@needs(viewer(LEARNING))
def group(group_id: int) -> ResponseReturnValue:
    return _group_view(group_id)


def _slot_detail(row: ScheduleSlot) -> str:
    slot = row.slot
    return (
        f"slot={row.id}; weekday={slot.weekday};"
        f" {slot.starts.strftime('%H:%M')}-{slot.ends.strftime('%H:%M')};"
        f" hours={slot.academic_hours}; terminal={row.terminal}"
    )


@blueprint.post("/groups/<int:group_id>/schedule", endpoint="add_slot")
@needs(manager(LEARNING))
def add_schedule_slot(group_id: int) -> ResponseReturnValue:
    if find_group(services().store.conn, group_id) is None:
        abort(404)
    form = SlotForm()
    form.terminal.choices = [SelectChoice(name, name) for name in club_terminals()]
    starts, ends = form.starts.data, form.ends.data
    if not form.validate() or starts is None or ends is None:
        return _group_view(group_id, form, status=400)
    slot = Slot(form.weekday_number(), starts, ends, form.hours())
    try:
        with services().store.transaction() as tx:
            added = add_slot(tx, group_id, slot, form.terminal.data or "", club_terminals())
            audit(tx, "nvs.group.slot_added", f"group:{group_id}", _slot_detail(added))
    except InputError as err:
        show_error(form, err)
        return _group_view(group_id, form, status=400)
    flash(
        gettext(
            "%(day)s %(starts)s–%(ends)s added to the schedule.",
            day=WEEKDAYS[slot.weekday],
            starts=starts.strftime("%H:%M"),
            ends=ends.strftime("%H:%M"),
        ),
        "success",
    )
    return redirect(url_for(".group", group_id=group_id))


@blueprint.post("/groups/<int:group_id>/schedule/<int:slot_id>/remove", endpoint="remove_slot")
@needs(manager(LEARNING))
def remove_schedule_slot(group_id: int, slot_id: int) -> ResponseReturnValue:
    if find_group(services().store.conn, group_id) is None:
        abort(404)
    try:
        with services().store.transaction() as tx:
            removed = remove_slot(tx, group_id, slot_id)
            audit(tx, "nvs.group.slot_removed", f"group:{group_id}", _slot_detail(removed))
    except InputError as err:
        return _group_view(group_id, error=error_text(err), status=400)
    flash(gettext("The session is taken off the schedule."), "success")
    return redirect(url_for(".group", group_id=group_id))


# ---------------------------------------------------------------- new and changed groups


def _group_choices(form: GroupForm, group: Group | None) -> None:
    conn = services().store.conn
    form.programme.choices = [SelectChoice("", gettext("— choose —"))] + [
        SelectChoice(str(p.id), f"{p.name} ({p.ktprr_code})") for p in all_programmes(conn)
    ]
    now = _this_year()
    years = sorted({now - 1, now, now + 1, *([group.school_year] if group else [])})
    form.school_year.choices = [SelectChoice(str(y), school_year_label(y)) for y in years]
    form.sub_directions.choices = [
        SelectChoice(sub.code, sub.name)
        for direction in directions_tree(conn, with_retired=True)
        for sub in direction.sub_directions
        if not sub.retired or (group and sub.code in group.sub_directions)
    ]


def _group_form_page(form: GroupForm, group: Group | None, status: int) -> ResponseReturnValue:
    conn = services().store.conn
    keep = group.leader_ids if group else ()
    return render_template(
        "club_setup/group_form.html",
        form=form,
        group=group,
        tree=directions_tree(conn, with_retired=True),
        offered={choice.value for choice in form.sub_directions.choices},
        candidates={str(c.user_id): c for c in leader_candidates(conn, keep)},
    ), status


def _save_group(form: GroupForm, group: Group | None) -> ResponseReturnValue:
    if not form.validate():
        return _group_form_page(form, group, 400)
    try:
        with services().store.transaction() as tx:
            saved = save_group(
                tx,
                group.id if group else None,
                form.programme_id(),
                form.year(),
                form.name.data or "",
                form.sub_directions.data or [],
                form.leader_ids(),
            )
            if saved is not None:
                action = "nvs.group.changed" if group else "nvs.group.added"
                detail = (
                    f"programme={saved.programme_id}; school_year={saved.school_year};"
                    f" sub_directions={','.join(saved.sub_directions)};"
                    f" leaders={','.join(str(i) for i in saved.leader_ids)}"
                )
                audit(tx, action, f"group:{saved.id}", detail)
    except InputError as err:
        show_error(form, err)
        return _group_form_page(form, group, 400)
    if saved is None:
        flash(gettext("Nothing was changed."), "info")
        return redirect(url_for(".group", group_id=group.id if group else 0))
    flash(gettext("Group %(name)s saved.", name=saved.name), "success")
    return redirect(url_for(".group", group_id=saved.id))


@blueprint.route("/groups/new", methods=["GET", "POST"])
@needs(manager(LEARNING))
def new_group() -> ResponseReturnValue:
    if request.method == "GET":
        data = {
            "programme": request.args.get("programme", ""),
            "school_year": str(_this_year()),
        }
        form = GroupForm(formdata=None, data=data)
        _group_choices(form, None)
        return _group_form_page(form, None, 200)
    form = GroupForm()
    _group_choices(form, None)
    return _save_group(form, None)


@blueprint.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@needs(manager(LEARNING))
def edit_group(group_id: int) -> ResponseReturnValue:
    group = find_group(services().store.conn, group_id)
    if group is None:
        abort(404)
    if request.method == "GET":
        data = {
            "programme": str(group.programme_id),
            "school_year": str(group.school_year),
            "name": group.name,
            "sub_directions": list(group.sub_directions),
            "leaders": [str(i) for i in group.leader_ids],
        }
        form = GroupForm(formdata=None, data=data)
        _group_choices(form, group)
        return _group_form_page(form, group, 200)
    form = GroupForm()
    _group_choices(form, group)
    return _save_group(form, group)


# ---------------------------------------------------------------- the classifiers


@blueprint.get("/classifiers", endpoint="classifiers")
@needs(viewer(LEARNING))
def classifiers_page() -> ResponseReturnValue:
    conn = services().store.conn
    return render_template(
        "club_setup/classifiers.html",
        tree=directions_tree(conn, with_retired=True),
        purposes=classifiers.entries(conn, "purpose", with_retired=True),
        provider_groups=classifiers.entries(conn, "provider_group", with_retired=True),
    )
