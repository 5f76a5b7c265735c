"""Users: named accounts with the MR form's details, rights per area, validity and the pledge.

Admins only. Each change is one transaction with its outbox event (the store emits it) and its
audit row; bad input re-shows the form with the error at its field and changes nothing. No
page ever shows a personal code unmasked, and no audit row holds a password or personal code.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from emp_edge.domain.access import ADMIN, Area, Level
from emp_edge.domain.personal_code import mask
from emp_edge.errors import InputError
from emp_edge.store.accounts import (
    Account,
    Details,
    NewUser,
    Refusal,
    add_user,
    describe_change,
    describe_rights,
    list_accounts,
    load_account,
    set_disabled,
    set_password,
    update_user,
)
from emp_edge.web.access import audit, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.users import NewUserForm, PasswordForm, UserForm, initial
from emp_edge.web.labels import AREA_NAMES, LEVEL_NAMES

blueprint = Blueprint("users", __name__, url_prefix="/users")


@dataclass(frozen=True)
class Row:
    """One account as the list shows it."""

    account: Account
    rights: str
    state: str  # active, disabled, not_yet_valid, expired
    state_text: str


def _state(account: Account) -> tuple[str, str]:
    refusal = account.refusal(services().clock.today())
    if refusal is None:
        return "active", gettext("active")
    if refusal is Refusal.DISABLED:
        return str(refusal), gettext("disabled")
    if refusal is Refusal.NOT_YET_VALID:
        return str(refusal), gettext("outside validity: not yet valid")
    return str(refusal), gettext("outside validity: expired")


def _rights(account: Account) -> str:
    held = [
        f"{AREA_NAMES[area]}: {LEVEL_NAMES[account.grants.level(area)]}"
        for area in Area
        if account.grants.level(area) > Level.NONE
    ]
    return "; ".join(held) or "—"


def _account(user_id: int) -> Account:
    account = load_account(services().store.conn, user_id)
    if account is None:
        abort(404)
    return account


def _is_me(account: Account) -> bool:
    return bool(current_user.account.id == account.id)


def _locks_out(details: Details) -> bool:
    """True when these dates would shut the account out today."""
    today = services().clock.today()
    return details.valid_from > today or (details.valid_to is not None and details.valid_to < today)


@blueprint.get("/")
@needs(ADMIN)
def index() -> ResponseReturnValue:
    rows = []
    for account in list_accounts(services().store.conn):
        state, state_text = _state(account)
        rows.append(Row(account, _rights(account), state, state_text))
    return render_template("users/index.html", rows=rows)


@blueprint.route("/new", methods=["GET", "POST"])
@needs(ADMIN)
def new() -> ResponseReturnValue:
    form = NewUserForm()
    if request.method == "GET":
        form.valid_from.data = services().clock.today()
        return render_template("users/new.html", form=form)
    if not form.validate():
        return render_template("users/new.html", form=form), 400
    levels = form.levels()
    details = form.details()
    user = NewUser(
        username=form.username.data,
        password=form.password.data,
        is_admin=form.is_admin.data,
        details=details,
        levels=levels,
        club_leader=bool(form.club_leader.data),
    )
    try:
        with services().store.transaction() as tx:
            user_id = add_user(tx, user)
            detail = describe_rights(levels, is_admin=user.is_admin)
            if user.club_leader:
                detail += "; club leader=yes"
            audit(tx, "user.added", f"user:{user_id}", detail)
    except InputError as err:
        show_error(form, err)
        return render_template("users/new.html", form=form), 400
    flash(gettext("User %(username)s added.", username=user.username.strip()), "success")
    return redirect(url_for("users.edit", user_id=user_id))


def _edit_page(
    account: Account, form: UserForm, password_form: PasswordForm, status: int = 200
) -> ResponseReturnValue:
    state, state_text = _state(account)
    return render_template(
        "users/edit.html",
        account=account,
        form=form,
        password_form=password_form,
        masked_code=mask(account.details.personal_code),
        state=state,
        state_text=state_text,
        is_me=_is_me(account),
    ), status


@blueprint.route("/<int:user_id>", methods=["GET", "POST"])
@needs(ADMIN)
def edit(user_id: int) -> ResponseReturnValue:
    account = _account(user_id)
    password_form = PasswordForm(formdata=None)
    if request.method == "GET":
        return _edit_page(account, UserForm(data=initial(account)), password_form)
    form = UserForm()
    if not form.validate():
        return _edit_page(account, form, password_form, 400)
    if _is_me(account) and not form.is_admin.data:
        form.is_admin.errors.append(
            gettext("You cannot take your own administrator right away; ask another admin.")
        )
        return _edit_page(account, form, password_form, 400)
    details = form.details(account.details.personal_code)
    if _is_me(account) and _locks_out(details):
        form.valid_to.errors.append(
            gettext("Your own account must stay valid today; ask another admin to end it.")
        )
        return _edit_page(account, form, password_form, 400)
    levels = form.levels()
    leader = bool(form.club_leader.data)
    change = describe_change(
        account, details, levels, is_admin=form.is_admin.data, club_leader=leader
    )
    if not change:
        flash(gettext("Nothing was changed."), "info")
        return redirect(url_for("users.edit", user_id=user_id))
    try:
        with services().store.transaction() as tx:
            update_user(
                tx, user_id, details, levels, is_admin=form.is_admin.data, club_leader=leader
            )
            audit(tx, "user.changed", f"user:{user_id}", change)
    except InputError as err:
        show_error(form, err)
        return _edit_page(account, form, password_form, 400)
    flash(gettext("The changes to %(username)s are saved.", username=account.username), "success")
    return redirect(url_for("users.edit", user_id=user_id))


@blueprint.post("/<int:user_id>/disable")
@needs(ADMIN)
def disable(user_id: int) -> ResponseReturnValue:
    account = _account(user_id)
    if _is_me(account):
        raise InputError("you cannot disable your own account; ask another admin", where="user")
    if not account.disabled:
        with services().store.transaction() as tx:
            set_disabled(tx, user_id, True)
            audit(tx, "user.disabled", f"user:{user_id}")
    flash(gettext("%(username)s is disabled and cannot sign in.", username=account.username),
          "success")  # fmt: skip
    return redirect(url_for("users.edit", user_id=user_id))


@blueprint.post("/<int:user_id>/enable")
@needs(ADMIN)
def enable(user_id: int) -> ResponseReturnValue:
    account = _account(user_id)
    if account.disabled:
        with services().store.transaction() as tx:
            set_disabled(tx, user_id, False)
            audit(tx, "user.enabled", f"user:{user_id}")
    flash(gettext("%(username)s is enabled again.", username=account.username), "success")
    return redirect(url_for("users.edit", user_id=user_id))


@blueprint.post("/<int:user_id>/password")
@needs(ADMIN)
def reset_password(user_id: int) -> ResponseReturnValue:
    account = _account(user_id)
    password_form = PasswordForm()
    form = UserForm(formdata=None, data=initial(account))
    if not password_form.validate():
        return _edit_page(account, form, password_form, 400)
    try:
        with services().store.transaction() as tx:
            set_password(tx, user_id, password_form.password.data)
            audit(tx, "user.password_reset", f"user:{user_id}")
    except InputError as err:
        show_error(password_form, err)
        return _edit_page(account, form, password_form, 400)
    flash(gettext("The password of %(username)s is changed.", username=account.username),
          "success")  # fmt: skip
    return redirect(url_for("users.edit", user_id=user_id))
