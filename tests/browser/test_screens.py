"""The screenshot script still works: every page it shoots is a small 1280×800 PNG."""

from __future__ import annotations

import struct
from pathlib import Path

from demo_site import TOUCH_SCREEN
from playwright.sync_api import Browser
from screens import SCREENS, make_screens

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 300 * 1024


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} has no PNG header chunk"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_screenshot_script_saves_every_page(chromium: Browser, tmp_path: Path) -> None:
    saved = make_screens(chromium, tmp_path / "screens")
    assert [path.name for path in saved] == [f"{name}.png" for name, _ in SCREENS]
    for path in saved:
        size = path.stat().st_size
        assert 5 * 1024 < size < MAX_BYTES, (path.name, size)
        assert png_size(path) == (TOUCH_SCREEN["width"], TOUCH_SCREEN["height"]), path.name
