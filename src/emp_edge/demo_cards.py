"""The demo school's card station: a delivery of blanks, and the open requests of the demo's
pupils with who asked, some with a drawn photo and checked data so a batch can be printed at
once, some near or past the 21-day limit."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw

from emp_edge.domain.card_station import blank_range
from emp_edge.printer.card_face import CardTemplate, photo_box
from emp_edge.printer.card_photo import check_photo
from emp_edge.store import Store
from emp_edge.store.blank_stock import receive_batch
from emp_edge.store.card_faces import face, save_face, save_photo

DEMO_BLANKS = ("EMP000001", "EMP000400")
#: days since the request, in turn: on time, due soon, overdue
_AGES = (3, 17, 25, 8, 1, 20)


def drawn_photo(seed: int) -> bytes:
    """A made-up head-and-shoulders portrait on a light wall, as a phone would take it (JPEG)."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    width, height = 600, 668
    image = Image.new("RGB", (width, height), (236, 238, 240))
    draw = ImageDraw.Draw(image)
    shirt = (rng.randrange(30, 160), rng.randrange(30, 160), rng.randrange(60, 200))
    draw.ellipse((90, 470, 510, 900), fill=shirt)
    skin = (rng.randrange(200, 240), rng.randrange(160, 200), rng.randrange(130, 170))
    draw.rectangle((260, 400, 340, 500), fill=skin)
    draw.ellipse((185, 150, 415, 440), fill=skin)
    hair = (rng.randrange(40, 120), rng.randrange(25, 80), rng.randrange(10, 50))
    draw.chord((175, 120, 425, 330), 180, 360, fill=hair)
    for x in (245, 330):
        draw.ellipse((x, 270, x + 26, 290), fill=(40, 40, 50))
    draw.arc((255, 330, 345, 390), 20, 160, fill=(150, 60, 60), width=5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def stock_demo_station(store: Store, today: date, template: CardTemplate) -> int:
    """Blanks and requests for the demo's card station; returns how many cards are ready to
    print."""
    with store.transaction() as tx:
        receive_batch(
            tx,
            blank_range(*DEMO_BLANKS),
            today - timedelta(days=20),
            "SAV-2026-114",
            user_id=None,
        )
    requests = store.conn.execute(
        "SELECT c.id, c.pupil_id, p.first_name || ' ' || p.last_name FROM cards c"
        " JOIN pupils p ON p.id = c.pupil_id WHERE c.state = 'requested' ORDER BY c.id"
    ).fetchall()
    ready = 0
    box = photo_box(template)
    with store.transaction(require_event=False) as tx:
        for number, (card_id, pupil_id, name) in enumerate(requests):
            asked = today - timedelta(days=_AGES[number % len(_AGES)])
            tx.execute(
                "UPDATE cards SET requested_on = ?, requester_name = ?, requester_relation ="
                " 'parent', requester_contact = '+370 600 00000' WHERE id = ?",
                (asked.isoformat(), f"{name.split()[-1]} (tėvai)", card_id),
            )
            tx.execute(
                "INSERT OR IGNORE INTO card_faces (card_id, first_name, last_name, birth_date,"
                " school_name, school_code, changed_at) SELECT ?, p.first_name, p.last_name,"
                " p.birth_date, s.name, s.code, ? FROM pupils p JOIN schools s"
                " ON s.id = p.school_id WHERE p.id = ?",
                (card_id, tx.now(), pupil_id),
            )
            if number % 2 == 0:
                save_photo(tx, pupil_id, check_photo(drawn_photo(card_id), box))
                printed = face(tx.conn, card_id)
                assert printed is not None
                save_face(tx, card_id, printed, user_id=None)
                ready += 1
    return ready
