"""The card's two faces drawn as PNG images, CR80 at 300 dpi, from a ``CardTemplate``.

Front: the header, the photo in its box, surname, name, birth date, school name and code, the
validity, and a Code 128 barcode of the card number with the number under it. Back: "Kiti
įrašai" with each entry as ``label: text``, or the template's line for an empty back.

Every text is fitted into its box: the largest size from the template's ``size`` down to its
``min_size`` at which the words wrap into the allowed lines; below that the last line is cut with
"…". Nothing is drawn outside its box, so nothing leaves the card.

The barcode's modules come from python-barcode's own Code 128 encoding (``Code128.build()``) and
are drawn here at a whole number of pixels each: python-barcode's ImageWriter works in
millimetres and rounds each bar separately, which makes bars of uneven width at 300 dpi.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from barcode import Code128
from barcode.errors import BarcodeError
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from emp_edge.errors import InputError, PrinterError
from emp_edge.printer.card_template import (
    CARD_DPI,
    CARD_SIZE,
    CardTemplate,
    Colour,
    Header,
    font_at,
    load_template,
    photo_box,
)

__all__ = ["CARD_DPI", "CARD_SIZE", "CardFace", "CardTemplate", "load_template", "photo_box"]
__all__ += ["Fitted", "barcode_modules", "fit_text", "render_card"]

QUIET_MODULES: Final = 10  # Code 128 wants ten modules of white on each side of the bars
PNG_LEVEL: Final = 3  # zlib level: the faces are flat colour, level 3 is small and quick
ELLIPSIS: Final = "…"
_HYPHENATED: Final = re.compile(r"[^\s-]*-+|[^\s-]+")  # "Čepulionytė-" "Žemaitienė"
_PARAGRAPH_GAP: Final = 0.35  # of a line, between two "Kiti įrašai" entries


@dataclass(frozen=True)
class CardFace:
    """What one card shows (§16–17); entries are ``(OtherEntryKind value, text)``."""

    first_name: str
    last_name: str
    birth_date: date
    school_name: str
    school_code: str
    valid_until: date
    card_number: str
    photo_jpeg: bytes | None
    other_entries: tuple[tuple[str, str], ...] = ()


def render_card(face: CardFace, template: CardTemplate) -> tuple[bytes, bytes]:
    """The front and the back as PNG images (1012 × 638 px, 300 dpi)."""
    return _png(_front(face, template)), _png(_back(face, template))


# ---------------------------------------------------------------- the two sides


def _front(face: CardFace, template: CardTemplate) -> Image.Image:
    card = Image.new("RGB", CARD_SIZE, template.background)
    draw = ImageDraw.Draw(card)
    _header(draw, template.front_header)
    _photo(card, draw, face.photo_jpeg, template)
    values = {
        "last_name": face.last_name,
        "first_name": face.first_name,
        "birth_date": face.birth_date.isoformat(),
        "school_code": face.school_code,
        "school_name": face.school_name,
        "valid_until": face.valid_until.isoformat(),
    }
    label_font = _font(template.label_font, template.label_size)
    for place in template.fields:
        x, y, width, height = place.box
        draw.text(
            (x, y), _cut(place.label, label_font, width), template.label_colour, label_font, "la"
        )
        top = y + _line_height(label_font) + template.label_gap
        fitted = fit_text(
            values[place.field],
            place.font,
            (width, y + height - top),
            place.size,
            place.min_size,
            place.lines,
        )
        _lines(draw, fitted, (x, top), place.colour)
    _barcode(draw, face.card_number, template)
    return card


def _back(face: CardFace, template: CardTemplate) -> Image.Image:
    card = Image.new("RGB", CARD_SIZE, template.background)
    draw = ImageDraw.Draw(card)
    _header(draw, template.back_header)
    place = template.entries
    x, y, width, height = place.box
    if not face.other_entries:
        fitted = fit_text(
            template.empty, place.font, (width, height), place.size, place.min_size, 1
        )
        _lines(draw, fitted, (x, y), place.colour)
        return card
    paragraphs = []
    for kind, text in face.other_entries:
        if kind not in template.kinds:
            raise InputError("there is no entry kind {kind!r}", where="other_entries", kind=kind)
        paragraphs.append((template.kinds[kind] + ":", text))
    fonts = (place.font, place.label_font)
    size, laid = _fit_entries(paragraphs, fonts, (width, height), (place.size, place.min_size))
    colours = (place.colour, place.label_colour)
    for pieces, top in laid:
        for text, is_label, left in pieces:
            font = _font(fonts[is_label], size)
            draw.text((x + left, y + top), text, colours[is_label], font, "la")
    return card


def _header(draw: ImageDraw.ImageDraw, header: Header) -> None:
    x, y, width, height = header.box
    draw.rectangle((x, y, x + width - 1, y + height - 1), fill=header.fill)
    fitted = fit_text(header.text, header.font, (width - 16, height), header.size, 8, 1)
    font = _font(header.font, fitted.size)
    text = fitted.lines[0]
    draw.text((x + width / 2, y + height / 2), text, header.colour, font, "mm")


def _photo(
    card: Image.Image, draw: ImageDraw.ImageDraw, jpeg: bytes | None, template: CardTemplate
) -> None:
    place = template.photo
    x, y, width, height = place.box
    if jpeg is None:
        draw.rectangle((x, y, x + width - 1, y + height - 1), fill=place.missing_fill)
        fitted = fit_text(place.missing_text, template.label_font, (width - 20, height), 22, 8, 2)
        font = _font(template.label_font, fitted.size)
        draw.multiline_text(
            (x + width / 2, y + height / 2),
            "\n".join(fitted.lines),
            template.label_colour,
            font,
            "mm",
            align="center",
        )
    else:
        try:
            with Image.open(io.BytesIO(jpeg)) as opened:
                photo = ImageOps.fit(
                    opened.convert("RGB"), (width, height), Image.Resampling.LANCZOS
                )
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise InputError(
                "the stored photo cannot be read: upload the photo again", where="photo"
            ) from None
        card.paste(photo, (x, y))
    draw.rectangle((x, y, x + width - 1, y + height - 1), outline=place.frame, width=2)


def _barcode(draw: ImageDraw.ImageDraw, number: str, template: CardTemplate) -> None:
    place = template.barcode
    x, y, width, height = place.box
    modules = barcode_modules(number)
    module = min(place.module, width // (len(modules) + 2 * QUIET_MODULES))
    if module < 1:
        raise PrinterError(
            "the barcode of the card number {number} does not fit the card's barcode box",
            number=number,
        )
    left = x + (width - module * len(modules)) // 2
    bars = min(place.bar_height, height)
    for index, dark in enumerate(modules):
        if dark == "1":
            start = left + index * module
            draw.rectangle((start, y, start + module - 1, y + bars - 1), fill=place.colour)
    room = height - bars - place.gap
    if room >= 6:
        fitted = fit_text(number, place.font, (width, room), place.size, 6, 1)
        font = _font(place.font, fitted.size)
        top = y + bars + place.gap
        draw.text((x + width / 2, top), fitted.lines[0], place.colour, font, "ma")


def barcode_modules(number: str) -> str:
    """The number as Code 128 modules ("1" dark, "0" light), from python-barcode's encoding
    with its check symbol and stop pattern."""
    try:
        return str(Code128(number).build()[0])
    except (BarcodeError, KeyError, RuntimeError, ValueError):
        raise InputError(
            "the card number {number} cannot be written as a Code 128 barcode",
            where="card_number",
            number=number,
        ) from None


# ---------------------------------------------------------------- fitting text


@dataclass(frozen=True)
class Fitted:
    """A text laid out in a box: the font size chosen and the lines to draw."""

    font: Path
    size: int
    lines: tuple[str, ...]


def fit_text(
    text: str, font: Path, room: tuple[int, int], size: int, min_size: int, lines: int
) -> Fitted:
    """``text`` at the largest size from ``size`` down to ``min_size`` at which it wraps into at
    most ``lines`` lines within ``room`` (width, height); if none, at ``min_size`` with the lines
    that fit and the last one cut with "…"."""
    text = " ".join(text.split())
    width, height = room
    for candidate in range(size, min_size - 1, -1):
        shape = _font(font, candidate)
        allowed = min(lines, max(1, height // _line_height(shape)))
        wrapped = _wrap(text, shape, width)
        if len(wrapped) <= allowed and _line_height(shape) * len(wrapped) <= height:
            return Fitted(font, candidate, tuple(wrapped))
    shape = _font(font, min_size)
    allowed = max(1, min(lines, height // _line_height(shape)))
    wrapped = _wrap(text, shape, width)
    kept = wrapped[:allowed]
    if len(wrapped) > allowed:
        kept[-1] = _cut(kept[-1] + ELLIPSIS, shape, width, force=True)
    return Fitted(font, min_size, tuple(kept))


def _lines(draw: ImageDraw.ImageDraw, fitted: Fitted, at: tuple[int, int], colour: Colour) -> None:
    font = _font(fitted.font, fitted.size)
    step = _line_height(font)
    for number, line in enumerate(fitted.lines):
        draw.text((at[0], at[1] + number * step), line, colour, font, "la")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap at spaces and after hyphens (double surnames); a part wider than the line
    is broken between letters."""
    lines: list[str] = []
    current = ""
    atoms = [
        (part, " " if index == 0 else "")
        for word in text.split(" ")
        for index, part in enumerate(_HYPHENATED.findall(word) or [word])
    ]
    for part, joiner in atoms:
        glued = f"{current}{joiner}{part}" if current else part
        if font.getlength(glued) <= width:
            current = glued
            continue
        if current:
            lines.append(current)
        while font.getlength(part) > width and len(part) > 1:
            cut = len(part) - 1
            while cut > 1 and font.getlength(part[:cut]) > width:
                cut -= 1
            lines.append(part[:cut])
            part = part[cut:]
        current = part
    lines.append(current)
    return lines


def _cut(text: str, font: ImageFont.FreeTypeFont, width: int, *, force: bool = False) -> str:
    """``text`` shortened to ``width``, ending in "…" when anything was taken off (``force``:
    ``text`` already ends in it)."""
    if font.getlength(text) <= width:
        return text
    body = text.removesuffix(ELLIPSIS) if force else text
    while body and font.getlength(body.rstrip() + ELLIPSIS) > width:
        body = body[:-1]
    return body.rstrip() + ELLIPSIS


Piece = tuple[str, bool, int]  # a word, whether it is part of the label, its left offset
Line = tuple[list[Piece], int]  # a line's pieces and its top


def _fit_entries(
    paragraphs: list[tuple[str, str]],
    fonts: tuple[Path, Path],
    room: tuple[int, int],
    sizes: tuple[int, int],
) -> tuple[int, list[Line]]:
    """The entries' size (regular text, bold labels) and their lines, all within ``room``; at
    the smallest size the lines that do not fit are left off and the last kept one ends in "…"."""
    width, height = room
    for size in range(sizes[0], sizes[1] - 1, -1):
        laid, bottom = _lay_entries(paragraphs, fonts, size, width)
        if bottom <= height:
            return size, laid
    size = sizes[1]
    laid, _ = _lay_entries(paragraphs, fonts, size, width)
    line = _line_height(_font(fonts[0], size))
    kept = [(pieces, top) for pieces, top in laid if top + line <= height]
    if kept:
        pieces, top = kept[-1]
        shapes = (_font(fonts[0], size), _font(fonts[1], size))
        while pieces:
            text, is_label, left = pieces[-1]
            shape = shapes[is_label]
            if left + shape.getlength(text + ELLIPSIS) <= width:
                pieces = [*pieces[:-1], (text + ELLIPSIS, is_label, left)]
                break
            pieces = pieces[:-1]
        kept[-1] = (pieces, top)
    return size, kept


def _lay_entries(
    paragraphs: list[tuple[str, str]], fonts: tuple[Path, Path], size: int, width: int
) -> tuple[list[Line], int]:
    """The paragraphs wrapped at ``size``, and the bottom of the last line."""
    shapes = (_font(fonts[0], size), _font(fonts[1], size))
    space = shapes[0].getlength(" ")
    line = _line_height(shapes[0])
    gap = round(line * _PARAGRAPH_GAP)
    laid: list[Line] = []
    top = 0
    for label, text in paragraphs:
        words = [(w, True) for w in label.split()] + [(w, False) for w in text.split()]
        current: list[Piece] = []
        used = 0.0
        for word, is_label in words:
            shape = shapes[is_label]
            for piece in _wrap(word, shape, width):
                length = shape.getlength(piece)
                left = used + space if current else 0.0
                if current and left + length > width:
                    laid.append((current, top))
                    top += line
                    current, left = [], 0.0
                current.append((piece, is_label, round(left)))
                used = left + length
        laid.append((current, top))
        top += line + gap
    return laid, top - gap


# ---------------------------------------------------------------- fonts and files


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return font_at(path, size)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return int(ascent + descent)


def _png(card: Image.Image) -> bytes:
    out = io.BytesIO()
    card.save(out, "PNG", dpi=(CARD_DPI, CARD_DPI), compress_level=PNG_LEVEL)
    return out.getvalue()
