"""The card's layout, read from a JSON template file and checked before anything is drawn.

The shipped ``card_template.json`` lays out a CR80 card at 300 dpi (1012 × 638 px): boxes are
``[x, y, width, height]`` in pixels, font sizes in pixels. Cards are printed in Lithuanian only
(§15), so the label texts live in the template, not in the translations. A school may point
``cards.template_file`` at its own copy; a mistake in it is a ``ConfigError`` that names the file
and the field (``front.fields[2].box``), never a half-drawn card.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from PIL import ImageFont

from emp_edge.domain.cards import OtherEntryKind
from emp_edge.errors import ConfigError, PrinterError
from emp_edge.printer.fonts import font_file

CARD_SIZE: Final = (1012, 638)
"""CR80 (85.60 × 53.98 mm) at 300 dpi, in pixels."""
CARD_DPI: Final = 300
SHIPPED: Final = Path(__file__).with_name("card_template.json")
FIELDS: Final = (
    "last_name",
    "first_name",
    "birth_date",
    "school_code",
    "school_name",
    "valid_until",
)
"""The card's data (§16) the front must show, each in one box."""
_SIZES: Final = (6, 200)  # the font sizes a template may ask for, in pixels

Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Header:
    """A band across the top with one line of text in its middle."""

    text: str
    box: Box
    font: Path
    size: int
    colour: Colour
    fill: Colour


@dataclass(frozen=True)
class PhotoPlace:
    box: Box
    frame: Colour
    missing_fill: Colour
    missing_text: str


@dataclass(frozen=True)
class FieldPlace:
    """One datum: its small label on top, its value below, shrunk or wrapped to fit the box."""

    field: str
    label: str
    box: Box
    font: Path
    size: int
    min_size: int
    lines: int
    colour: Colour


@dataclass(frozen=True)
class BarcodePlace:
    """The Code 128 bars (``module`` pixels the narrowest) and the number under them."""

    box: Box
    module: int
    bar_height: int
    gap: int
    font: Path
    size: int
    colour: Colour


@dataclass(frozen=True)
class EntriesPlace:
    """The "Kiti įrašai" entries as ``label: text`` paragraphs, shrunk together to fit."""

    box: Box
    font: Path
    label_font: Path
    size: int
    min_size: int
    colour: Colour
    label_colour: Colour


@dataclass(frozen=True)
class CardTemplate:
    """A checked card layout; ``file`` is where it came from (for messages)."""

    file: str
    background: Colour
    label_font: Path
    label_size: int
    label_colour: Colour
    label_gap: int
    front_header: Header
    photo: PhotoPlace
    fields: tuple[FieldPlace, ...]
    barcode: BarcodePlace
    back_header: Header
    entries: EntriesPlace
    empty: str
    kinds: Mapping[str, str]


def load_template(path: Path | None = None) -> CardTemplate:
    """The layout in ``path``, or the one shipped with emp-edge."""
    path = path or SHIPPED
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError("the card template {file} cannot be read", file=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(
            "the card template {file} is not JSON (line {line}, column {column})",
            file=str(path),
            line=err.lineno,
            column=err.colno,
        ) from None
    return _Reader(str(path)).template(data)


def photo_box(template: CardTemplate) -> tuple[int, int]:
    """The size, in pixels, a photo is cropped to for this layout."""
    return template.photo.box[2], template.photo.box[3]


class _Reader:
    """Reads one template file's fields, each refusal naming the file and the field."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.fonts: dict[str, Path] = {}
        self.colours: dict[str, Colour] = {}
        self.label_room = 0  # a field's label line and the gap under it, in pixels

    def fail(self, template: str, field: str, **params: Any) -> ConfigError:
        return ConfigError(
            "the card template {file}: " + template, file=self.file, field=field, **params
        )

    def template(self, data: Any) -> CardTemplate:
        if not isinstance(data, dict):
            raise ConfigError("the card template {file} must hold one JSON object", file=self.file)
        top = self.object(data, "", {"comment", "fonts", "colours", "labels", "front", "back"})
        self.fonts = {
            name: self.font_file(value, f"fonts.{name}")
            for name, value in self.object(self.need(top, "fonts", ""), "fonts").items()
        }
        self.colours = {
            name: self.hex_colour(value, f"colours.{name}")
            for name, value in self.object(self.need(top, "colours", ""), "colours").items()
        }
        labels = self.object(
            self.need(top, "labels", ""), "labels", {"font", "size", "colour", "gap"}
        )
        label_font = self.font(self.need(labels, "font", "labels."), "labels.font")
        label_size = self.number(self.need(labels, "size", "labels."), "labels.size", *_SIZES)
        label_gap = self.number(self.need(labels, "gap", "labels."), "labels.gap", 0, 100)
        self.label_room = line_height(label_font, label_size) + label_gap
        front = self.object(
            self.need(top, "front", ""), "front", {"header", "photo", "fields", "barcode"}
        )
        back = self.object(
            self.need(top, "back", ""), "back", {"header", "entries", "empty", "kinds"}
        )
        return CardTemplate(
            file=self.file,
            background=self.need(self.colours, "background", "colours."),
            label_font=label_font,
            label_size=label_size,
            label_colour=self.colour(self.need(labels, "colour", "labels."), "labels.colour"),
            label_gap=label_gap,
            front_header=self.header(self.need(front, "header", "front."), "front.header"),
            photo=self.photo(self.need(front, "photo", "front."), "front.photo"),
            fields=self.fields(self.need(front, "fields", "front."), "front.fields"),
            barcode=self.barcode(self.need(front, "barcode", "front."), "front.barcode"),
            back_header=self.header(self.need(back, "header", "back."), "back.header"),
            entries=self.entries(self.need(back, "entries", "back."), "back.entries"),
            empty=self.text(self.need(back, "empty", "back."), "back.empty"),
            kinds=self.kinds(self.need(back, "kinds", "back."), "back.kinds"),
        )

    # ------------------------------------------------------------ the parts

    def header(self, data: Any, field: str) -> Header:
        keys = {"text", "box", "font", "size", "colour", "fill"}
        part = self.object(data, field, keys)
        get = self.getter(part, field)
        return Header(
            text=self.text(get("text"), f"{field}.text"),
            box=self.box(get("box"), f"{field}.box"),
            font=self.font(get("font"), f"{field}.font"),
            size=self.number(get("size"), f"{field}.size", *_SIZES),
            colour=self.colour(get("colour"), f"{field}.colour"),
            fill=self.colour(get("fill"), f"{field}.fill"),
        )

    def photo(self, data: Any, field: str) -> PhotoPlace:
        part = self.object(data, field, {"box", "frame", "missing_fill", "missing_text"})
        get = self.getter(part, field)
        return PhotoPlace(
            box=self.box(get("box"), f"{field}.box"),
            frame=self.colour(get("frame"), f"{field}.frame"),
            missing_fill=self.colour(get("missing_fill"), f"{field}.missing_fill"),
            missing_text=self.text(get("missing_text"), f"{field}.missing_text"),
        )

    def fields(self, data: Any, field: str) -> tuple[FieldPlace, ...]:
        if not isinstance(data, list):
            raise self.fail("{field} must be a list", field)
        keys = {"field", "label", "box", "font", "size", "min_size", "lines", "colour"}
        places = []
        for index, item in enumerate(data):
            where = f"{field}[{index}]"
            get = self.getter(self.object(item, where, keys), where)
            name = self.text(get("field"), f"{where}.field")
            if name not in FIELDS:
                raise self.fail(
                    "{field} names {value}, which is not a card field", f"{where}.field", value=name
                )
            size = self.number(get("size"), f"{where}.size", *_SIZES)
            place = FieldPlace(
                field=name,
                label=self.text(get("label"), f"{where}.label"),
                box=self.box(get("box"), f"{where}.box"),
                font=self.font(get("font"), f"{where}.font"),
                size=size,
                min_size=self.number(get("min_size"), f"{where}.min_size", _SIZES[0], size),
                lines=self.number(get("lines"), f"{where}.lines", 1, 10),
                colour=self.colour(get("colour"), f"{where}.colour"),
            )
            needed = self.label_room + line_height(place.font, place.min_size)
            self.roomy(place.box, needed, f"{where}.box")
            places.append(place)
        for name in FIELDS:
            if sum(place.field == name for place in places) != 1:
                raise self.fail("{field} must place {value} once", field, value=name)
        return tuple(places)

    def barcode(self, data: Any, field: str) -> BarcodePlace:
        keys = {"box", "module", "bar_height", "gap", "font", "size", "colour"}
        get = self.getter(self.object(data, field, keys), field)
        box = self.box(get("box"), f"{field}.box")
        return BarcodePlace(
            box=box,
            module=self.number(get("module"), f"{field}.module", 1, 20),
            bar_height=self.number(get("bar_height"), f"{field}.bar_height", 10, max(10, box[3])),
            gap=self.number(get("gap"), f"{field}.gap", 0, 100),
            font=self.font(get("font"), f"{field}.font"),
            size=self.number(get("size"), f"{field}.size", *_SIZES),
            colour=self.colour(get("colour"), f"{field}.colour"),
        )

    def entries(self, data: Any, field: str) -> EntriesPlace:
        keys = {"box", "font", "label_font", "size", "min_size", "colour", "label_colour"}
        get = self.getter(self.object(data, field, keys), field)
        size = self.number(get("size"), f"{field}.size", *_SIZES)
        place = EntriesPlace(
            box=self.box(get("box"), f"{field}.box"),
            font=self.font(get("font"), f"{field}.font"),
            label_font=self.font(get("label_font"), f"{field}.label_font"),
            size=size,
            min_size=self.number(get("min_size"), f"{field}.min_size", _SIZES[0], size),
            colour=self.colour(get("colour"), f"{field}.colour"),
            label_colour=self.colour(get("label_colour"), f"{field}.label_colour"),
        )
        self.roomy(place.box, line_height(place.font, place.min_size), f"{field}.box")
        return place

    def kinds(self, data: Any, field: str) -> dict[str, str]:
        known = {kind.value for kind in OtherEntryKind}
        part = self.object(data, field, known)
        for kind in OtherEntryKind:
            if kind.value not in part:
                raise self.fail("{field} lacks the label for {value}", field, value=kind.value)
        return {name: self.text(text, f"{field}.{name}") for name, text in part.items()}

    def roomy(self, box: Box, needed: int, field: str) -> None:
        if box[3] < needed:
            raise self.fail(
                "{field} is too low for its text: it needs {needed} pixels at the smallest size",
                field,
                needed=needed,
            )

    # ------------------------------------------------------------ the values

    def object(self, data: Any, field: str, keys: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail("{field} must be an object", field)
        for key in data:
            if keys is not None and key not in keys:
                raise self.fail("{field} is not a known setting", _join(field, key))
        return data

    def need(self, part: dict[str, Any], key: str, prefix: str) -> Any:
        if key not in part:
            raise self.fail("{field} is missing", f"{prefix}{key}")
        return part[key]

    def getter(self, part: dict[str, Any], field: str) -> Callable[[str], Any]:
        return lambda key: self.need(part, key, f"{field}.")

    def text(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail("{field} must be a text", field)
        return value

    def number(self, value: Any, field: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                "{field} must be a whole number from {low} to {high}", field, low=low, high=high
            )
        return value

    def box(self, value: Any, field: str) -> Box:
        if (
            not isinstance(value, list)
            or len(value) != 4
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
        ):
            raise self.fail("{field} must be four whole numbers [x, y, width, height]", field)
        x, y, width, height = value
        if x < 0 or y < 0 or width < 1 or height < 1:
            raise self.fail("{field} must be four whole numbers [x, y, width, height]", field)
        if x + width > CARD_SIZE[0] or y + height > CARD_SIZE[1]:
            raise self.fail(
                "{field} lies outside the card ({width} × {height} pixels)",
                field,
                width=CARD_SIZE[0],
                height=CARD_SIZE[1],
            )
        return x, y, width, height

    def hex_colour(self, value: Any, field: str) -> Colour:
        digits = value[1:] if isinstance(value, str) and value.startswith("#") else ""
        if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail("{field} must be a colour like #1f4e8c", field)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)

    def colour(self, value: Any, field: str) -> Colour:
        if not isinstance(value, str) or value not in self.colours:
            raise self.fail("{field} must name one of the colours", field)
        return self.colours[value]

    def font(self, value: Any, field: str) -> Path:
        if not isinstance(value, str) or value not in self.fonts:
            raise self.fail("{field} must name one of the fonts", field)
        return self.fonts[value]

    def font_file(self, value: Any, field: str) -> Path:
        name = self.text(value, field)
        found: Path | None = Path(name) if Path(name).is_absolute() else None
        if found is None:
            with suppress(PrinterError):  # not among the system's fonts: said just below
                found = font_file(name)
        if found is None or not found.is_file():
            raise self.fail("{field}: the font file {font} is not on this system", field, font=name)
        return found


@lru_cache(maxsize=512)
def font_at(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """A font at a size, loaded once per process (the basic layout: the same pixels with or
    without libraqm)."""
    try:
        return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as err:
        raise PrinterError("the font {font} cannot be loaded", font=str(path)) from err


def line_height(path: Path, size: int) -> int:
    """One line of a font at a size: its ascent and descent, Lithuanian marks included."""
    ascent, descent = font_at(path, size).getmetrics()
    return int(ascent + descent)


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key
