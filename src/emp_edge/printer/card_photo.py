"""The pupil's photo for the card (§16.1), checked and cropped to the card's photo box.

§16.1 asks for at least 318 × 354 pixels, the face and shoulders, and a plain, light background
with no objects or shadows. A person still has to look at the face; the software refuses what it
can measure, each time saying why in plain words:

- the file: a JPEG or a PNG that Pillow can read, not absurdly large (a decompression bomb);
- the size: at least ``PHOTO_MIN`` pixels once the camera's EXIF orientation is applied;
- the shape: width:height within ``ASPECT_TOLERANCE`` of the box's, so cropping to the box takes
  off at most a small band (a phone's 3:4 portrait passes, a 4:3 landscape does not);
- the background, on the cropped photo: strips along the top and the upper parts of the sides,
  where a head-and-shoulders portrait has only the wall, must be light on average and even;
- the sharpness: the spread of a Laplacian filter over the spread of the grey levels, on a copy
  scaled to a fixed width, so neither the photo's size nor its contrast changes the figure.

An accepted photo comes back as a JPEG of exactly the box's size, without EXIF or other metadata.
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Final

from PIL import Image, ImageFilter, ImageOps, ImageStat, UnidentifiedImageError

from emp_edge.errors import InputError

PHOTO_MIN: Final = (318, 354)
"""The smallest photo §16.1 allows, in pixels (width, height)."""

FORMATS: Final = frozenset({"JPEG", "PNG"})
#: a phone photo is a few MB; a bigger upload is refused before Pillow looks at it
MAX_FILE_BYTES: Final = 20_000_000
#: 50 megapixels is more than any camera a school uses; more is a decompression bomb
MAX_PIXELS: Final = 50_000_000
#: the photo's width:height may differ from the box's by this share either way (3:4 = 0.75
#: against the box's 0.90 is 17 % narrower: accepted; 4:3 or 2:3 are refused)
ASPECT_TOLERANCE: Final = 0.20
#: the checks look at a copy this wide, so that the figures do not depend on the photo's size
ANALYSIS_WIDTH: Final = 200
#: the top strip is this share of the height; a portrait's head stays below it
TOP_STRIP: Final = 0.06
#: the side strips are this share of the width …
SIDE_STRIP: Final = 0.07
#: … down to this share of the height, above the shoulders
SIDE_DEPTH: Final = 0.50
#: the least mean luminance (0–255) of the strips: a white or light wall is 170–240
BACKGROUND_MIN_LIGHT: Final = 140
#: the largest standard deviation of the strips' luminance: a plain wall with soft light and
#: camera noise is 3–15, a shadow, a door frame or hair cut by the edge is 30 and more
BACKGROUND_MAX_SPREAD: Final = 24
#: the least sharpness (Laplacian spread / grey spread on the copy): a sharp portrait is
#: 0.3 and more, a photo out of focus or shaken 0.15 and less
MIN_SHARPNESS: Final = 0.20
JPEG_QUALITY: Final = 90

_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=8, offset=128)
_SWAPPED = frozenset({5, 6, 7, 8})  # EXIF orientations that turn the photo by 90°


def check_photo(data: bytes, box: tuple[int, int]) -> bytes:
    """The photo checked, turned upright, centre-cropped to ``box``'s shape and scaled to it, as
    a JPEG with no metadata; ``InputError`` (where ``"photo"``) says why one is refused."""
    image = _open(data)
    width, height = _upright_size(image)
    if width < PHOTO_MIN[0] or height < PHOTO_MIN[1]:
        raise InputError(
            "the photo is {width} × {height} pixels: it must be at least"
            " {min_width} × {min_height}",
            where="photo",
            width=width,
            height=height,
            min_width=PHOTO_MIN[0],
            min_height=PHOTO_MIN[1],
        )
    _check_shape(width / height, box)
    fitted = _fitted(image, box)
    grey = _analysis_copy(fitted)
    _check_background(grey)
    _check_sharpness(grey)
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


# ---------------------------------------------------------------- reading the file


def _not_a_photo() -> InputError:
    return InputError("the file is not a photo (JPEG or PNG)", where="photo")


def _open(data: bytes) -> Image.Image:
    """The image, opened (its header read) but not yet decoded."""
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            "the file is larger than {limit} MB: send a smaller photo",
            where="photo",
            limit=MAX_FILE_BYTES // 1_000_000,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_photo() from None
    if image.format not in FORMATS:
        raise _not_a_photo()
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> InputError:
    return InputError(
        "the photo has more than {limit} million pixels: send a smaller photo",
        where="photo",
        limit=MAX_PIXELS // 1_000_000,
    )


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """The photo's size once its EXIF orientation is applied."""
    try:
        orientation = image.getexif().get(0x0112)
    except (OSError, SyntaxError, ValueError):  # a broken EXIF block: the photo as it is
        orientation = None
    if orientation in _SWAPPED:
        return image.height, image.width
    return image.width, image.height


def _fitted(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Decoded (a JPEG at the smallest scale still twice the box), upright, RGB on white,
    centre-cropped to the box's shape and scaled to it."""
    side = 2 * max(box)
    try:
        if image.format == "JPEG":
            image.draft("RGB", (side, side))
        image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = _rgb(upright)
    except (OSError, SyntaxError, ValueError):
        raise InputError("the photo file is damaged: it cannot be read", where="photo") from None
    return ImageOps.fit(rgb, box, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _rgb(image: Image.Image) -> Image.Image:
    """The photo in RGB; a transparent part is white, a 16-bit grey photo is scaled to 8 bits."""
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


# ---------------------------------------------------------------- the checks


def _check_shape(aspect: float, box: tuple[int, int]) -> None:
    wanted = box[0] / box[1]
    if aspect > wanted * (1 + ASPECT_TOLERANCE):
        raise InputError(
            "the photo is too wide for the card's photo box: crop it to a portrait with"
            " width:height near {ratio}",
            where="photo",
            ratio=f"{wanted:.2f}",
        )
    if aspect < wanted * (1 - ASPECT_TOLERANCE):
        raise InputError(
            "the photo is too tall for the card's photo box: crop it to a portrait with"
            " width:height near {ratio}",
            where="photo",
            ratio=f"{wanted:.2f}",
        )


def _analysis_copy(image: Image.Image) -> Image.Image:
    """A grey copy ``ANALYSIS_WIDTH`` pixels wide."""
    height = max(1, round(image.height * ANALYSIS_WIDTH / image.width))
    return image.convert("L").resize((ANALYSIS_WIDTH, height), Image.Resampling.BOX)


def background_strips(grey: Image.Image) -> list[Image.Image]:
    """The top strip and the upper parts of the two sides, where only the wall should be."""
    width, height = grey.size
    top = max(1, round(height * TOP_STRIP))
    side = max(1, round(width * SIDE_STRIP))
    depth = max(top + 1, round(height * SIDE_DEPTH))
    return [
        grey.crop((0, 0, width, top)),
        grey.crop((0, top, side, depth)),
        grey.crop((width - side, top, width, depth)),
    ]


def background_figures(grey: Image.Image) -> tuple[float, float]:
    """The strips' mean luminance and its standard deviation, all pixels together."""
    count = total = squares = 0.0
    for strip in background_strips(grey):
        stat = ImageStat.Stat(strip)
        count += stat.count[0]
        total += stat.sum[0]
        squares += stat.sum2[0]
    mean = total / count
    return mean, math.sqrt(max(0.0, squares / count - mean * mean))


def _check_background(grey: Image.Image) -> None:
    mean, spread = background_figures(grey)
    if mean < BACKGROUND_MIN_LIGHT:
        raise InputError(
            "the background is too dark at the edges: stand in front of a light, plain wall",
            where="photo",
        )
    if spread > BACKGROUND_MAX_SPREAD:
        raise InputError(
            "the background is uneven at the edges (shadows, objects, or the head too close"
            " to the edge): use a plain wall and leave space around the head",
            where="photo",
        )


def sharpness(grey: Image.Image) -> float:
    """The spread of the Laplacian over the spread of the grey levels (0 for a plain image)."""
    contrast = ImageStat.Stat(grey).stddev[0]
    if contrast < 1:
        return 0.0
    edges = grey.filter(_LAPLACIAN).crop((1, 1, grey.width - 1, grey.height - 1))
    return float(ImageStat.Stat(edges).stddev[0]) * 8 / contrast


def _check_sharpness(grey: Image.Image) -> None:
    if sharpness(grey) < MIN_SHARPNESS:
        raise InputError(
            "the photo is blurred: hold the camera still and focus on the face",
            where="photo",
        )
