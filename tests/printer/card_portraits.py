"""Synthetic pupil photos drawn with Pillow: a light plain wall with a head-and-shoulders shape,
and the ways a photo goes wrong (dark wall, uneven wall, blur, wrong shape). Deterministic: the
camera noise comes from a seeded generator, so the golden card images stay the same."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

WALL = (228, 226, 219)


def portrait(
    size: tuple[int, int] = (636, 708), wall: tuple[int, int, int] = WALL, noise: int = 4
) -> Image.Image:
    """A head and shoulders in the middle of a plain wall, with a little camera noise."""
    w, h = size
    image = Image.new("RGB", size, wall)
    draw = ImageDraw.Draw(image)
    draw.ellipse((int(-0.1 * w), int(0.74 * h), int(1.1 * w), int(1.5 * h)), fill=(38, 48, 82))
    draw.rectangle(
        (int(0.43 * w), int(0.56 * h), int(0.57 * w), int(0.8 * h)), fill=(198, 158, 128)
    )
    draw.ellipse((int(0.31 * w), int(0.17 * h), int(0.69 * w), int(0.66 * h)), fill=(206, 166, 136))
    draw.chord(
        (int(0.30 * w), int(0.15 * h), int(0.70 * w), int(0.52 * h)), 180, 360, fill=(62, 40, 24)
    )
    for x in (0.42, 0.58):
        draw.ellipse(
            (int((x - 0.03) * w), int(0.40 * h), int((x + 0.03) * w), int(0.43 * h)),
            fill=(28, 28, 30),
        )
    draw.line(
        (int(0.45 * w), int(0.56 * h), int(0.55 * w), int(0.56 * h)),
        fill=(130, 52, 52),
        width=max(1, w // 100),
    )
    return with_noise(image, noise) if noise else image  # fmt: skip


def with_noise(image: Image.Image, amplitude: int, seed: int = 7) -> Image.Image:
    """The image with uniform grey noise of ±``amplitude`` levels."""
    rng = random.Random(seed)
    raw = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    grain = raw.point(lambda v: 128 - amplitude + v * 2 * amplitude // 255)
    return ImageChops.add(image, Image.merge("RGB", [grain] * 3), scale=1.0, offset=-128)


def gradient_wall(size: tuple[int, int] = (636, 708)) -> Image.Image:
    """The portrait in front of a wall lit from the left: white there, grey on the right."""
    light = Image.linear_gradient("L").rotate(90).resize(size)  # 255 on the left, 0 right
    wall = light.point(lambda v: 120 + v * 130 // 255)
    person = portrait(size, noise=0)
    mask = ImageChops.difference(person, Image.new("RGB", size, (228, 226, 219))).convert("L")
    mask = mask.point(lambda v: 255 if v else 0)
    return Image.composite(person, Image.merge("RGB", [wall] * 3), mask)


def door_frame(size: tuple[int, int] = (636, 708)) -> Image.Image:
    """The portrait with a dark door frame along the left edge."""
    image = portrait(size)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 14, size[1]), fill=(70, 50, 30))
    return image


def blurred(radius: float = 4, size: tuple[int, int] = (636, 708)) -> Image.Image:
    return portrait(size).filter(ImageFilter.GaussianBlur(radius))


def encoded(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        options.setdefault("quality", 92)
    image.save(out, fmt, **options)
    return out.getvalue()
