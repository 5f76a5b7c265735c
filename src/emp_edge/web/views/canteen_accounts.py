"""A pupil's canteen account: find the pupil, see the balance and its history, and (managers)
top up, refund a sale, correct, set the daily limit, the no-buy items, the diet note and the
free meals entered by staff.

Every list and account viewed is one row of the audit trail. Each change is one transaction:
the store writes its rows and outbox event, and the audit row of the change goes in with them.
Bad input re-shows the account with the reason at the top and next to the field, and changes
nothing (no audit row either: the account's view was recorded when it was opened).
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.money import format_eur
from emp_edge.errors import InputError
from emp_edge.store.canteen_accounts import CanteenAccount, balances, canteen_account
from emp_edge.store.canteen_setup import (
    add_entitlement,
    all_items,
    end_entitlement,
    set_daily_limit,
    set_diet_note,
    set_no_buy,
)
from emp_edge.store.canteen_till import meal_windows
from emp_edge.store.ledger import add_correction, add_refund, add_top_up, sale_to_refund
from emp_edge.store.outbox import Transaction
from emp_edge.store.pupil_pages import PupilQuery, read_query, search_pupils
from emp_edge.web.access import audit, audit_view, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.canteen import (
    CorrectionForm,
    DietNoteForm,
    EndEntitlementForm,
    EntitlementForm,
    LimitForm,
    NoBuyForm,
    RefundForm,
    TopUpForm,
)
from emp_edge.web.i18n import gettext

blueprint = Blueprint("canteen_accounts", __name__, url_prefix="/canteen/pupils")

CANTEEN = Area.CANTEEN
PER_PAGE = 50
MAX_PAGE = 10_000

KIND_NAMES = {
    "topup": lazy_gettext("top-up"),
    "sale": lazy_gettext("sale"),
    "refund": lazy_gettext("refund"),
    "correction": lazy_gettext("correction"),
    "served": lazy_gettext("served, nothing to pay"),
}
METHOD_NAMES = {"cash": lazy_gettext("cash"), "bank": lazy_gettext("bank transfer")}
SOURCE_NAMES = {"registry": lazy_gettext("registry"), "staff": lazy_gettext("entered at school")}

#: the forms of the account page, by the name the template knows them
FORMS: dict[str, type[FlaskForm]] = {
    "topup": TopUpForm,
    "refund": RefundForm,
    "correction": CorrectionForm,
    "limit": LimitForm,
    "no_buy": NoBuyForm,
    "diet_note": DietNoteForm,
    "entitlement": EntitlementForm,
    "end": EndEntitlementForm,
}


# ---------------------------------------------------------------- the list


@blueprint.get("/")
@needs(viewer(CANTEEN))
def index() -> ResponseReturnValue:
    text = request.args.get("q", "").strip()[:200]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = read_query(text)
    conn = services().store.conn
    found = search_pupils(conn, query, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    if found.rows:
        audit_view("canteen.accounts.listed", detail=_list_detail(query, page, found.total))
    return render_template(
        "canteen_accounts/index.html",
        q=text,
        query=query,
        found=found,
        balances=balances(conn, [row.id for row in found.rows]),
        page=page,
        pages=max(1, ceil(found.total / PER_PAGE)),
        eur=format_eur,
    )


def _list_detail(query: PupilQuery, page: int, total: int) -> str:
    """What was searched, for the audit trail: never a word with digits (a personal code)."""
    names = [w for w in query.words if not any(ch.isdigit() for ch in w)]
    parts = [f"names: {' '.join(names)[:100]}"] if names else []
    if query.classes:
        parts.append("classes: " + ", ".join(c.label for c in query.classes))
    if len(names) < len(query.words):
        parts.append(f"{len(query.words) - len(names)} word(s) with digits not recorded")
    return "; ".join([*(parts or ["all active pupils"]), f"page {page}", f"{total} found"])


# ---------------------------------------------------------------- one account


def _account(pupil_id: int) -> CanteenAccount:
    found = canteen_account(services().store.conn, pupil_id)
    if found is None:
        abort(404)
    return found


def _forms(account: CanteenAccount, bound: dict[str, FlaskForm]) -> dict[str, FlaskForm]:
    """Every form of the page: the one just sent as it was, the others fresh."""
    forms = {name: bound.get(name) or kind(formdata=None) for name, kind in FORMS.items()}
    if "limit" not in bound and account.limit is not None:
        forms["limit"] = LimitForm(formdata=None, data={"daily_limit": account.limit.cents})
    if "diet_note" not in bound:
        forms["diet_note"] = DietNoteForm(formdata=None, data={"diet_note": account.diet_note})
    if "end" not in bound:
        forms["end"] = EndEntitlementForm(
            formdata=None, data={"valid_to": services().clock.today()}
        )
    meals = meal_windows(services().store.conn)
    entitlement = forms["entitlement"]
    assert isinstance(entitlement, EntitlementForm)
    entitlement.meal_type.choices = [SelectChoice(w.code, w.name) for w in meals]
    return forms


def _page(
    account: CanteenAccount, bound: dict[str, FlaskForm] | None = None, status: int = 200
) -> ResponseReturnValue:
    bound = bound or {}
    refused = [
        message
        for form in bound.values()
        for message in [*form.form_errors, *(m for f in form for m in f.errors)]
    ]
    return render_template(
        "canteen_accounts/show.html",
        account=account,
        forms=_forms(account, bound),
        sent=next(iter(bound), ""),
        refused=refused,
        items=all_items(services().store.conn),
        today=services().clock.today(),
        can_manage=may(manager(CANTEEN)),
        link_pupil=may(viewer(Area.PERSONAL_DATA)),
        kinds=KIND_NAMES,
        methods=METHOD_NAMES,
        sources=SOURCE_NAMES,
        eur=format_eur,
    ), status


@blueprint.get("/<int:pupil_id>")
@needs(viewer(CANTEEN))
def show(pupil_id: int) -> ResponseReturnValue:
    account = _account(pupil_id)
    audit_view("canteen.account.viewed", f"pupil:{pupil_id}")
    return _page(account)


def _act(
    pupil_id: int, name: str, change: Callable[[Transaction, Any], str]
) -> ResponseReturnValue:
    """Send form ``name``; ``change`` writes it with its audit row and says what was done."""
    account = _account(pupil_id)
    form = FORMS[name]()
    if not form.validate():
        return _page(account, {name: form}, 400)
    try:
        with services().store.transaction() as tx:
            done = change(tx, form)
    except InputError as err:
        show_error(form, err)
        return _page(account, {name: form}, 400)
    flash(done, "success")
    return redirect(url_for(".show", pupil_id=pupil_id))


def _user() -> int:
    return int(current_user.account.id)


def _subject(pupil_id: int) -> str:
    return f"pupil:{pupil_id}"


@blueprint.post("/<int:pupil_id>/top-up")
@needs(manager(CANTEEN))
def top_up(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: TopUpForm) -> str:
        cents = form.amount.data or 0
        event = add_top_up(
            tx,
            pupil_id,
            cents,
            form.method.data or "",
            form.reference.data or "",
            user_id=_user(),
            max_cents=int(services().settings["canteen.max_top_up_cents"]),
        )
        detail = f"amount_cents={cents}; method={form.method.data}; event={event}"
        audit(tx, "canteen.topup", _subject(pupil_id), detail)
        return gettext("Topped up by %(amount)s.", amount=format_eur(cents))

    return _act(pupil_id, "topup", change)


@blueprint.post("/<int:pupil_id>/refund")
@needs(manager(CANTEEN))
def refund(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: RefundForm) -> str:
        sale_event = (form.sale.data or "").strip()[:64]
        if sale_to_refund(tx.conn, sale_event).pupil_id != pupil_id:
            raise InputError("the sale {event!r} is not this pupil's", event=sale_event)
        cents = form.amount.data or 0
        event = add_refund(tx, sale_event, cents, form.reason.data or "", user_id=_user())
        detail = f"amount_cents={cents}; sale={sale_event}; event={event}"
        audit(tx, "canteen.refund", _subject(pupil_id), detail)
        return gettext("%(amount)s given back to the balance.", amount=format_eur(cents))

    return _act(pupil_id, "refund", change)


@blueprint.post("/<int:pupil_id>/correction")
@needs(manager(CANTEEN))
def correction(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: CorrectionForm) -> str:
        cents = form.amount.data or 0
        settings = services().settings
        event = add_correction(
            tx,
            pupil_id,
            cents,
            form.reason.data or "",
            user_id=_user(),
            max_cents=int(settings["canteen.max_top_up_cents"]),
            overdraft_limit_cents=int(settings["canteen.overdraft_limit_cents"]),
        )
        audit(tx, "canteen.correction", _subject(pupil_id), f"amount_cents={cents}; event={event}")
        return gettext("Corrected by %(amount)s.", amount=format_eur(cents))

    return _act(pupil_id, "correction", change)


@blueprint.post("/<int:pupil_id>/limit")
@needs(manager(CANTEEN))
def limit(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: LimitForm) -> str:
        cents = form.daily_limit.data
        set_daily_limit(tx, pupil_id, cents, form.limit_note.data or "")
        shown = "none" if cents is None else str(cents)
        audit(tx, "canteen.limit.set", _subject(pupil_id), f"daily_limit_cents={shown}")
        if cents is None:
            return gettext("The daily limit is cleared.")
        return gettext("The daily limit is %(amount)s.", amount=format_eur(cents))

    return _act(pupil_id, "limit", change)


@blueprint.post("/<int:pupil_id>/no-buy")
@needs(manager(CANTEEN))
def no_buy(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: NoBuyForm) -> str:
        saved = set_no_buy(tx, pupil_id, form.item_ids())
        detail = "items=" + (",".join(map(str, saved)) or "none")
        audit(tx, "canteen.no_buy.set", _subject(pupil_id), detail)
        return gettext("The items not to sell are saved.")

    return _act(pupil_id, "no_buy", change)


@blueprint.post("/<int:pupil_id>/diet-note")
@needs(manager(CANTEEN))
def diet_note(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: DietNoteForm) -> str:
        note = set_diet_note(tx, pupil_id, form.diet_note.data or "")
        detail = f"note of {len(note)} characters" if note else "note cleared"
        audit(tx, "pupil.diet_note.set", _subject(pupil_id), detail)
        return gettext("The diet note is saved.")

    return _act(pupil_id, "diet_note", change)


@blueprint.post("/<int:pupil_id>/entitlements")
@needs(manager(CANTEEN))
def add_free_meal(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: EntitlementForm) -> str:
        first, last = form.valid_from.data, form.valid_to.data
        assert first is not None, "the form checked it"
        meal = form.meal_type.data or ""
        entitlement = add_entitlement(
            tx, pupil_id, meal, first, last, form.entitlement_note.data or ""
        )
        until = last.isoformat() if last else "open"
        detail = f"entitlement={entitlement}; meal={meal}; {first.isoformat()}..{until}"
        audit(tx, "meal_entitlement.added", _subject(pupil_id), detail)
        return gettext("The free meal is added.")

    return _act(pupil_id, "entitlement", change)


@blueprint.post("/<int:pupil_id>/entitlements/end")
@needs(manager(CANTEEN))
def end_free_meal(pupil_id: int) -> ResponseReturnValue:
    def change(tx: Transaction, form: EndEntitlementForm) -> str:
        last = form.valid_to.data
        assert last is not None, "the form checked it"
        entitlement = form.entitlement_id()
        end_entitlement(tx, pupil_id, entitlement, last)
        detail = f"entitlement={entitlement}; last_day={last.isoformat()}"
        audit(tx, "meal_entitlement.ended", _subject(pupil_id), detail)
        return gettext("The free meal ends on %(day)s.", day=last.isoformat())

    return _act(pupil_id, "end", change)
