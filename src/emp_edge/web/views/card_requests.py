"""The card station's requests (§20) and the card's data (§16–18): a new request in two steps
(find the pupil, then who asks), the card page, the data check, the photo (uploaded or taken with
the browser's camera), "Kiti įrašai", the request form and the card's preview.

Every page showing a pupil is a row of the audit trail; every change is one transaction with its
audit row (and the store's outbox event where the registry cares). The photo is checked and
cropped by the printer part, handed in as ``CardPapers``: a refused photo says why and nothing is
kept. The routes changing an issued or personalised card are in ``card_changes``.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from emp_edge.domain.card_station import Requester
from emp_edge.domain.cards import other_entry, request_due_date
from emp_edge.errors import InputError
from emp_edge.store.card_faces import (
    PHOTO_MAX_BYTES,
    Face,
    add_other_entry,
    photo,
    remove_other_entry,
    save_face,
    save_photo,
)
from emp_edge.store.card_pages import (
    RequestPupil,
    open_cards,
    pupil_cards,
    request_pupil,
)
from emp_edge.store.card_requests import RequestInput, cancel_request, record_request
from emp_edge.store.pupil_pages import read_query, search_pupils
from emp_edge.web.access import audit, audit_view, needs, services
from emp_edge.web.card_papers import card_papers
from emp_edge.web.forms import show_error
from emp_edge.web.forms.card_requests import (
    CancelForm,
    EmptyForm,
    EntryForm,
    FaceForm,
    PhotoForm,
    RequestForm,
)
from emp_edge.web.i18n import gettext
from emp_edge.web.labels import CARD_STATE_NAMES, REQUESTER_NAMES
from emp_edge.web.views import card_changes  # noqa: F401 (its routes are on the same blueprint)
from emp_edge.web.views.card_page import CHANGE, READ, blueprint, pdf, show, the_card, user_id

__all__ = ["blueprint"]

FOUND_MAX = 50
SIDES = ("front", "back")
#: the largest photo file taken: a phone's photo is a few MB
PHOTO_FILE_MAX = 20_000_000


# ---------------------------------------------------------------- a new request


def _search_words(text: str) -> str:
    """The search for the audit trail, without any long run of digits (never a personal code)."""
    return " ".join(w for w in text.split() if sum(ch.isdigit() for ch in w) < 5)[:100]


def _find_page(q: str) -> ResponseReturnValue:
    conn = services().store.conn
    found = None
    holding: dict[int, int] = {}
    if q:
        found = search_pupils(conn, read_query(q), limit=FOUND_MAX)
        holding = open_cards(conn, [p.id for p in found.rows])
        if found.rows:
            audit_view(
                "card.request.searched",
                detail=f"search: {_search_words(q)}; {len(found.rows)} found",
            )
    return render_template(
        "card_requests/find.html", q=q, found=found, holding=holding, more=FOUND_MAX
    )


def _request_page(pupil: RequestPupil, form: RequestForm, status: int) -> ResponseReturnValue:
    conn = services().store.conn
    return render_template(
        "card_requests/new.html",
        pupil=pupil,
        form=form,
        open_card=open_cards(conn, [pupil.id]).get(pupil.id),
        cards=pupil_cards(conn, pupil.id),
        state_names=CARD_STATE_NAMES,
        pupil_name=f"{pupil.first_name} {pupil.last_name}",
    ), status


def _pupil_of(text: str | None) -> RequestPupil:
    value = (text or "").strip()
    if not value.isdigit() or len(value) > 18:
        abort(404)
    found = request_pupil(services().store.conn, int(value))
    if found is None:
        abort(404)
    return found


@blueprint.route("/requests/new", methods=["GET", "POST"])
@needs(CHANGE)
def new() -> ResponseReturnValue:
    """Step 1 finds the pupil by name or class; step 2 records who asks (annex 1 or 2)."""
    if request.method == "GET":
        if "pupil" not in request.args:
            return _find_page(request.args.get("q", "").strip()[:200])
        pupil = _pupil_of(request.args.get("pupil"))
        audit_view("card.request.opened", f"pupil:{pupil.id}")
        form = RequestForm(
            formdata=None,
            data={
                "pupil": str(pupil.id),
                "requester": Requester.PUPIL.value,
                "requester_name": f"{pupil.first_name} {pupil.last_name}",
                "requested_on": services().clock.today(),
            },
        )
        return _request_page(pupil, form, 200)
    form = RequestForm()
    pupil = _pupil_of(form.pupil.data)
    if not form.validate():
        return _request_page(pupil, form, 400)
    requester = Requester(form.requester.data)
    name = form.requester_name.data or ""
    if not name and requester is Requester.PUPIL:
        name = f"{pupil.first_name} {pupil.last_name}"
    requested_on = form.requested_on.data
    assert requested_on is not None  # Filled
    asked = RequestInput(pupil.id, requested_on, requester, name, form.requester_contact.data or "")
    try:
        with services().store.transaction() as tx:
            card_id = record_request(tx, asked, user_id=user_id())
            audit(
                tx,
                "card.requested",
                f"card:{card_id}",
                f"pupil:{pupil.id}; form={requester.form}; requested_on={requested_on}",
            )
    except InputError as err:
        show_error(form, err)
        return _request_page(pupil, form, 400)
    flash(
        gettext(
            "The request of %(pupil)s is recorded as card %(card)s (%(who)s asked). The card is"
            " due by %(day)s.",
            pupil=f"{pupil.first_name} {pupil.last_name}",
            card=card_id,
            who=REQUESTER_NAMES[requester],
            day=request_due_date(requested_on).isoformat(),
        ),
        "success",
    )
    return redirect(url_for(".card", card_id=card_id))


# ---------------------------------------------------------------- the card page


@blueprint.get("/<int:card_id>")
@needs(READ)
def card(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    audit_view("card.viewed", f"card:{card_id}", f"pupil:{found.pupil_id}")
    return show(found)


@blueprint.post("/<int:card_id>/face", endpoint="save_face")
@needs(CHANGE)
def save_face_view(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    form = FaceForm()
    if not form.validate():
        return show(found, {"face": form}, 400)
    born = form.birth_date.data
    assert born is not None  # Filled
    data = Face(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        birth_date=born,
        school_name=form.school_name.data or "",
        school_code=form.school_code.data or "",
    )
    try:
        with services().store.transaction(require_event=False) as tx:
            save_face(tx, card_id, data, user_id=user_id())
            audit(tx, "card.data_checked", f"card:{card_id}", f"pupil:{found.pupil_id}")
    except InputError as err:
        show_error(form, err)
        return show(found, {"face": form}, 400)
    flash(gettext("The card's data are checked and confirmed."), "success")
    return redirect(url_for(".card", card_id=card_id))


def _upload(form: PhotoForm) -> bytes:
    """The file sent, or an InputError at the photo field."""
    sent = form.photo.data
    if not isinstance(sent, FileStorage) or not sent.filename:
        raise InputError("choose a photo file or take one with the camera", where="photo")
    data: bytes = sent.read(PHOTO_FILE_MAX + 1)
    if not data:
        raise InputError("the file is empty", where="photo")
    if len(data) > PHOTO_FILE_MAX:
        raise InputError(
            "the file is larger than {limit} MB: send a smaller photo",
            where="photo",
            limit=PHOTO_FILE_MAX // 1_000_000,
        )
    return data


@blueprint.post("/<int:card_id>/photo", endpoint="photo")
@needs(CHANGE)
def photo_view(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    form = PhotoForm()
    if not form.validate():
        return show(found, {"photo": form}, 400)
    try:
        if found.state.value != "requested":
            raise InputError(
                "the pupil's card is already printed: its photo can no longer change (§29)",
                where="photo",
            )
        jpeg = card_papers().check_photo(_upload(form))
        if len(jpeg) > PHOTO_MAX_BYTES:
            raise InputError("the photo must be a checked JPEG of at most 2 MB", where="photo")
        with services().store.transaction(require_event=False) as tx:
            save_photo(tx, found.pupil_id, jpeg)
            audit(tx, "card.photo_saved", f"card:{card_id}", f"pupil:{found.pupil_id}")
    except InputError as err:
        show_error(form, err)
        return show(found, {"photo": form}, 400)
    flash(gettext("The photo is checked and kept for the card."), "success")
    return redirect(url_for(".card", card_id=card_id))


@blueprint.get("/<int:card_id>/photo.jpg")
@needs(READ)
def photo_image(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    jpeg = photo(services().store.conn, found.pupil_id)
    if jpeg is None:
        abort(404)
    audit_view("card.photo_viewed", f"card:{card_id}", f"pupil:{found.pupil_id}")
    return Response(jpeg, mimetype="image/jpeg")


@blueprint.post("/<int:card_id>/entries")
@needs(CHANGE)
def add_entry(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    form = EntryForm()
    if not form.validate():
        return show(found, {"entry": form}, 400)
    try:
        entry = other_entry(form.kind.data, form.text.data or "", form.director_order.data or "")
        with services().store.transaction(require_event=False) as tx:
            entry_id = add_other_entry(
                tx, card_id, entry, form.director_order_date.data, user_id=user_id()
            )
            audit(
                tx,
                "card.entry_added",
                f"card:{card_id}",
                f"entry:{entry_id}; kind={entry.kind.value}; order={entry.director_order}",
            )
    except InputError as err:
        show_error(form, err)
        return show(found, {"entry": form}, 400)
    flash(gettext("The entry is added to the back of the card."), "success")
    return redirect(url_for(".card", card_id=card_id))


@blueprint.post("/<int:card_id>/entries/<int:entry_id>/remove")
@needs(CHANGE)
def remove_entry(card_id: int, entry_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    form = EmptyForm()
    if not form.validate():
        return show(found, {"entries": form}, 400)
    try:
        with services().store.transaction(require_event=False) as tx:
            remove_other_entry(tx, card_id, entry_id)
            audit(tx, "card.entry_removed", f"card:{card_id}", f"entry:{entry_id}")
    except InputError as err:
        show_error(form, err)
        return show(found, {"entries": form}, 400)
    flash(gettext("The entry is taken off the card."), "success")
    return redirect(url_for(".card", card_id=card_id))


@blueprint.post("/<int:card_id>/cancel")
@needs(CHANGE)
def cancel(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    form = CancelForm()
    if not form.validate():
        return show(found, {"cancel": form}, 400)
    try:
        with services().store.transaction() as tx:
            cancel_request(tx, card_id, form.reason.data or "", user_id=user_id())
            audit(tx, "card.request_cancelled", f"card:{card_id}", f"pupil:{found.pupil_id}")
    except InputError as err:
        show_error(form, err)
        return show(found, {"cancel": form}, 400)
    flash(gettext("The request is withdrawn; the card's data are deleted."), "success")
    return redirect(url_for(".card", card_id=card_id))


# ---------------------------------------------------------------- the printer part's papers


@blueprint.get("/<int:card_id>/request.pdf")
@needs(READ)
def request_form(card_id: int) -> ResponseReturnValue:
    found = the_card(card_id)
    document = card_papers().request_form(card_id)
    audit_view("card.request_form_printed", f"card:{card_id}", f"pupil:{found.pupil_id}")
    return pdf(document, f"prasymas-{card_id}.pdf")


@blueprint.get("/<int:card_id>/preview/<side>.png")
@needs(READ)
def preview(card_id: int, side: str) -> ResponseReturnValue:
    if side not in SIDES:
        abort(404)
    found = the_card(card_id)
    front, back = card_papers().preview(card_id)
    audit_view("card.preview_viewed", f"card:{card_id}", f"pupil:{found.pupil_id}; {side}")
    return Response(front if side == "front" else back, mimetype="image/png")
