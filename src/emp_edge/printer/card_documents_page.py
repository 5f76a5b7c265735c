"""The house page of the card station's documents: A4 (the journal landscape), DejaVu Sans
embedded so every Lithuanian letter is text, the procedure's annex note at the top right, a
centred title, labelled fields with a line to write on, tables whose heads repeat on each page,
signature lines, and "Puslapis 1 iš 3" at the foot of the acts and the journal.

fpdf2's errors, and a missing or broken font, leave here as PrinterError.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from fontTools.ttLib import TTLibError
from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace

from emp_edge.errors import PrinterError
from emp_edge.printer.card_documents_texts import PROCEDURE
from emp_edge.printer.fonts import font_file

FAMILY: Final = "DejaVuSans"
REGULAR: Final = "DejaVuSans.ttf"
BOLD: Final = "DejaVuSans-Bold.ttf"
MARGIN: Final = 15.0
HEAD_FILL: Final = (230, 236, 242)
LABEL_WIDTH: Final = 58.0
LINE: Final = 6.0


class DocumentPage(FPDF):
    """An A4 page in the house style; ``numbered`` pages carry "Puslapis n iš N" at the foot."""

    def __init__(self, *, landscape: bool = False, numbered: bool = False) -> None:
        super().__init__(
            orientation="landscape" if landscape else "portrait", unit="mm", format="A4"
        )
        self.numbered = numbered

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_y(-11)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"Puslapis {self.page_no()} iš {{nb}}", align="C")


@contextmanager
def drawing() -> Iterator[None]:
    """Turns fpdf2's and the font reader's errors into PrinterError."""
    try:
        yield
    except (FPDFException, TTLibError, OSError, ValueError, RuntimeError) as err:
        raise PrinterError("the PDF could not be made: {reason}", reason=str(err)) from err


def new_document(title: str, *, landscape: bool = False, numbered: bool = False) -> DocumentPage:
    """A document with DejaVu Sans loaded and its first page open (call inside ``drawing()``)."""
    regular, bold = font_file(REGULAR), font_file(BOLD)
    pdf = DocumentPage(landscape=landscape, numbered=numbered)
    pdf.set_creator("emp-edge")
    pdf.set_title(title)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + (3 if numbered else 0))
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.add_page()
    pdf.set_font(FAMILY, "", 10)
    return pdf


def finish(pdf: FPDF) -> bytes:
    """The document's bytes."""
    return bytes(pdf.output())


def annex_note(pdf: FPDF, number: int) -> None:
    """The procedure's annex note at the top right, as the school's forms carry it."""
    pdf.set_font(FAMILY, "", 8)
    width = 78.0
    pdf.set_x(pdf.w - MARGIN - width)
    pdf.multi_cell(width, 4, f"{PROCEDURE}\n{number} priedas", align="L")
    pdf.set_x(MARGIN)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 10)


def centred(pdf: FPDF, text: str, *, size: float = 10, bold: bool = False, gap: float = 0) -> None:
    """A centred line (or lines) across the page."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    if gap:
        pdf.ln(gap)


def title(pdf: FPDF, lines: Sequence[str]) -> None:
    """The document's title in capitals, bold and centred."""
    centred(pdf, "\n".join(line.upper() for line in lines), size=12, bold=True, gap=2)


def paragraph(pdf: FPDF, text: str, *, gap: float = 2, bold: bool = False) -> None:
    """A paragraph across the page."""
    pdf.set_font(FAMILY, "B" if bold else "", 10)
    pdf.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    if gap:
        pdf.ln(gap)


def field(pdf: FPDF, label: str, value: str) -> None:
    """A labelled field: the value (or nothing) on a line to write on."""
    if pdf.will_page_break(LINE * 2):
        pdf.add_page()
    pdf.set_x(MARGIN)
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(LABEL_WIDTH, LINE + 1, label, new_x="RIGHT", new_y="TOP")
    pdf.multi_cell(0, LINE + 1, value, border="B", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def signature(pdf: FPDF, role: str, name: str, *, name_caption: str = "vardas, pavardė") -> None:
    """A signature line: the role, a line for the signature and the person's name (or a line
    to write it on), with small captions under them."""
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_x(MARGIN)
    role_width, sign_width, gap = 44.0, 50.0, 8.0
    name_width = pdf.w - 2 * MARGIN - role_width - sign_width - gap
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(role_width, LINE, role, new_x="RIGHT", new_y="TOP")
    pdf.cell(sign_width, LINE, "", border="B", new_x="RIGHT", new_y="TOP")
    pdf.cell(gap, LINE, "", new_x="RIGHT", new_y="TOP")
    pdf.cell(name_width, LINE, name, border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 7)
    pdf.set_x(MARGIN + role_width)
    pdf.cell(sign_width, 4, "(parašas)", align="C", new_x="RIGHT", new_y="TOP")
    pdf.cell(gap, 4, "", new_x="RIGHT", new_y="TOP")
    pdf.cell(name_width, 4, f"({name_caption})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)


def table(
    pdf: FPDF,
    heads: Sequence[str],
    widths: Sequence[float],
    aligns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    size: float = 9,
) -> None:
    """A bordered table; its head row is repeated at the top of every page it runs onto."""
    pdf.set_font(FAMILY, "", size)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple(aligns),
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        line_height=size * 0.5,
        width=sum(widths),
        align="LEFT",
        padding=(0.8, 1, 0.8, 1),
    ) as drawn:
        head = drawn.row()
        for text in heads:
            head.cell(text, align="CENTER")
        for cells in rows:
            row = drawn.row()
            for text in cells:
                row.cell(text)
    pdf.set_font(FAMILY, "", 10)
    pdf.ln(3)
