"""The monthly clubs report as a PDF, read back with pypdf: A4, DejaVu Sans embedded, every
Lithuanian letter there as text, a table per group over as many pages as it needs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from emp_edge.errors import PrinterError
from emp_edge.printer import fonts
from emp_edge.printer.club_report_pdf import month_pdf
from emp_edge.store.club_report import GroupMonth, PupilMonth
from emp_edge.store.club_report_table import MonthDocument, ReportHeads

LETTERS = "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"
HEADS = ReportHeads(
    pupil="Mokinys",
    class_label="Klasė",
    sessions_attended="Lankyta užsiėmimų",
    hours="Lankyta akad. valandų",
    fundable="Finansuojama",
    basket="NVŠ krepšelis",
    yes="taip",
    no="ne",
)


def pupil(n: int, name: str, hours: int, basket: bool = True) -> PupilMonth:
    return PupilMonth(n, name, "5b", hours // 2, hours, hours >= 4, basket)


def document(pupils: list[PupilMonth], *, empty_group: bool = True) -> MonthDocument:
    guitar = GroupMonth(1, "Gitara 1", "Jaunųjų muzikantų studija", "2026-10", 5, 10, pupils)
    sections = [("Gitara 1 (Jaunųjų muzikantų studija): 5 užsiėmimai, 10 akad. val.", guitar)]
    if empty_group:
        empty = GroupMonth(2, "Šachmatai", "Žaidimų klubas", "2026-10", 0, 0, [])
        sections.append(("Šachmatai (Žaidimų klubas): 0 užsiėmimų", empty))
    return MonthDocument(
        title="NVŠ lankomumo ataskaita, 2026-10",
        lines=("Šaltinio progimnazija (kodas 190000000)", f"Raidės: {LETTERS}",
               "Mėnuo finansuojamas, jei lankyta ne mažiau kaip 4 akademinės valandos."),
        heads=HEADS,
        sections=tuple(sections),
        no_pupils="Šį mėnesį grupės sąrašuose mokinių nebuvo.",
    )  # fmt: skip


def read(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def fonts_of(reader: PdfReader) -> Iterator[Any]:
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            yield font.get_object()


def test_a_pdf_in_a4_with_dejavu_sans_embedded() -> None:
    content = month_pdf(document([pupil(1, "Ūla Žemaitytė", 4)]))
    assert content.startswith(b"%PDF-")
    reader = read(content)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    used = list(fonts_of(reader))
    assert used
    for font in used:
        assert "DejaVuSans" in str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()  # embedded, not named
    assert reader.metadata is not None
    assert reader.metadata.title == "NVŠ lankomumo ataskaita, 2026-10"


def test_lithuanian_letters_and_the_figures_are_text_in_it() -> None:
    reader = read(
        month_pdf(document([pupil(1, "Ūla Žemaitytė", 4), pupil(2, "Česlovas Ėglė", 2, False)]))
    )
    text = text_of(reader)
    assert LETTERS in text
    for expected in (
        "NVŠ lankomumo ataskaita, 2026-10",
        "Šaltinio progimnazija",
        "Gitara 1 (Jaunųjų muzikantų studija)",
        "Lankyta akad. valandų",
        "Ūla Žemaitytė 5b 2 4 taip taip",
        "Česlovas Ėglė 5b 1 2 ne ne",
        "Šį mėnesį grupės sąrašuose mokinių nebuvo.",
    ):
        assert expected in " ".join(text.split()), expected


def test_a_long_group_runs_over_pages_with_its_heads_repeated() -> None:
    many = [pupil(n, f"Mokinys Nr. {n:03d} Šiaurys", 4 + n % 3) for n in range(120)]
    reader = read(month_pdf(document(many, empty_group=False)))
    assert len(reader.pages) > 1
    last = reader.pages[-1].extract_text()
    assert "Klasė" in last  # the table's heads on every page
    assert "NVŠ krepšelis" in last
    assert "Mokinys Nr. 119 Šiaurys" in text_of(reader)


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A system where the DejaVu fonts are not where they are looked for."""
    monkeypatch.setattr(fonts, "FONT_FOLDERS", (str(tmp_path),))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    fonts.font_file.cache_clear()
    yield tmp_path
    fonts.font_file.cache_clear()


def test_a_missing_font_is_a_printer_error(no_fonts: Path) -> None:
    with pytest.raises(PrinterError, match="install fonts-dejavu-core"):
        month_pdf(document([pupil(1, "Ūla Žemaitytė", 4)]))


def test_a_broken_font_file_is_a_printer_error(no_fonts: Path) -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (no_fonts / name).write_bytes(b"not a font at all")
    with pytest.raises(PrinterError, match="the PDF could not be made"):
        month_pdf(document([pupil(1, "Ūla Žemaitytė", 4)]))
