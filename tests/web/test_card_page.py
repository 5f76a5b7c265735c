"""One card's page at the station: the data check, the photo (the real check of the printer part),
"Kiti įrašai" with the director's order, the request form and the card's preview, and the changes
of its life — a paid or free replacement that blocks the old card at once, the payment and the
parents' notice, the return that deletes the card's data, spoiling, withdrawing. Refusals show
their reason at the field in Lithuanian and leave the database as it was."""

from __future__ import annotations

import io
import re

import pytest
from canteen_pages import audit_rows, dump, seen, text_of
from card_station_pages import (
    add_blanks,
    encoded,
    issued_card,
    jpeg_photo,
    manager,
    portrait,
    pupil,
    request_card,
    viewer,
    with_papers,
)
from flask import Flask
from PIL import Image
from pypdf import PdfReader

from emp_edge.store import Store
from emp_edge.store.card_printing import ready_to_print


@pytest.fixture
def station(app: Flask, store: Store) -> Flask:
    return with_papers(app, store)


def field_errors(html: str, name: str) -> list[str]:
    return re.findall(rf'data-error-for="{name}">([^<]*)<', html)


def face_form(**fields: str) -> dict[str, str]:
    base = {
        "first_name": "Žydrūnė",
        "last_name": "Čepulionytė",
        "birth_date": "2015-07-02",
        "school_name": "Šaltinio progimnazija",
        "school_code": "190000001",
    }
    base.update(fields)
    return base


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- the card's data


def test_the_staff_correct_and_confirm_the_printed_data(station: Flask, store: Store) -> None:
    child = pupil(store)
    card_id = request_card(store, child)
    staff = manager(station, store)
    page = text_of(staff.get(f"/cards/{card_id}"))
    assert 'value="Čepulionytė"' in page
    assert seen(station, "the card's data have not been checked") in page

    sent = staff.post(f"/cards/{card_id}/face", face_form(first_name="Žydrūnė  Ona"))

    assert sent.status_code == 302
    row = store.conn.execute(
        "SELECT first_name, checked_at IS NOT NULL FROM card_faces WHERE card_id = ?", (card_id,)
    ).fetchone()
    assert row == ("Žydrūnė Ona", 1)
    assert ready_to_print(store.conn, card_id) == ["there is no photo"]
    assert audit_rows(store, "card.data_checked") == [("rasa", f"card:{card_id}", f"pupil:{child}")]


def test_bad_data_are_refused_at_their_field(station: Flask, store: Store) -> None:
    card_id = request_card(store, pupil(store))
    staff = manager(station, store)
    before = dump(store)

    code = staff.post(f"/cards/{card_id}/face", face_form(school_code="19A"))
    name = staff.post(f"/cards/{card_id}/face", face_form(last_name=" "))

    assert code.status_code == name.status_code == 400
    assert field_errors(text_of(code), "school_code") == [
        seen(
            station,
            "the school's identification code is 5 to 12 digits, not {code!r}",
            code="19A",
        )
    ]
    assert field_errors(text_of(name), "last_name") == [seen(station, "Enter the last name.")]
    assert dump(store) == before


# ---------------------------------------------------------------- the photo


def test_a_good_photo_is_checked_cropped_and_kept(station: Flask, store: Store) -> None:
    child = pupil(store)
    card_id = request_card(store, child)
    staff = manager(station, store)

    sent = staff.post(
        f"/cards/{card_id}/photo",
        {"photo": (io.BytesIO(jpeg_photo()), "nuotrauka.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )

    assert sent.status_code == 302, text_of(sent)
    kept = store.conn.execute("SELECT jpeg FROM pupil_photos WHERE pupil_id = ?", (child,))
    image = Image.open(io.BytesIO(kept.fetchone()[0]))
    assert (image.format, image.size) == ("JPEG", (318, 354))  # cropped to the card's box
    page = text_of(staff.get(f"/cards/{card_id}"))
    assert f'src="/cards/{card_id}/photo.jpg"' in page
    assert 'capture="user"' in page
    assert 'accept="image/jpeg,image/png"' in page
    shown = staff.get(f"/cards/{card_id}/photo.jpg")
    assert shown.mimetype == "image/jpeg"
    assert shown.data == bytes(store.conn.execute("SELECT jpeg FROM pupil_photos").fetchone()[0])
    assert audit_rows(store, "card.photo_saved") == [("rasa", f"card:{card_id}", f"pupil:{child}")]
    assert audit_rows(store, "card.photo_viewed") == [("rasa", f"card:{card_id}", f"pupil:{child}")]


@pytest.mark.parametrize(
    ("data", "template", "params"),
    [
        (
            encoded(portrait((200, 223))),
            "the photo is {width} × {height} pixels: it must be at least"
            " {min_width} × {min_height}",
            {"width": 200, "height": 223, "min_width": 318, "min_height": 354},
        ),
        (b"Tai ne nuotrauka, o tekstas.\n", "the file is not a photo (JPEG or PNG)", {}),
        (
            encoded(portrait((446, 400))),
            "the photo is too wide for the card's photo box: crop it to a portrait with"
            " width:height near {ratio}",
            None,
        ),
    ],
    ids=["too-small", "text-file", "landscape"],
)
def test_a_bad_photo_is_refused_with_its_reason_and_nothing_kept(
    station: Flask, store: Store, data: bytes, template: str, params: dict[str, object] | None
) -> None:
    card_id = request_card(store, pupil(store))
    staff = manager(station, store)
    before = dump(store)

    refused = staff.post(
        f"/cards/{card_id}/photo",
        {"photo": (io.BytesIO(data), "failas.jpg")},
        content_type="multipart/form-data",
    )

    assert refused.status_code == 400
    errors = field_errors(text_of(refused), "photo")
    if params is None:  # the ratio's figure is the check's business: the words are ours
        assert errors[0].startswith(seen(station, template).split("{")[0])
    else:
        assert errors == [seen(station, template, **params)]
    assert dump(store) == before


def test_without_a_file_the_photo_form_says_so(station: Flask, store: Store) -> None:
    card_id = request_card(store, pupil(store))
    refused = manager(station, store).post(
        f"/cards/{card_id}/photo", {}, content_type="multipart/form-data"
    )
    assert refused.status_code == 400
    assert field_errors(text_of(refused), "photo") == [
        seen(station, "choose a photo file or take one with the camera")
    ]


def test_without_the_printer_part_the_photo_page_says_it_is_not_running(
    app: Flask, store: Store
) -> None:
    card_id = request_card(store, pupil(store))
    staff = manager(app, store)
    before = dump(store)
    refused = staff.post(
        f"/cards/{card_id}/photo",
        {"photo": (io.BytesIO(jpeg_photo()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 503
    assert seen(app, "The card printer's part is not running") in text_of(refused)
    assert dump(store) == before
    assert staff.get(f"/cards/{card_id}").status_code == 200  # the page itself still opens


# ---------------------------------------------------------------- "Kiti įrašai" (§18)


def test_an_entry_needs_the_directors_order_and_its_date(station: Flask, store: Store) -> None:
    card_id = request_card(store, pupil(store))
    staff = manager(station, store)
    entry = {
        "kind": "transport_route",
        "text": "Centras – Ąžuolynas",
        "director_order": "V-12",
        "director_order_date": "",
    }
    before = dump(store)

    undated = staff.post(f"/cards/{card_id}/entries", entry)
    unordered = staff.post(
        f"/cards/{card_id}/entries",
        entry | {"director_order": "", "director_order_date": "2026-09-01"},
    )

    assert undated.status_code == unordered.status_code == 400
    assert field_errors(text_of(undated), "director_order_date") == [
        seen(station, "the date of the director's order naming the pupil is missing (§18)")
    ]
    assert field_errors(text_of(unordered), "director_order") == [
        seen(station, "Enter the number of the director's order naming the pupil.")
    ]
    assert dump(store) == before

    added = staff.post(f"/cards/{card_id}/entries", entry | {"director_order_date": "2026-09-01"})
    assert added.status_code == 302
    rows = store.conn.execute(
        "SELECT id, kind, text, director_order, director_order_date FROM card_other_entries"
    ).fetchall()
    assert [r[1:] for r in rows] == [
        ("transport_route", "Centras – Ąžuolynas", "V-12", "2026-09-01")
    ]
    assert "Centras – Ąžuolynas" in text_of(staff.get(f"/cards/{card_id}"))
    removed = staff.post(f"/cards/{card_id}/entries/{rows[0][0]}/remove")
    assert removed.status_code == 302
    assert store.conn.execute("SELECT count(*) FROM card_other_entries").fetchone() == (0,)


# ---------------------------------------------------------------- the printer part's papers


def test_the_request_form_is_a_pdf_with_the_pupils_name(station: Flask, store: Store) -> None:
    child = pupil(store)
    card_id = request_card(store, child)
    response = manager(station, store).get(f"/cards/{card_id}/request.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "Čepulionytė" in text
    assert "Rūta Žemaitė" in text
    assert audit_rows(store, "card.request_form_printed") == [
        ("rasa", f"card:{card_id}", f"pupil:{child}")
    ]


def test_the_preview_is_the_card_at_300_dpi_front_and_back(station: Flask, store: Store) -> None:
    child = pupil(store)
    card_id = request_card(store, child)
    staff = manager(station, store)
    page = text_of(staff.get(f"/cards/{card_id}"))
    for side in ("front", "back"):
        assert f'src="/cards/{card_id}/preview/{side}.png"' in page
        response = staff.get(f"/cards/{card_id}/preview/{side}.png")
        assert response.mimetype == "image/png"
        image = Image.open(io.BytesIO(response.data))
        assert (image.format, image.size) == ("PNG", (1012, 638))
    assert staff.get(f"/cards/{card_id}/preview/inside.png").status_code == 404
    assert len(audit_rows(store, "card.preview_viewed")) == 2


# ---------------------------------------------------------------- rights and the audit trail


def test_a_viewer_reads_the_card_but_cannot_change_it(station: Flask, store: Store) -> None:
    child = pupil(store)
    add_blanks(store)
    issued = issued_card(store, child, uid="04000000000001")
    other = pupil(store, "Ūla", "Žemaitytė")
    asked = request_card(store, other)
    reader = viewer(station, store)
    page = reader.get(f"/cards/{asked}")
    assert page.status_code == 200
    assert "<form" not in text_of(page).split("<main>")[1]  # no buttons that would be refused
    before = dump(store)
    for path, data in (
        (f"/cards/{asked}/face", face_form()),
        (f"/cards/{asked}/photo", {}),
        (f"/cards/{asked}/entries", {}),
        (f"/cards/{asked}/entries/1/remove", {}),
        (f"/cards/{asked}/cancel", {"reason": "x"}),
        (f"/cards/{issued}/replace", {"reason": "lost"}),
        (f"/cards/{asked}/payment", {}),
        (f"/cards/{issued}/return", {"reason": "x"}),
        (f"/cards/{issued}/spoil", {"reason": "x"}),
    ):
        assert reader.post(path, data).status_code == 403, path
    assert dump(store) == before
    assert audit_rows(store, "card.viewed") == [("petras", f"card:{asked}", f"pupil:{other}")]


def test_a_card_that_does_not_exist_is_not_found(station: Flask, store: Store) -> None:
    staff = manager(station, store)
    assert staff.get("/cards/999").status_code == 404
    assert staff.get("/cards/999/request.pdf").status_code == 404
    assert staff.get("/cards/999/preview/front.png").status_code == 404
