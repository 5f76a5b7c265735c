"""What the card page tests share: the app with the real printer part plugged in, a pupil, blanks,
an issued card made with the store's own steps, and photos drawn with Pillow."""

from __future__ import annotations

import io
import random
from datetime import date

from flask import Flask
from flask_babel import force_locale, ngettext
from PIL import Image, ImageDraw
from visitor import Visitor, make_user, signed_in

from card_station_cards import receive_blanks, request_for
from club_school import add_pupil
from emp_edge.card_station.papers import StationPapers
from emp_edge.domain.access import Area, Level
from emp_edge.domain.card_station import Recipient
from emp_edge.printer.card_face import load_template
from emp_edge.store import Store
from emp_edge.store.card_faces import face, save_face, save_photo
from emp_edge.store.card_issue import hand_over, issue_card
from emp_edge.store.card_printing import claim_blank, personalise, settle_print
from emp_edge.web.card_papers import use_card_papers

ACCOUNT = "LT00 0000 0000 0000 0000"
TODAY = date(2026, 10, 5)  # the clock fixture's day


def with_papers(app: Flask, store: Store) -> Flask:
    """The app with the station's real photo check, preview and documents."""
    use_card_papers(app, StationPapers(store, load_template(), ACCOUNT))
    return app


def manager(app: Flask, store: Store, name: str = "rasa") -> Visitor:
    """A manager of the cards (reads in Lithuanian, the default)."""
    make_user(store, name, levels={Area.CARDS: Level.MANAGER}, first_name="Rasa")
    return signed_in(app, name)


def viewer(app: Flask, store: Store, name: str = "petras") -> Visitor:
    make_user(store, name, levels={Area.CARDS: Level.VIEWER}, first_name="Petras")
    return signed_in(app, name)


def pupil(
    store: Store, first: str = "Žydrūnė", last: str = "Čepulionytė", *, label: str | None = "5a"
) -> int:
    """A pupil of Šaltinio progimnazija (code 190000001) in class ``label``."""
    return add_pupil(store, first, last, label=label)


def add_blanks(store: Store, first: str = "EMP000101", last: str = "EMP000110") -> None:
    receive_blanks(store, first, last)


def request_card(store: Store, pupil_id: int) -> int:
    return request_for(store, pupil_id)


def issued_card(store: Store, pupil_id: int, uid: str = "04A1B2C3D4E5F6") -> int:
    """A card taken through request → data → photo → blank → print → chip → act → issue."""
    card_id = request_card(store, pupil_id)
    with store.transaction(require_event=False) as tx:
        data = face(tx.conn, card_id)
        assert data is not None
        save_face(tx, card_id, data, user_id=None)
        save_photo(tx, pupil_id, jpeg_photo())
    with store.transaction(require_event=False) as tx:
        claim_blank(tx, card_id, today=TODAY, user_id=None)
    with store.transaction(require_event=False) as tx:
        settle_print(tx, card_id, "printed", user_id=None)
    with store.transaction() as tx:
        personalise(tx, card_id, uid, user_id=None)
    with store.transaction() as tx:
        hand_over(tx, [card_id], TODAY, "Ona Šimkienė", "Jonas Kęstutis", user_id=None)
    with store.transaction() as tx:
        issue_card(tx, card_id, Recipient.PARENT, "Rūta Žemaitė", TODAY, user_id=None)
    return card_id


def portrait(size: tuple[int, int] = (400, 446)) -> Image.Image:
    """A dark head and shoulders on a light plain wall, with a little camera noise."""
    w, h = size
    image = Image.new("RGB", size, (230, 228, 222))
    draw = ImageDraw.Draw(image)
    draw.ellipse((int(-0.1 * w), int(0.74 * h), int(1.1 * w), int(1.5 * h)), fill=(40, 48, 80))
    draw.ellipse((int(0.31 * w), int(0.17 * h), int(0.69 * w), int(0.66 * h)), fill=(70, 50, 40))
    for x in (0.42, 0.58):
        draw.ellipse(
            (int((x - 0.03) * w), int(0.40 * h), int((x + 0.03) * w), int(0.43 * h)),
            fill=(230, 230, 230),
        )
    rng = random.Random(7)
    pixels = image.load()
    assert pixels is not None
    for y in range(h):
        for x in range(w):
            r, g, b = pixels[x, y]  # type: ignore[misc]
            n = rng.randint(-3, 3)
            pixels[x, y] = (r + n, g + n, b + n)
    return image


def encoded(image: Image.Image, kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def jpeg_photo(size: tuple[int, int] = (400, 446)) -> bytes:
    return encoded(portrait(size))


def seen_plural(app: Flask, singular: str, plural: str, num: int) -> str:
    """A counted text as a Lithuanian reader sees it."""
    with app.test_request_context(), force_locale("lt"):
        return str(ngettext(singular, plural, num))
