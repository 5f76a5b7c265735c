"""The card's faces (CR80 at 300 dpi): compared with golden images pixel by pixel, the barcode
read back from the pixels, long texts kept in their boxes, Lithuanian letters drawn, and a broken
template refused with the field named.

``EMP_EDGE_WRITE_GOLDEN=1`` writes the golden images (tests/printer/golden/) and the samples in
docs/ from the same made-up pupil; look at them before committing.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from barcode import Code128
from barcode.charsets import code128
from card_portraits import encoded, portrait
from PIL import Image, ImageChops, ImageStat

from emp_edge.errors import ConfigError, InputError
from emp_edge.printer.card_face import (
    CardFace,
    CardTemplate,
    barcode_modules,
    fit_text,
    load_template,
    photo_box,
    render_card,
)
from emp_edge.printer.card_photo import check_photo
from emp_edge.printer.card_template import SHIPPED

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).resolve().parents[2] / "docs"
WRITE = os.environ.get("EMP_EDGE_WRITE_GOLDEN") == "1"
LETTERS = "ĄČĘĖĮŠŲŪŽąčęėįšųūž"
TEMPLATE = load_template()


def made_up_face(**changes: Any) -> CardFace:
    """Žydrūnė Čepulionytė of a made-up school, with a fixed synthetic photo."""
    photo = check_photo(encoded(portrait()), photo_box(TEMPLATE))
    face = CardFace(
        first_name="Žydrūnė",
        last_name="Čepulionytė",
        birth_date=date(2015, 3, 17),
        school_name="Vilniaus Ąžuolyno progimnazija",
        school_code="300012345",
        valid_until=date(2030, 8, 31),
        card_number="3000123450000042",
        photo_jpeg=photo,
        other_entries=(
            ("programme", "Pradinio ugdymo programa"),
            ("transport_route", "Autobusas Nr. 7: „Žirmūnų“ stotelė – „Ąžuolyno mokykla“"),
            ("safety_note", "Alergija riešutams: skambinti mamai"),
        ),
    )
    return CardFace(**{**face.__dict__, **changes})


def image(png: bytes) -> Image.Image:
    opened = Image.open(io.BytesIO(png))
    opened.load()
    return opened


def front(face: CardFace, template: CardTemplate = TEMPLATE) -> Image.Image:
    return image(render_card(face, template)[0])


def back(face: CardFace, template: CardTemplate = TEMPLATE) -> Image.Image:
    return image(render_card(face, template)[1])


def changed_area(first: Image.Image, second: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(first, second).getbbox()


def inside(area: tuple[int, int, int, int] | None, box: tuple[int, int, int, int]) -> bool:
    x, y, width, height = box
    assert area is not None, "nothing changed"
    return area[0] >= x and area[1] >= y and area[2] <= x + width and area[3] <= y + height


def place(field: str) -> tuple[int, int, int, int]:
    return next(p.box for p in TEMPLATE.fields if p.field == field)


# ---------------------------------------------------------------- golden images


def assert_like(png: bytes, golden_png: bytes) -> None:
    """Within a tolerance for fonts and JPEG decoders that differ a little between systems:
    mean absolute difference ≤ 2 per channel, ≤ 0.5 % of pixels off by more than 64."""
    drawn, golden = image(png).convert("RGB"), image(golden_png).convert("RGB")
    assert drawn.size == golden.size
    diff = ImageChops.difference(drawn, golden)
    assert max(ImageStat.Stat(diff).mean) <= 2, "the mean difference is too large"
    red, green, blue = diff.split()
    worst = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    off = worst.point(lambda v: 255 if v > 64 else 0).histogram()[255]
    assert off <= 0.005 * drawn.width * drawn.height, f"{off} pixels differ"


def golden(name: str, png: bytes) -> bytes:
    """The golden image; with ``EMP_EDGE_WRITE_GOLDEN=1`` first (re)written from ``png``, with
    its sample in docs/."""
    path = GOLDEN / name
    if WRITE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png)
        (DOCS / name.replace("_", "-")).write_bytes(png)
    return path.read_bytes()


def test_the_faces_look_like_the_golden_images() -> None:
    front_png, back_png = render_card(made_up_face(), TEMPLATE)
    assert_like(front_png, golden("card_front.png", front_png))
    assert_like(back_png, golden("card_back.png", back_png))


def test_the_comparison_notices_a_changed_card() -> None:
    changed = made_up_face(valid_until=date(2029, 8, 31), last_name="Kazlauskaitė")
    front_png, _ = render_card(changed, TEMPLATE)
    with pytest.raises(AssertionError):
        assert_like(front_png, (GOLDEN / "card_front.png").read_bytes())
    fewer = render_card(made_up_face(other_entries=()), TEMPLATE)[1]
    with pytest.raises(AssertionError):
        assert_like(fewer, (GOLDEN / "card_back.png").read_bytes())


def test_both_faces_are_cr80_pngs_at_300_dpi() -> None:
    for png in render_card(made_up_face(), TEMPLATE):
        card = image(png)
        assert card.format == "PNG"
        assert card.size == (1012, 638)
        assert card.mode == "RGB"
        assert tuple(round(v) for v in card.info["dpi"]) == (300, 300)


# ---------------------------------------------------------------- the barcode


def bar_row(card: Image.Image) -> tuple[str, int, int]:
    """The dark/light modules along a line through the middle of the bars, the module's
    width in pixels, and the white margin before the first bar."""
    x, y, width, _ = TEMPLATE.barcode.box
    row = card.convert("L").crop(
        (
            x,
            y + TEMPLATE.barcode.bar_height // 2,
            x + width,
            1 + y + TEMPLATE.barcode.bar_height // 2,
        )
    )
    dark = ["1" if v < 128 else "0" for v in row.tobytes()]
    first, last = dark.index("1"), len(dark) - dark[::-1].index("1")
    runs: list[tuple[str, int]] = []
    for pixel in dark[first:last]:
        if runs and runs[-1][0] == pixel:
            runs[-1] = (pixel, runs[-1][1] + 1)
        else:
            runs.append((pixel, 1))
    module = min(length for _, length in runs)
    assert all(length % module == 0 for _, length in runs), "bars of uneven width"
    return "".join(kind * (length // module) for kind, length in runs), module, first


def decode_code128(modules: str) -> str:
    """Reads Code 128 (sets C and B) from its modules with the standard's symbol table."""
    assert modules.endswith("1100011101011"), "no stop pattern"
    body = modules[: -len("1100011101011")]
    assert len(body) % 11 == 0
    values = [code128.CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    *symbols, check = values
    assert check == (symbols[0] + sum(i * v for i, v in enumerate(symbols[1:], 1))) % 103
    charset = {105: "C", 104: "B"}[symbols[0]]
    text = ""
    for value in symbols[1:]:
        if value in (100, 99) and not (charset == "C" and value == 99):
            charset = {100: "B", 99: "C"}[value]
        elif charset == "C":
            text += f"{value:02d}"
        else:
            text += chr(value + 32)
    return text


@pytest.mark.parametrize("number", ["3000123450000042", "190012345000123"])
def test_the_barcode_is_code_128_of_the_card_number(number: str) -> None:
    modules, module, margin = bar_row(front(made_up_face(card_number=number)))
    assert modules == Code128(number).build()[0] == barcode_modules(number)
    assert decode_code128(modules) == number
    assert module == TEMPLATE.barcode.module
    assert margin >= 10 * module  # the quiet zone


def test_a_card_number_code_128_cannot_carry_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        render_card(made_up_face(card_number="Nr. Ž-1"), TEMPLATE)
    assert caught.value.where == "card_number"


# ---------------------------------------------------------------- long texts and letters


LONG = {
    "last_name": "Čepulionytė-Žemaitienė-Radvilaitė-Kęstutaitienė-Gediminaitė-Vytautienė "
    "Algirdaitė Mindaugienė Jogailaitė Švitrigailienė Kęstutienė",
    "first_name": "Žydrūnė Ąžuolė Gabrielė Konstancija Marija Liucija Ūla Eglė Rūta Dalia",
    "school_name": "Vilniaus miesto savivaldybės Jono Basanavičiaus vardo Ąžuolyno progimnazija"
    " su ikimokyklinio ir priešmokyklinio ugdymo skyriais bei neformaliojo švietimo centru",
}


@pytest.mark.parametrize("field", sorted(LONG))
def test_a_very_long_text_stays_inside_its_box(field: str) -> None:
    short = front(made_up_face())
    long = front(made_up_face(**{field: LONG[field]}))
    assert inside(changed_area(short, long), place(field))


def test_a_long_text_that_can_wrap_keeps_every_letter_and_an_impossible_one_is_cut() -> None:
    field = next(p for p in TEMPLATE.fields if p.field == "last_name")
    room = (field.box[2], field.box[3] - 30)
    double = "Čepulionytė-Žemaitienė-Radvilaitė"
    fitted = fit_text(double, field.font, room, field.size, field.min_size, field.lines)
    assert "".join(fitted.lines) == double
    assert len(fitted.lines) <= field.lines
    cut = fit_text(LONG["last_name"] * 3, field.font, room, field.size, field.min_size, field.lines)
    assert cut.size == field.min_size
    assert len(cut.lines) == field.lines
    assert cut.lines[-1].endswith("…")


def test_many_long_entries_stay_inside_the_back_box() -> None:
    entries = tuple(
        (kind, "Labai ilgas įrašas apie mokinio maršrutą ir mokymosi formą. " * 12)
        for kind in (
            "programme",
            "learning_form",
            "transport_route",
            "residence_mark",
            "safety_note",
        )
    )
    crowded = back(made_up_face(other_entries=entries))
    empty = back(made_up_face(other_entries=()))
    assert inside(changed_area(empty, crowded), TEMPLATE.entries.box)


def test_an_empty_back_says_so_and_an_unknown_entry_kind_is_refused() -> None:
    empty = back(made_up_face(other_entries=()))
    blank = Image.new("RGB", empty.size, TEMPLATE.background)
    x, y, width, height = TEMPLATE.entries.box
    assert changed_area(
        blank.crop((x, y, x + width, y + height)), empty.crop((x, y, x + width, y + height))
    )
    with pytest.raises(InputError):
        render_card(made_up_face(other_entries=(("pet", "Šuo"),)), TEMPLATE)


@pytest.mark.parametrize("letter", list(LETTERS))
def test_every_lithuanian_letter_draws_its_own_ink(letter: str) -> None:
    box = place("first_name")
    x, y, width, height = box
    crop = (x, y, x + width, y + height)
    drawn = front(made_up_face(first_name=letter)).crop(crop)
    nothing = front(made_up_face(first_name=" ")).crop(crop)
    plain = front(
        made_up_face(first_name=letter.translate(str.maketrans(LETTERS, "ACEEISUUZaceeisuuz")))
    ).crop(crop)
    missing = front(made_up_face(first_name="\ue000")).crop(crop)  # no glyph in DejaVu: a box
    assert changed_area(nothing, drawn), "no ink"
    assert changed_area(plain, drawn), "the mark is missing"
    assert changed_area(missing, drawn), "drawn as a missing glyph"


def test_the_photo_is_in_its_box_and_a_card_without_one_shows_the_placeholder() -> None:
    x, y, _, _ = TEMPLATE.photo.box
    with_photo = front(made_up_face())
    without = front(made_up_face(photo_jpeg=None))
    assert inside(changed_area(with_photo, without), TEMPLATE.photo.box)
    wall = with_photo.getpixel((x + 20, y + 20))
    assert all(abs(a - b) <= 12 for a, b in zip(wall, (228, 226, 219), strict=True))  # type: ignore[arg-type]
    assert without.getpixel((x + 20, y + 20)) == TEMPLATE.photo.missing_fill


# ---------------------------------------------------------------- the template file


def broken(tmp_path: Path, change: Any) -> ConfigError:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "kortele.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert str(path) in str(caught.value)
    return caught.value


def _set(data: dict[str, Any], dotted: list[Any], value: Any) -> None:
    for key in dotted[:-1]:
        data = data[key]
    if value is KeyError:
        del data[dotted[-1]]
    else:
        data[dotted[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["front", "fields", 2, "box"], [392, 320, 280], "front.fields[2].box"),
        (["front", "fields", 2, "box"], [900, 320, 280, 62], "front.fields[2].box"),
        (["front", "fields", 4, "box"], [392, 388, 590, 30], "front.fields[4].box"),
        (["back", "entries", "box"], [40, 112, 932, 12], "back.entries.box"),
        (["front", "barcode", "bar_height"], 200, "front.barcode.bar_height"),
        (["front", "fields", 0, "size"], "didelis", "front.fields[0].size"),
        (["front", "fields", 0, "min_size"], 80, "front.fields[0].min_size"),
        (["front", "fields", 1, "field"], "nickname", "front.fields[1].field"),
        (["front", "photo", "frame"], "purple", "front.photo.frame"),
        (["front", "barcode", "font"], "italic", "front.barcode.font"),
        (["front", "barcode"], KeyError, "front.barcode"),
        (["back", "kinds", "safety_note"], KeyError, "back.kinds"),
        (["back", "entries", "colur"], "text", "back.entries.colur"),
        (["colours", "accent"], "mėlyna", "colours.accent"),
        (["fonts", "bold"], "NoSuchFont-Bold.ttf", "fonts.bold"),
    ],
)
def test_a_bad_template_field_is_a_config_error_naming_it(
    tmp_path: Path, path: list[Any], value: Any, field: str
) -> None:
    err = broken(tmp_path, lambda data: _set(data, path, value))
    assert err.params["field"] == field
    assert field in str(err)


def test_a_template_that_is_not_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "kortele.json"
    path.write_text('{"fonts": {"regular": "DejaVuSans.ttf",}}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert caught.value.params["line"] == 1
    with pytest.raises(ConfigError):
        load_template(tmp_path / "nėra.json")


def test_the_shipped_template_places_every_datum_and_the_photo_box_of_section_16() -> None:
    assert {p.field for p in TEMPLATE.fields} == {
        "last_name", "first_name", "birth_date", "school_code", "school_name", "valid_until"
    }  # fmt: skip
    assert photo_box(TEMPLATE) == (318, 354)  # 27 × 30 mm at 300 dpi
    assert TEMPLATE.kinds["transport_route"] == "Maršrutas"
