"""Golden bytes: a sale's receipt exactly as python-escpos's Dummy printer gets it.

The Lithuanian letters are written out below as the code pages have them (CP1257: Š D0, Ž DE,
ū FB, ų F8, ė EB, € 80; CP775: Š BE, Ž CF, ū D7, ų D6, ė D3, and no euro sign), so a wrong code
page or a wrong ``ESC t n`` fails here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from canteen_sale import SCHOOL, Canteen
from escpos.printer import Dummy

from emp_edge.printer.receipt import (
    Pair,
    Receipt,
    Row,
    Text,
    Title,
    layout,
    lithuanian_code_page,
    raster,
    render,
    row_image,
)
from emp_edge.printer.receipt_texts import receipt_words, sale_receipt
from emp_edge.store import Store
from emp_edge.store.canteen_receipts import receipt_for

VILNIUS = ZoneInfo("Europe/Vilnius")
LITHUANIAN = {
    "Till": "Kasa",
    "Pupil": "Mokinys",
    "FREE": "NEMOKAMAI",
    "Paid": "Sumokėta",
    "Balance after": "Likutis",
}
BIG = b"\x1b!\x00\x1b!\x00\x1b!\x10\x1bE\x01"  # python-escpos: normal size, double height, bold
NORMAL = b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00"  # normal size, bold off

CP1257_RECEIPT = (
    b"\x1b@"  # ESC @: initialise
    b"\x1bt\x33"  # ESC t 51: CP1257 in the default profile's table
    + BIG
    + b"          \xd0altinio progimnazija\n"
    + NORMAL
    + b"Kasa: valgykla-1          2026-10-05 12:03\n"
    b"Mokinys: O. \xde.                          5b\n"
    b"------------------------------------------\n"
    b"Piet\xfbs\n"
    b"Cepelinai                           2,50 \x80\n"
    b"Obuoli\xf8 sultys                      1,20 \x80\n"
    b"------------------------------------------\n"
    b"Sumok\xebta                            3,70 \x80\n"
    b"Likutis                             1,30 \x80\n"
    b"\x1bd\x06"  # feed 6 lines
    b"\x1dV\x00"  # full cut
)

CP775_RECEIPT = (
    b"\x1b@"
    b"\x1bt\x21"  # ESC t 33: CP775, the Sunmi V2's only Baltic page (32 columns)
    + BIG
    + b"     \xbealtinio progimnazija\n"
    + NORMAL
    + b"Kasa: valgykla-1\n"
    b"                2026-10-05 12:03\n"
    b"Mokinys: O. \xcf.                5b\n"
    b"--------------------------------\n"
    b"Piet\xd7s\n"
    b"Cepelinai               2,50 EUR\n"
    b"Obuoli\xd6 sultys          1,20 EUR\n"
    b"--------------------------------\n"
    b"Sumok\xd3ta                3,70 EUR\n"
    b"Likutis                 1,30 EUR\n"
    b"\x1bd\x06"  # no cutter in this profile
)


@pytest.fixture
def receipt(store: Store, canteen: Canteen) -> Receipt:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    tap = canteen.tap(ona, canteen.cepelinai, canteen.juice)
    sale = receipt_for(store.conn, tap.event_id)
    assert sale is not None
    words = receipt_words(lambda message: LITHUANIAN.get(message, message))
    return sale_receipt(sale, school=SCHOOL, tz=VILNIUS, words=words)


def printed(receipt: Receipt, profile: str) -> bytes:
    printer = Dummy(profile=profile)
    render(receipt, printer)
    return bytes(printer.output)


def test_a_sale_prints_in_cp1257_when_the_profile_has_it(receipt: Receipt) -> None:
    assert printed(receipt, "default") == CP1257_RECEIPT


def test_a_sale_prints_in_cp775_with_the_euro_written_out(receipt: Receipt) -> None:
    assert printed(receipt, "Sunmi-V2") == CP775_RECEIPT


def test_the_code_page_is_the_profiles_own_number_for_it() -> None:
    page = lithuanian_code_page(Dummy(profile="RP326").profile)  # CP1257 is 25, CP775 31 there
    assert page is not None
    assert (page.name, page.select) == ("CP1257", b"\x1bt\x19")
    assert lithuanian_code_page(Dummy(profile="TM-T88IV").profile) is None


def test_without_a_baltic_code_page_the_receipt_is_printed_as_images(receipt: Receipt) -> None:
    out = printed(receipt, "TM-T88IV")  # 512 dots, 42 columns, no CP775/CP1257
    # ESC @, then GS v 0 (raster, normal density): 64 bytes = 512 dots wide, 48 rows (the title)
    assert out.startswith(b"\x1b@\x1dv0\x00\x40\x00\x30\x00")
    assert out.endswith(b"\x1bd\x06\x1dV\x00")
    heights, at = [], 2
    while out[at : at + 4] == b"\x1dv0\x00":  # walk the images by their headers
        width, height = out[at + 4] + 256 * out[at + 5], out[at + 6] + 256 * out[at + 7]
        assert width == 64
        heights.append(height)
        at += 8 + width * height
    assert out[at:] == b"\x1bd\x06\x1dV\x00"  # nothing else: no text went as characters
    assert heights == [48 if row.big else 24 for row in layout(receipt, 42)]
    assert len(heights) == 10


def test_a_letter_the_code_page_lacks_sends_the_whole_receipt_as_images() -> None:
    polish = Receipt((Title("Šaltinio"), Pair("Sultys", "1,20 €"), Text("Łukasz → 5b")))
    out = printed(polish, "Sunmi-V2")  # CP775 has Ł but not the arrow
    assert out.startswith(b"\x1b@\x1dv0\x00")
    assert b"\x1bt" not in out


def test_the_image_font_draws_the_lithuanian_letters() -> None:
    def drawn(text: str) -> bytes:
        return raster(row_image(Row(text), 504, 42))

    missing = drawn("\U000e0001")  # not a character: the font's "missing glyph" box, or nothing
    for lower, upper, plain in zip("ąčęėįšųūž", "ĄČĘĖĮŠŲŪŽ", "aceeisuuz", strict=True):
        assert drawn(lower) not in (drawn(plain), missing), lower
        assert drawn(upper) not in (drawn(plain.upper()), missing), upper


def test_control_characters_in_names_never_reach_the_printer_as_commands() -> None:
    sneaky = Receipt((Text("Sultys\x1b@\x1dV\x00"), Pair("Bandelė\r\n", "\x1bd\x09 0,80 €")))
    out = printed(sneaky, "default")
    assert out == (
        b"\x1b@\x1bt\x33"
        b"Sultys @ V\n"
        b"Bandel\xeb                          d  0,80 \x80\n"
        b"\x1bd\x06\x1dV\x00"
    )
