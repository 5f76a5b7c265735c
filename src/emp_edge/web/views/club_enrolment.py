"""Enrolment in a club group in the registry's three steps, the enrolment's page with its funding
marks and deregistration, and a group's pupils (current, arriving, past).

Step 1 finds the pupil by personal code or name (codes shown masked); steps 2–3 take the first
day, the group with its programme and the contract. Every page showing pupils is one row of the
audit trail; each change is one transaction with its outbox event (the store emits it) and its
audit row. Bad input re-shows the form with the reason and writes nothing. The basket mark is
shown only to viewers of the basket; funding marks are set by managers of the basket.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.clubs import BASKET, FUNDING_KINDS, Contract
from emp_edge.domain.school import school_year, school_year_label
from emp_edge.errors import InputError
from emp_edge.store import classifiers
from emp_edge.store.enrolment_pages import (
    EnrolmentDetail,
    Found,
    GroupInfo,
    enrolment_detail,
    find_pupils,
    group_info,
    group_pupils,
    groups_from_year,
    looks_like_code,
    pupil_enrolments,
    pupil_to_enrol,
)
from emp_edge.store.enrolments import FundingChange, deregister, set_funding, unmark
from emp_edge.store.enrolments import enrol as enrol_in_group
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.enrolment import (
    DeregisterForm,
    EnrolForm,
    FindForm,
    FundingForm,
    UnmarkForm,
)
from emp_edge.web.i18n import error_text, gettext
from emp_edge.web.labels import (
    CONTRACT_TYPE_NAMES,
    DEPARTURE_REASON_NAMES,
    FUNDING_KIND_NAMES,
    MARK_STATE_TEXT,
)

blueprint = Blueprint("club_enrolment", __name__, url_prefix="/clubs")

LEARNING = Area.LEARNING_DATA


# ---------------------------------------------------------------- step 1: find the pupil


@blueprint.route("/enrol", methods=["GET", "POST"])
@needs(manager(LEARNING))
def find() -> ResponseReturnValue:
    """Step 1. The search is sent by POST, so a personal code never lands in a URL or its logs."""
    form = FindForm(formdata=None) if request.method == "GET" else FindForm()
    found: Found | None = None
    error = ""
    text = (form.q.data or "").strip()[:200] if request.method == "POST" else ""
    if text:
        try:
            found = find_pupils(services().store.conn, text)
        except InputError as err:
            error = error_text(err)
    if looks_like_code(text):
        form.q.data = ""  # a personal code is not shown back, not even in the search box
    if found is not None and found.pupils:
        how = "by personal code" if found.by_code else "names: " + _names_only(text)
        audit_view("club.enrol.searched", detail=f"{how}; {len(found.pupils)} found")
    page = render_template("club_enrolment/find.html", form=form, found=found, error=error)
    return page, 400 if error else 200


def _names_only(text: str) -> str:
    """The words searched, for the audit trail: never one holding a digit."""
    return " ".join(w for w in text.split() if not any(ch.isdigit() for ch in w))[:100]


# ---------------------------------------------------------------- steps 2 and 3


@blueprint.route("/enrol/<int:pupil_id>", methods=["GET", "POST"], endpoint="enrol")
@needs(manager(LEARNING))
def enrol_pupil(pupil_id: int) -> ResponseReturnValue:
    conn = services().store.conn
    found = pupil_to_enrol(conn, pupil_id)
    if found is None:
        abort(404)
    pupil = found[0]
    if request.method == "GET":
        audit_view("club.enrol.opened", f"pupil:{pupil_id}")
        form = EnrolForm(formdata=None, data={"first_day": services().clock.today()})
        return _enrol_page(form, pupil_id, 200)
    form = EnrolForm()
    if not form.validate():
        return _enrol_page(form, pupil_id, 400)
    contract = Contract(
        form.contract_type.data or "", form.contract_date.data, form.contract_number.data or ""
    )
    first_day = form.first_day.data
    assert first_day is not None  # Filled
    try:
        group_id = form.group_id()
        with services().store.transaction() as tx:
            enrolment_id = enrol_in_group(tx, pupil_id, group_id, first_day, contract)
            audit(
                tx,
                "club.enrolment.registered",
                f"enrolment:{enrolment_id}",
                f"pupil:{pupil_id}; group:{group_id}; first_day={first_day.isoformat()}",
            )
    except InputError as err:
        show_error(form, err)
        return _enrol_page(form, pupil_id, 400)
    group = group_info(conn, group_id)
    flash(
        gettext(
            "%(pupil)s is enrolled in the group %(group)s from %(day)s.",
            pupil=f"{pupil.first_name} {pupil.last_name}",
            group=group.name if group else "",
            day=first_day.isoformat(),
        ),
        "success",
    )
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


def _group_label(group: GroupInfo) -> str:
    """A group as the list offers it: name, programme with its KTPRR code, school year."""
    year = school_year_label(group.school_year)
    return f"{group.name} — {group.programme_name} ({group.ktprr_code}), {year}"


def _enrol_page(form: EnrolForm, pupil_id: int, status: int) -> ResponseReturnValue:
    conn = services().store.conn
    found = pupil_to_enrol(conn, pupil_id)
    assert found is not None
    pupil, active = found
    year = school_year(services().clock.today())
    groups = groups_from_year(conn, year)
    form.group.choices = [
        SelectChoice("", gettext("-choose-")),
        *(SelectChoice(str(g.id), _group_label(g)) for g in groups),
    ]
    return render_template(
        "club_enrolment/enrol.html",
        form=form,
        pupil=pupil,
        active=active,
        groups=groups,
        purposes=classifiers.names(conn, "purpose"),
        enrolments=pupil_enrolments(conn, pupil_id),
        year_label=school_year_label(year),
        year_label_of=school_year_label,
    ), status


# ---------------------------------------------------------------- one enrolment


def _detail(enrolment_id: int) -> EnrolmentDetail:
    found = enrolment_detail(services().store.conn, enrolment_id)
    if found is None:
        abort(404)
    return found


def _shown_kinds() -> tuple[str, ...]:
    """The funding kinds this reader may see: the basket only with the basket right."""
    return tuple(k for k in FUNDING_KINDS if k != BASKET or may(viewer(Area.BASKET)))


def _page(
    detail: EnrolmentDetail, bound: dict[str, FlaskForm] | None = None, status: int = 200
) -> ResponseReturnValue:
    bound = bound or {}
    refused = [
        message
        for form in bound.values()
        for message in [*form.form_errors, *(m for f in form for m in f.errors)]
    ]
    funding_form = bound.get("funding")
    ticked = (
        set(funding_form.kinds.data or [])
        if isinstance(funding_form, FundingForm)
        else {mark.kind for mark in detail.marks}
    )
    deregister_form = bound.get("deregister") or DeregisterForm(
        formdata=None, data={"left_on": services().clock.today()}
    )
    shown = _shown_kinds()
    return render_template(
        "club_enrolment/enrolment.html",
        detail=detail,
        refused=refused,
        sent=next(iter(bound), ""),
        kinds=shown,
        marks=[mark for mark in detail.marks if mark.kind in shown],
        ticked=ticked,
        deregister_form=deregister_form,
        unmark_form=UnmarkForm(formdata=None),
        can_mark=may(manager(Area.BASKET)) and not detail.deregistered,
        can_deregister=may(manager(LEARNING)) and not detail.deregistered,
        link_group=may(viewer(LEARNING)),
        purposes=classifiers.names(services().store.conn, "purpose"),
        funding_names=FUNDING_KIND_NAMES,
        mark_states=MARK_STATE_TEXT,
        contract_types=CONTRACT_TYPE_NAMES,
        reasons=DEPARTURE_REASON_NAMES,
        year_label=school_year_label(detail.group.school_year),
    ), status


@blueprint.get("/enrolments/<int:enrolment_id>")
@needs(viewer(LEARNING))
def enrolment(enrolment_id: int) -> ResponseReturnValue:
    detail = _detail(enrolment_id)
    audit_view("club.enrolment.viewed", f"enrolment:{enrolment_id}", f"pupil:{detail.pupil_id}")
    return _page(detail)


def _change_text(change: FundingChange) -> str:
    """The audit row's detail: codes only."""
    return f"added: {','.join(change.added) or '-'}; removed: {','.join(change.removed) or '-'}"


def _funding_done(change: FundingChange) -> str:
    if change.nothing:
        return gettext("Nothing was changed.")
    return gettext(
        "Funding marks saved: %(added)d added, %(removed)d removed. The registry answers on sync.",
        added=len(change.added),
        removed=len(change.removed),
    )


@blueprint.post("/enrolments/<int:enrolment_id>/funding")
@needs(manager(Area.BASKET))
def funding(enrolment_id: int) -> ResponseReturnValue:
    detail = _detail(enrolment_id)
    form = FundingForm()
    if not form.validate():
        return _page(detail, {"funding": form}, 400)
    kinds = [kind.strip() for kind in form.kinds.data or []]
    try:
        with services().store.transaction() as tx:
            change = set_funding(tx, enrolment_id, kinds)
            if not change.nothing:
                audit(tx, "club.funding.changed", f"enrolment:{enrolment_id}", _change_text(change))
    except InputError as err:
        show_error(form, err)
        return _page(detail, {"funding": form}, 400)
    flash(_funding_done(change), "info" if change.nothing else "success")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@blueprint.post("/enrolments/<int:enrolment_id>/unmark", endpoint="unmark")
@needs(manager(Area.BASKET))
def unmark_one(enrolment_id: int) -> ResponseReturnValue:
    detail = _detail(enrolment_id)
    form = UnmarkForm()
    if not form.validate():
        return _page(detail, {"funding": form}, 400)
    try:
        with services().store.transaction() as tx:
            change = unmark(tx, enrolment_id, (form.kind.data or "").strip())
            if not change.nothing:
                audit(tx, "club.funding.changed", f"enrolment:{enrolment_id}", _change_text(change))
    except InputError as err:
        show_error(form, err)
        return _page(detail, {"funding": form}, 400)
    flash(_funding_done(change), "info" if change.nothing else "success")
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


@blueprint.post("/enrolments/<int:enrolment_id>/deregister", endpoint="deregister")
@needs(manager(LEARNING))
def deregistration(enrolment_id: int) -> ResponseReturnValue:
    detail = _detail(enrolment_id)
    form = DeregisterForm()
    if not form.validate():
        return _page(detail, {"deregister": form}, 400)
    left_on = form.left_on.data
    assert left_on is not None  # Filled
    reason = form.reason.data or ""
    try:
        with services().store.transaction() as tx:
            deregister(tx, enrolment_id, left_on, form.order_number.data or "", reason)
            audit(
                tx,
                "club.enrolment.deregistered",
                f"enrolment:{enrolment_id}",
                f"pupil:{detail.pupil_id}; left_on={left_on.isoformat()}; reason={reason}",
            )
    except InputError as err:
        show_error(form, err)
        return _page(detail, {"deregister": form}, 400)
    flash(
        gettext(
            "%(pupil)s leaves the group %(group)s on %(day)s; the enrolment is kept as history.",
            pupil=f"{detail.first_name} {detail.last_name}",
            group=detail.group.name,
            day=left_on.isoformat(),
        ),
        "success",
    )
    return redirect(url_for(".enrolment", enrolment_id=enrolment_id))


# ---------------------------------------------------------------- a group's pupils


@blueprint.get("/groups/<int:group_id>/pupils", endpoint="group_pupils")
@needs(viewer(LEARNING))
def group_pupils_page(group_id: int) -> ResponseReturnValue:
    conn = services().store.conn
    group = group_info(conn, group_id)
    if group is None:
        abort(404)
    day, error = services().clock.today(), ""
    asked = request.args.get("day", "").strip()
    if asked:
        try:
            day = date.fromisoformat(asked[:10])
        except ValueError:
            error = gettext("Enter the date as yyyy-mm-dd, e.g. 2026-09-01.")
    lists = group_pupils(conn, group_id, day)
    audit_view("club.group.pupils_viewed", f"group:{group_id}", f"on {day.isoformat()}")
    return render_template(
        "club_enrolment/group_pupils.html",
        group=group,
        lists=lists,
        day=day,
        asked=asked,
        error=error,
        year_label=school_year_label(group.school_year),
        purposes=classifiers.names(conn, "purpose"),
        reasons=DEPARTURE_REASON_NAMES,
        can_enrol=may(manager(LEARNING)),
    ), 400 if error else 200
