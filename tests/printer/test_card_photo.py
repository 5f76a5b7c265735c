"""The pupil's photo (§16.1): each refusal says why, an accepted photo comes back upright,
cropped to the card's photo box, as a JPEG with no metadata."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from card_portraits import WALL, blurred, door_frame, encoded, gradient_wall, portrait
from PIL import Image, ImageChops, ImageStat

from emp_edge.errors import InputError
from emp_edge.printer.card_photo import PHOTO_MIN, check_photo

BOX = (318, 354)


def refusal(data: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        check_photo(data, BOX)
    assert caught.value.where == "photo"
    return caught.value


def opened(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` with almost no data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


# ---------------------------------------------------------------- accepted


def test_a_good_photo_comes_back_as_a_jpeg_of_the_box_without_metadata() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Kamera UAB"  # Make
    exif[0x0132] = "2026:09:01 08:00:00"  # DateTime
    data = encoded(portrait(), exif=exif.tobytes())
    assert opened(data).getexif()  # the upload has EXIF …

    out = check_photo(data, BOX)

    image = opened(out)
    assert image.format == "JPEG"
    assert image.size == BOX
    assert image.mode == "RGB"
    assert not image.getexif()  # … the card's photo has none
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert b"Kamera UAB" not in out


def test_the_camera_orientation_is_applied_before_the_checks_and_the_crop() -> None:
    # stored lying on its side (708 × 636), with EXIF saying "turn 90° clockwise to view"
    lying = portrait().rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = opened(check_photo(encoded(lying, exif=exif.tobytes()), BOX))

    assert out.size == BOX
    grey = out.convert("L")
    top = ImageStat.Stat(grey.crop((0, 0, BOX[0], 20))).mean[0]
    bottom = ImageStat.Stat(grey.crop((0, BOX[1] - 20, BOX[0], BOX[1]))).mean[0]
    assert top > 200  # the wall above the head
    assert bottom < 110  # the shoulders below


def test_the_smallest_allowed_photo_and_a_phone_portrait_are_accepted() -> None:
    assert PHOTO_MIN == (318, 354)
    assert opened(check_photo(encoded(portrait(PHOTO_MIN)), BOX)).size == BOX
    # 3:4, as phones take portraits: cropped top and bottom to the box's 0.9
    assert opened(check_photo(encoded(portrait((900, 1200))), BOX)).size == BOX


def test_a_png_with_a_transparent_background_is_taken_on_white() -> None:
    person = portrait(noise=0)
    wall = Image.new("RGB", person.size, WALL)
    person.putalpha(ImageChops.difference(person, wall).convert("L").point(lambda v: 255 * (v > 0)))
    assert person.getpixel((5, 5)) == (*WALL, 0)
    out = opened(check_photo(encoded(person, "PNG"), BOX))
    assert out.getpixel((5, 5)) >= (245, 245, 245)  # type: ignore[operator]


# ---------------------------------------------------------------- refused


def test_text_and_gif_files_are_not_photos() -> None:
    for data in (b"Labas, tai ne nuotrauka.\n", encoded(portrait(), "GIF"), b""):
        err = refusal(data)
        assert err.template == "the file is not a photo (JPEG or PNG)"


def test_a_damaged_jpeg_is_refused_as_damaged() -> None:
    data = encoded(portrait())
    err = refusal(data[: len(data) // 3])
    assert err.template == "the photo file is damaged: it cannot be read"


@pytest.mark.parametrize(("width", "height"), [(100, 120), (317, 400), (330, 353)])
def test_a_small_photo_is_refused_with_its_size(width: int, height: int) -> None:
    err = refusal(encoded(portrait((width, height))))
    assert err.template.startswith("the photo is {width} × {height} pixels")
    assert err.params == {"width": width, "height": height, "min_width": 318, "min_height": 354}
    assert str(err) == (
        f"photo: the photo is {width} × {height} pixels: it must be at least 318 × 354"
    )


@pytest.mark.parametrize("size", [(8000, 8000), (20000, 20000)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(size: tuple[int, int]) -> None:
    err = refusal(png_header_only(*size))
    assert err.template == "the photo has more than {limit} million pixels: send a smaller photo"


def test_a_landscape_or_a_narrow_photo_does_not_fit_the_box() -> None:
    wide = refusal(encoded(portrait((800, 600))))
    assert wide.template.startswith("the photo is too wide for the card's photo box")
    assert wide.params == {"ratio": "0.90"}
    tall = refusal(encoded(portrait((400, 800))))
    assert tall.template.startswith("the photo is too tall for the card's photo box")


def test_a_dark_background_is_refused() -> None:
    err = refusal(encoded(portrait(wall=(70, 70, 80))))
    assert err.template == (
        "the background is too dark at the edges: stand in front of a light, plain wall"
    )


@pytest.mark.parametrize("image", [gradient_wall(), door_frame()], ids=["gradient", "door"])
def test_an_uneven_background_is_refused(image: Image.Image) -> None:
    err = refusal(encoded(image))
    assert err.template.startswith("the background is uneven at the edges")


def test_a_blurred_photo_is_refused_and_a_slightly_soft_one_is_not() -> None:
    err = refusal(encoded(blurred(4)))
    assert err.template == "the photo is blurred: hold the camera still and focus on the face"
    assert opened(check_photo(encoded(blurred(0.8)), BOX)).size == BOX


def test_the_blur_check_does_not_depend_on_the_photo_size() -> None:
    big = portrait((1908, 2124)).resize((1908, 2124))
    assert opened(check_photo(encoded(big), BOX)).size == BOX
    refusal_big = refusal(encoded(blurred(12, (1908, 2124))))
    assert refusal_big.template.startswith("the photo is blurred")
