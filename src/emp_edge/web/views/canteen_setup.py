"""The canteen's setup pages: meal types with their serving windows and default items, and the
items the tills sell.

Viewers of the canteen see them; managers change them. Each change is one transaction with its
outbox event (the store emits it) and its audit row; bad input re-shows the form with the reason
and changes nothing. Items are never deleted (sales keep their lines): they are made inactive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from emp_edge.domain.access import Area, manager, viewer
from emp_edge.domain.canteen import Item, MealWindow
from emp_edge.domain.money import format_eur
from emp_edge.errors import InputError
from emp_edge.store.canteen_setup import (
    add_item,
    add_meal_type,
    all_items,
    change_item,
    change_meal_type,
    find_item,
    find_meal_type,
)
from emp_edge.store.canteen_till import meal_windows
from emp_edge.web.access import audit, may, needs, services
from emp_edge.web.forms import show_error
from emp_edge.web.forms.canteen import ItemForm, MealTypeForm
from emp_edge.web.i18n import gettext

blueprint = Blueprint("canteen_setup", __name__, url_prefix="/canteen")

CANTEEN = Area.CANTEEN


@dataclass(frozen=True)
class Overlap:
    """Two serving windows open at once: from ``start`` to ``end`` the till sells ``wins``."""

    first: MealWindow
    second: MealWindow
    start: time
    end: time
    wins: MealWindow


def overlaps(windows: list[MealWindow]) -> list[Overlap]:
    """Every pair of windows that overlap; of the two, the later-starting one is sold."""
    found = []
    for index, first in enumerate(windows):
        for second in windows[index + 1 :]:
            start = max(first.serves_from, second.serves_from)
            end = min(first.serves_until, second.serves_until)
            if start < end:
                wins = max(first, second, key=lambda w: (w.serves_from, w.code))
                found.append(Overlap(first, second, start, end, wins))
    return found


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M")


# ---------------------------------------------------------------- meal types


@blueprint.get("/meals")
@needs(viewer(CANTEEN))
def meals() -> ResponseReturnValue:
    conn = services().store.conn
    items = {item.id: item for item in all_items(conn)}
    return render_template(
        "canteen_setup/meals.html",
        windows=meal_windows(conn),
        items=items,
        overlaps=overlaps(meal_windows(conn)),
        clock=_clock,
        can_manage=may(manager(CANTEEN)),
    )


def _item_choices(current: int | None = None) -> list[SelectChoice]:
    """Active items (and the current default, even if inactive) for the default-item list."""
    choices = [SelectChoice("", gettext("none: a tap must pick its items"))]
    for item in all_items(services().store.conn):
        if item.active or item.id == current:
            label = f"{item.name} ({format_eur(item.price_cents)})"
            choices.append(SelectChoice(str(item.id), label))
    return choices


def _meal_page(form: MealTypeForm, window: MealWindow | None, status: int) -> ResponseReturnValue:
    return render_template("canteen_setup/meal_form.html", form=form, window=window), status


@blueprint.route("/meals/new", methods=["GET", "POST"])
@needs(manager(CANTEEN))
def new_meal() -> ResponseReturnValue:
    form = MealTypeForm()
    form.default_item.choices = _item_choices()
    if request.method == "GET":
        return _meal_page(form, None, 200)
    if not form.validate():
        return _meal_page(form, None, 400)
    try:
        with services().store.transaction() as tx:
            window = add_meal_type(
                tx,
                form.code.data or "",
                form.name.data or "",
                form.serves_from.data or "",
                form.serves_until.data or "",
                form.default_item_id(),
            )
            audit(tx, "canteen.meal_type.added", f"meal_type:{window.code}", _meal_detail(window))
    except InputError as err:
        show_error(form, err)
        return _meal_page(form, None, 400)
    flash(gettext("Meal type %(name)s added.", name=window.name), "success")
    return redirect(url_for(".meals"))


@blueprint.route("/meals/<code>", methods=["GET", "POST"])
@needs(manager(CANTEEN))
def edit_meal(code: str) -> ResponseReturnValue:
    window = find_meal_type(services().store.conn, code)
    if window is None:
        abort(404)
    if request.method == "GET":
        form = MealTypeForm(
            formdata=None,
            data={
                "code": window.code,
                "name": window.name,
                "serves_from": _clock(window.serves_from),
                "serves_until": _clock(window.serves_until),
                "default_item": str(window.default_item_id or ""),
            },
        )
        form.default_item.choices = _item_choices(window.default_item_id)
        return _meal_page(form, window, 200)
    form = MealTypeForm()
    form.code.data = window.code  # a meal type's code never changes
    form.default_item.choices = _item_choices(window.default_item_id)
    if not form.validate():
        return _meal_page(form, window, 400)
    try:
        with services().store.transaction() as tx:
            saved = change_meal_type(
                tx,
                window.code,
                form.name.data or "",
                form.serves_from.data or "",
                form.serves_until.data or "",
                form.default_item_id(),
            )
            if saved is not None:
                audit(tx, "canteen.meal_type.changed", f"meal_type:{code}", _meal_detail(saved))
    except InputError as err:
        show_error(form, err)
        return _meal_page(form, window, 400)
    if saved is None:
        flash(gettext("Nothing was changed."), "info")
    else:
        flash(gettext("Meal type %(name)s saved.", name=saved.name), "success")
    return redirect(url_for(".meals"))


def _meal_detail(window: MealWindow) -> str:
    default = window.default_item_id if window.default_item_id is not None else "none"
    return (
        f"name={window.name}; serves {_clock(window.serves_from)}-{_clock(window.serves_until)};"
        f" default_item={default}"
    )


# ---------------------------------------------------------------- items


@blueprint.get("/items")
@needs(viewer(CANTEEN))
def items() -> ResponseReturnValue:
    conn = services().store.conn
    return render_template(
        "canteen_setup/items.html",
        items=all_items(conn),
        meals={w.code: w for w in meal_windows(conn)},
        eur=format_eur,
        can_manage=may(manager(CANTEEN)),
    )


def _meal_choices() -> list[SelectChoice]:
    choices = [SelectChoice("", gettext("no meal: always paid"))]
    for window in meal_windows(services().store.conn):
        choices.append(SelectChoice(window.code, window.name))
    return choices


def _item_page(form: ItemForm, item: Item | None, status: int) -> ResponseReturnValue:
    return render_template("canteen_setup/item_form.html", form=form, item=item), status


@blueprint.route("/items/new", methods=["GET", "POST"])
@needs(manager(CANTEEN))
def new_item() -> ResponseReturnValue:
    form = ItemForm(data={"active": True} if request.method == "GET" else None)
    form.meal_type.choices = _meal_choices()
    if request.method == "GET":
        return _item_page(form, None, 200)
    if not form.validate():
        return _item_page(form, None, 400)
    try:
        with services().store.transaction() as tx:
            item = add_item(
                tx,
                form.name.data or "",
                form.price.data if form.price.data is not None else 0,
                form.meal_type.data or None,
                bool(form.active.data),
            )
            audit(tx, "canteen.item.added", f"item:{item.id}", _item_detail(item))
    except InputError as err:
        show_error(form, err)
        return _item_page(form, None, 400)
    flash(gettext("Item %(name)s added.", name=item.name), "success")
    return redirect(url_for(".items"))


@blueprint.route("/items/<int:item_id>", methods=["GET", "POST"])
@needs(manager(CANTEEN))
def edit_item(item_id: int) -> ResponseReturnValue:
    item = find_item(services().store.conn, item_id)
    if item is None:
        abort(404)
    if request.method == "GET":
        data = {
            "name": item.name,
            "price": item.price_cents,
            "meal_type": item.meal_type or "",
            "active": item.active,
        }
        form = ItemForm(formdata=None, data=data)
        form.meal_type.choices = _meal_choices()
        return _item_page(form, item, 200)
    form = ItemForm()
    form.meal_type.choices = _meal_choices()
    if not form.validate():
        return _item_page(form, item, 400)
    try:
        with services().store.transaction() as tx:
            saved = change_item(
                tx,
                item_id,
                form.name.data or "",
                form.price.data if form.price.data is not None else 0,
                form.meal_type.data or None,
                bool(form.active.data),
            )
            if saved is not None:
                audit(tx, "canteen.item.changed", f"item:{item_id}", _item_detail(saved))
    except InputError as err:
        show_error(form, err)
        return _item_page(form, item, 400)
    if saved is None:
        flash(gettext("Nothing was changed."), "info")
    else:
        flash(gettext("Item %(name)s saved.", name=saved.name), "success")
    return redirect(url_for(".items"))


def _item_detail(item: Item) -> str:
    return (
        f"name={item.name}; price_cents={item.price_cents}; meal={item.meal_type or 'none'};"
        f" active={'yes' if item.active else 'no'}"
    )
