"""One pupil card as the PDF the card printer gets: page 1 the front, page 2 the back.

Each page is exactly the CR80 card (ISO/IEC 7810 ID-1, 85.6 × 53.98 mm) and the rendered face
(a 1012 × 638 PNG, 300 dpi) fills it edge to edge; the printer's duplex prints page 2 on the
back. The PDF's title is the job's title, which carries the card number only, never a name.

This runs once per card of a batch, so it is kept fast: fpdf2 compresses the two images with
zlib's fastest level (the PNGs are lossless either way; the PDF is about as small). fpdf2's
compression level is a process-wide setting, so it is set under a lock for the call and put
back; another PDF made at that very moment may come out a little larger, never different.
fpdf2's and Pillow's errors leave here as PrinterError.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Final

from fpdf import FPDF, image_parsing
from fpdf.errors import FPDFException
from PIL import Image, UnidentifiedImageError

from emp_edge.errors import PrinterError

CARD_MM: Final = (85.6, 53.98)
"""Width and height of a CR80 card in millimetres (landscape)."""
FACE_PX: Final = (1012, 638)
"""A rendered face at 300 dpi; another size of the same shape is scaled to the card."""
FAST_ZLIB_LEVEL: Final = 1
_NOT_A_FACE: Final = (
    "the front of the card is not a PNG image of the card's shape",
    "the back of the card is not a PNG image of the card's shape",
)
_settings_lock = threading.Lock()


def card_pdf(front_png: bytes, back_png: bytes, title: str) -> bytes:
    """The card's two faces as a two-page CR80 PDF (front, back)."""
    width, height = CARD_MM
    for side, png in enumerate((front_png, back_png)):
        _check_face(png, side)
    try:
        pdf = FPDF(orientation="portrait", unit="mm", format=CARD_MM)
        pdf.set_creator("emp-edge")
        pdf.set_title(title)
        pdf.set_margins(0, 0, 0)
        pdf.set_auto_page_break(auto=False)
        with _fast_images():
            for png in (front_png, back_png):
                pdf.add_page()
                pdf.image(BytesIO(png), x=0, y=0, w=width, h=height)
        return bytes(pdf.output())
    except (FPDFException, OSError, ValueError, RuntimeError, SyntaxError) as err:
        raise PrinterError("the card PDF could not be made: {reason}", reason=str(err)) from err


def _check_face(png: bytes, side: int) -> None:
    """A PNG of the card's shape (only its header is read), else PrinterError."""
    try:
        image = Image.open(BytesIO(png))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise PrinterError(_NOT_A_FACE[side]) from err
    face_w, face_h = FACE_PX
    if image.format != "PNG" or abs(image.width * face_h - image.height * face_w) > image.width:
        raise PrinterError(_NOT_A_FACE[side])  # off the card's shape by more than a pixel


@contextmanager
def _fast_images() -> Iterator[None]:
    settings = image_parsing.SETTINGS
    with _settings_lock:
        before = settings.compression_level
        settings.compression_level = FAST_ZLIB_LEVEL
        try:
            yield
        finally:
            settings.compression_level = before
