"""A receipt as a small value (title, text, left/right pairs, rules), and printing it over ESC/POS.

Lithuanian letters: the printer profile (python-escpos's printer database) lists the code pages
the printer has, each under its ``ESC t n`` number. When it has CP1257 (which also has the euro
sign) or CP775, that page is selected explicitly and the text is encoded with it. When it has
neither, or the receipt has a letter the page lacks, the whole receipt is printed as an image
drawn with DejaVu Sans Mono, line by line (``GS v 0``), in the same columns as the text.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from escpos.image import EscposImage
from PIL import Image, ImageDraw, ImageFont

from emp_edge.printer.fonts import font_file


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Pair:
    """A label on the left and its value (an amount, a count) on the right."""

    left: str
    right: str


@dataclass(frozen=True)
class Rule:
    """A separating line."""


Line = Title | Text | Pair | Rule


@dataclass(frozen=True)
class Receipt:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Row:
    """One printed line: its characters (padded to the columns) and whether it is large."""

    text: str
    big: bool = False


# ---------------------------------------------------------------- layout in columns


def layout(receipt: Receipt, columns: int) -> list[Row]:
    """The receipt as printed lines of ``columns`` characters."""
    rows: list[Row] = []
    for line in receipt.lines:
        if isinstance(line, Title):
            rows += [Row(part.center(columns).rstrip(), True) for part in _wrap(line.text, columns)]
        elif isinstance(line, Text):
            rows += [Row(part) for part in _wrap(line.text, columns)]
        elif isinstance(line, Pair):
            rows += _pair(line, columns)
        else:
            rows.append(Row("-" * columns))
    return rows


def _wrap(text: str, width: int) -> list[str]:
    # a control character in a name typed by staff must never reach the printer as a command
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _pair(line: Pair, columns: int) -> list[Row]:
    """The left side wrapped, the right side at the end of its last line (or below it)."""
    right = _wrap(line.right, columns)[0]
    lefts = _wrap(line.left, columns)
    if len(lefts[-1]) + 1 + len(right) <= columns:
        lefts[-1] = lefts[-1].ljust(columns - len(right)) + right
        return [Row(part) for part in lefts]
    return [Row(part) for part in lefts] + [Row(right.rjust(columns))]


def plain_text(receipt: Receipt, columns: int) -> str:
    """The receipt as plain text, the way the printer lays it out."""
    return "".join(row.text + "\n" for row in layout(receipt, columns))


# ---------------------------------------------------------------- code pages

ESC: Final = b"\x1b"
GS: Final = b"\x1d"
INIT: Final = ESC + b"@"
#: the code pages with every Lithuanian letter, best first (CP1257 has the euro sign too)
LITHUANIAN_CODE_PAGES: Final = ("CP1257", "CP775")
#: what stands in for a sign the code page lacks
STAND_INS: Final = {"€": "EUR", "\u00a0": " ", "\u202f": " ", "–": "-", "—": "-"}


@dataclass(frozen=True)
class CodePage:
    name: str
    #: the ``n`` of ``ESC t n`` in this printer's table
    number: int
    codec: str

    @property
    def select(self) -> bytes:
        return ESC + b"t" + bytes((self.number,))

    def encodes(self, text: str) -> bool:
        try:
            text.encode(self.codec)
        except UnicodeEncodeError:
            return False
        return True


def lithuanian_code_page(profile: Any) -> CodePage | None:
    """The first of CP1257, CP775 the printer profile lists (lowest table number), or None."""
    table = {int(n): str(name) for n, name in profile.codePages.items()}
    for name in LITHUANIAN_CODE_PAGES:
        numbers = sorted(n for n, listed in table.items() if listed == name)
        if numbers:
            return CodePage(name, numbers[0], name.lower())
    return None


def _with_stand_ins(receipt: Receipt, page: CodePage) -> Receipt:
    """The receipt with signs the code page lacks (the euro in CP775) written out."""

    def fix(text: str) -> str:
        return "".join(char if page.encodes(char) else STAND_INS.get(char, char) for char in text)

    lines: list[Line] = []
    for line in receipt.lines:
        if isinstance(line, Title | Text):
            lines.append(type(line)(fix(line.text)))
        elif isinstance(line, Pair):
            lines.append(Pair(fix(line.left), fix(line.right)))
        else:
            lines.append(line)
    return Receipt(tuple(lines))


# ---------------------------------------------------------------- printing


def columns_of(printer: Any) -> int:
    """Characters per line in the printer's font A (the profile says)."""
    return int(printer.profile.get_columns("a"))


def render(receipt: Receipt, printer: Any) -> None:
    """Print the receipt on a python-escpos printer object, then feed and cut."""
    columns = columns_of(printer)
    page = lithuanian_code_page(printer.profile)
    printer._raw(INIT)
    if page is not None:
        rows = layout(_with_stand_ins(receipt, page), columns)
        if all(page.encodes(row.text) for row in rows):
            _print_text(rows, page, printer)
            printer.cut()
            return
    _print_image(layout(receipt, columns), printer, columns)
    printer.cut()


def _print_text(rows: Iterable[Row], page: CodePage, printer: Any) -> None:
    printer._raw(page.select)
    big = False
    for row in rows:
        if row.big != big:
            if row.big:
                printer.set(bold=True, double_height=True)
            else:
                printer.set(bold=False, normal_textsize=True)
            big = row.big
        printer._raw(row.text.encode(page.codec) + b"\n")
    if big:
        printer.set(bold=False, normal_textsize=True)


# ---------------------------------------------------------------- the image fallback

#: font A is 12 dots wide on the common 180/203 dpi receipt printers
DOTS_PER_COLUMN: Final = 12
LINE_DOTS: Final = 24
FONT_FILES: Final = ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")


def paper_dots(printer: Any, columns: int) -> int:
    """The printable width in dots: the profile's, or the columns' of font A."""
    pixels = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else columns * DOTS_PER_COLUMN


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(FONT_FILES[bold])), size)


def row_image(row: Row, width: int, columns: int) -> Image.Image:
    """One printed line drawn in black on white; a big row twice as tall."""
    pitch = width // columns
    font = _font(row.big, max(8, int(pitch / 0.6021)))  # DejaVu Sans Mono: 0.602 em advance
    image = Image.new("L", (width, LINE_DOTS), 255)
    draw = ImageDraw.Draw(image)
    for column, char in enumerate(row.text):
        draw.text((column * pitch, LINE_DOTS - 5), char, font=font, fill=0, anchor="ls")
    if row.big:
        image = image.resize((width, LINE_DOTS * 2))
    return image


def raster(image: Image.Image) -> bytes:
    """``GS v 0``: a raster bit image, 1 bit per dot, in normal density."""
    picture = EscposImage(image)
    header = GS + b"v0\x00" + _low_high(picture.width_bytes) + _low_high(picture.height)
    return header + bytes(picture.to_raster_format())


def _low_high(number: int) -> bytes:
    return bytes((number % 256, number // 256))


def _print_image(rows: Iterable[Row], printer: Any, columns: int) -> None:
    width = paper_dots(printer, columns)
    for row in rows:
        printer._raw(raster(row_image(row, width, columns)))
