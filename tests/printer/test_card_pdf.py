"""The card's PDF: two CR80 pages, the front then the back, each face filling its page unchanged."""

from __future__ import annotations

import io

import pytest
from fpdf import image_parsing
from PIL import Image, ImageDraw
from pypdf import PdfReader

from emp_edge.errors import PrinterError
from emp_edge.printer.card_pdf import card_pdf

MM_PER_POINT = 25.4 / 72


def face(colour: tuple[int, int, int], text: str, size: tuple[int, int] = (1012, 638)) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 150, 340, 500), fill=(20, 40, 160))
    draw.text((400, 200), text, fill=(0, 0, 0))
    for x in range(420, 980, 6):  # bars, as a barcode would have: edges must stay sharp
        draw.rectangle((x, 520, x + 2, 600), fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


FRONT = face((250, 250, 245), "front 000123")
BACK = face((230, 240, 250), "back 000123")


def test_the_pdf_has_the_front_then_the_back_on_two_cr80_pages() -> None:
    reader = PdfReader(io.BytesIO(card_pdf(FRONT, BACK, "card 000123")))

    assert len(reader.pages) == 2
    for page in reader.pages:
        width = float(page.mediabox.width) * MM_PER_POINT
        height = float(page.mediabox.height) * MM_PER_POINT
        assert width == pytest.approx(85.6, abs=0.01)
        assert height == pytest.approx(53.98, abs=0.01)
    for page, png in zip(reader.pages, (FRONT, BACK), strict=True):
        (image,) = page.images
        sent = Image.open(io.BytesIO(png))
        assert image.image is not None
        assert image.image.size == (1012, 638)
        assert image.image.convert("RGB").tobytes() == sent.convert("RGB").tobytes()  # lossless


def test_each_face_fills_its_page_from_the_corner() -> None:
    reader = PdfReader(io.BytesIO(card_pdf(FRONT, BACK, "card 000123")))

    for page in reader.pages:
        content = page.get_contents()
        assert content is not None
        drawn = content.get_data().decode("ascii")
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert f"{width:g} 0 0 {height:g} 0.00 0.00 cm" in drawn


def test_the_title_is_the_job_title() -> None:
    reader = PdfReader(io.BytesIO(card_pdf(FRONT, BACK, "card 000123")))

    assert reader.metadata is not None
    assert reader.metadata.title == "card 000123"
    assert reader.metadata.creator == "emp-edge"


def test_a_larger_face_of_the_card_shape_is_scaled_to_the_card() -> None:
    reader = PdfReader(io.BytesIO(card_pdf(face((255, 255, 255), "x", (2024, 1276)), BACK, "c")))

    assert float(reader.pages[0].mediabox.width) * MM_PER_POINT == pytest.approx(85.6, abs=0.01)


def test_fpdfs_compression_setting_is_put_back() -> None:
    before = image_parsing.SETTINGS.compression_level

    card_pdf(FRONT, BACK, "card 000123")

    assert image_parsing.SETTINGS.compression_level == before


@pytest.mark.parametrize(
    ("front", "back", "message"),
    [
        (b"", BACK, "the front of the card is not a PNG image of the card's shape"),
        (FRONT, b"not an image", "the back of the card is not a PNG image of the card's shape"),
        (face((0, 0, 0), "x", (1012, 700)), BACK, "the front of the card is not a PNG"),
        (FRONT, FRONT[: len(FRONT) // 2], "the card PDF could not be made: image file is trunc"),
    ],
    ids=["empty", "not-an-image", "wrong-shape", "truncated"],
)
def test_a_face_that_is_not_a_card_png_is_refused(front: bytes, back: bytes, message: str) -> None:
    with pytest.raises(PrinterError) as refused:
        card_pdf(front, back, "card 000123")

    assert str(refused.value).startswith(message)


def test_a_jpeg_face_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (1012, 638), (255, 255, 255)).save(out, "JPEG")

    with pytest.raises(PrinterError, match="front of the card is not a PNG"):
        card_pdf(out.getvalue(), BACK, "card 000123")
