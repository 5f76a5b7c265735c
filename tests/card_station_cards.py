"""Cards ready to print on a real store, for the batch and the card station's page tests:
blanks received, a pupil's request, the card's data checked and a real JPEG photo.

Imported as ``from card_station_cards import …`` (the tests folder is on the path).
"""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw

from club_school import VILNIUS_SCHOOL, add_pupil
from emp_edge.domain.card_station import Requester, blank_range
from emp_edge.store import Store
from emp_edge.store.blank_stock import receive_batch
from emp_edge.store.card_faces import face, save_face, save_photo
from emp_edge.store.card_printing import claim_blank, personalise, settle_print
from emp_edge.store.card_requests import RequestInput, record_request
from emp_edge.terminal.authenticity import CardKeys

TODAY = date(2026, 10, 5)
KEYS = CardKeys(
    bytes.fromhex("00112233445566778899AABBCCDDEEFF"), bytes.fromhex("F5EE01"), VILNIUS_SCHOOL[0]
)


def photo_jpeg(size: tuple[int, int] = (318, 354)) -> bytes:
    """A head and shoulders on a light wall, as a checked photo is: a JPEG of the box's size."""
    image = Image.new("RGB", size, (228, 226, 219))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((int(0.3 * w), int(0.15 * h), int(0.7 * w), int(0.65 * h)), fill=(206, 166, 136))
    draw.ellipse((int(-0.1 * w), int(0.74 * h), int(1.1 * w), int(1.5 * h)), fill=(38, 48, 82))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def receive_blanks(store: Store, first: str = "EMP000101", last: str = "EMP000120") -> None:
    with store.transaction() as tx:
        receive_batch(tx, blank_range(first, last), TODAY, "VAZ-1", user_id=None)


def request_for(store: Store, pupil: int) -> int:
    """A card asked for the pupil by a parent, its data not checked, no photo; its number."""
    with store.transaction() as tx:
        return record_request(
            tx,
            RequestInput(pupil, TODAY, Requester.PARENT, "Rūta Žemaitė", "+37060000000"),
            user_id=None,
        )


def requested_card(store: Store, first: str, last: str, label: str = "1a") -> tuple[int, int]:
    """A pupil with a card asked for by a parent, its data not checked, no photo; (pupil, card)."""
    pupil = add_pupil(store, first, last, label=label)
    return pupil, request_for(store, pupil)


def make_ready(store: Store, pupil: int, card: int) -> None:
    """The card's data checked and the pupil's photo taken: the card may be printed."""
    with store.transaction(require_event=False) as tx:
        data = face(tx.conn, card)
        assert data is not None
        save_face(tx, card, data, user_id=None)
        save_photo(tx, pupil, photo_jpeg())


def ready_card(store: Store, first: str, last: str, label: str = "1a") -> tuple[int, int]:
    """A card ready to print; (pupil, card)."""
    pupil, card = requested_card(store, first, last, label)
    make_ready(store, pupil, card)
    return pupil, card


def counts(store: Store) -> dict[str, object]:
    """What a refused batch must leave as it was: blanks by state, their uses, cards by state."""
    conn = store.conn
    return {
        "blanks": conn.execute("SELECT blank_number, state FROM blanks ORDER BY 1").fetchall(),
        "uses": conn.execute("SELECT * FROM blank_uses ORDER BY 1").fetchall(),
        "cards": conn.execute(
            "SELECT id, state, blank_id, chip_uid, barcode FROM cards ORDER BY 1"
        ).fetchall(),
        "outbox": conn.execute("SELECT type FROM outbox ORDER BY seq").fetchall(),
    }


def personalised_card(store: Store, first: str, last: str, uid: str, label: str = "1a") -> int:
    """A card printed on the lowest free blank with its chip bound: personalised."""
    _, card = ready_card(store, first, last, label)
    with store.transaction(require_event=False) as tx:
        claim_blank(tx, card, today=TODAY, user_id=None)
    with store.transaction(require_event=False) as tx:
        settle_print(tx, card, "printed", user_id=None)
    with store.transaction() as tx:
        personalise(tx, card, uid, user_id=None)
    return card


def spoiled_blank(store: Store, first: str, last: str) -> tuple[int, str]:
    """A card whose blank was spoiled in printing (it waits for a new one); (card, blank)."""
    _, card = ready_card(store, first, last)
    with store.transaction(require_event=False) as tx:
        printing = claim_blank(tx, card, today=TODAY, user_id=None)
    with store.transaction() as tx:
        settle_print(tx, card, "spoiled", reason="ribbon broke", user_id=None)
    return card, printing.blank_number
