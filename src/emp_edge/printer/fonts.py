"""Where the DejaVu fonts are (fonts-dejavu-core on Debian): every letter of Lithuanian, for the
receipts drawn as images and the PDF documents."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from PIL import ImageFont

from emp_edge.errors import PrinterError

FONT_FOLDERS: Final = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-mono-fonts",  # Fedora
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",  # FreeBSD
)


@cache
def font_file(name: str) -> Path:
    """Where a DejaVu font file (``DejaVuSans.ttf`` …) is on this system."""
    for folder in FONT_FOLDERS:
        path = Path(folder) / name
        if path.is_file():
            return path
    try:  # Pillow looks in the XDG data folders by itself
        found = ImageFont.truetype(name, 10).path
    except OSError as err:
        raise PrinterError(
            "the font {font} is missing (install fonts-dejavu-core)", font=name
        ) from err
    return Path(str(found))
