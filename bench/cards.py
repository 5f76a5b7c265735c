"""Card rendering: one card's front and back drawn from the shipped template, as PNG bytes.

The face is a made-up pupil with a long Lithuanian name, a checked photo (a head-and-shoulders
drawing, 636 × 708 px, through ``check_photo``) and three "Kiti įrašai" entries; the fonts are
loaded before the rounds start, as at a station that has printed one card already.

Figures, in the same interleaved rounds:

- ``card_render_ms`` / ``card_render_p95_ms``: ``render_card`` (front + back; goal ≤ 150 ms);
- ``card_render_bare_ms``: Pillow making a blank 1012 × 638 image and saving it as PNG twice,
  so ``card_render_vs_bare_ratio`` is the drawing's own share;
- ``card_photo_check_ms``: ``check_photo`` of a 1200 × 1600 phone-size JPEG.
"""

from __future__ import annotations

import io
import statistics
import time
from datetime import date

from PIL import Image, ImageDraw, ImageFilter

from emp_edge.printer.card_face import (
    CARD_DPI,
    CARD_SIZE,
    CardFace,
    load_template,
    photo_box,
    render_card,
)
from emp_edge.printer.card_photo import check_photo
from taps import _percentile


def _portrait(size: tuple[int, int]) -> bytes:
    w, h = size
    image = Image.new("RGB", size, (228, 226, 219))
    draw = ImageDraw.Draw(image)
    draw.ellipse((int(-0.1 * w), int(0.74 * h), int(1.1 * w), int(1.5 * h)), fill=(38, 48, 82))
    draw.ellipse((int(0.31 * w), int(0.17 * h), int(0.69 * w), int(0.66 * h)), fill=(206, 166, 136))
    draw.chord(
        (int(0.30 * w), int(0.15 * h), int(0.70 * w), int(0.52 * h)), 180, 360, fill=(62, 40, 24)
    )
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(0.6)).save(out, "JPEG", quality=92)
    return out.getvalue()  # fmt: skip


def _bare() -> float:
    started = time.perf_counter()
    for _ in range(2):
        out = io.BytesIO()
        Image.new("RGB", CARD_SIZE, (255, 255, 255)).save(out, "PNG", dpi=(CARD_DPI, CARD_DPI))
    return (time.perf_counter() - started) * 1000


def run(quick: bool) -> dict[str, float]:
    samples = 40 if quick else 300
    template = load_template()
    phone = _portrait((1200, 1600))
    face = CardFace(
        first_name="Žydrūnė Ąžuolė",
        last_name="Čepulionytė-Žemaitienė",
        birth_date=date(2015, 3, 17),
        school_name="Vilniaus miesto savivaldybės Ąžuolyno progimnazija",
        school_code="300012345",
        valid_until=date(2030, 8, 31),
        card_number="3000123450000042",
        photo_jpeg=check_photo(_portrait((636, 708)), photo_box(template)),
        other_entries=(
            ("programme", "Pradinio ugdymo programa"),
            ("transport_route", "Autobusas Nr. 7: „Žirmūnų“ stotelė – „Ąžuolyno mokykla“"),
            ("safety_note", "Alergija riešutams: skambinti mamai"),
        ),
    )
    render_card(face, template)  # fonts loaded, code warm
    render_ms: list[float] = []
    bare_ms: list[float] = []
    photo_ms: list[float] = []
    for sample in range(samples):
        started = time.perf_counter()
        front, back = render_card(face, template)
        render_ms.append((time.perf_counter() - started) * 1000)
        bare_ms.append(_bare())
        if sample % 4 == 0:
            started = time.perf_counter()
            check_photo(phone, photo_box(template))
            photo_ms.append((time.perf_counter() - started) * 1000)
    assert front.startswith(b"\x89PNG")
    assert back.startswith(b"\x89PNG")
    median = statistics.median(render_ms)
    return {
        "card_render_ms": round(median, 2),
        "card_render_p95_ms": round(_percentile(render_ms, 0.95), 2),
        "card_render_bare_ms": round(statistics.median(bare_ms), 2),
        "card_render_vs_bare_ratio": round(median / statistics.median(bare_ms), 2),
        "card_render_samples": len(render_ms),
        "card_photo_check_ms": round(statistics.median(photo_ms), 2),
    }
