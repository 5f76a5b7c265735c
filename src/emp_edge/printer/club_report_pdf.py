"""The clubs' (NVŠ) monthly attendance report as a PDF: A4, DejaVu Sans (every Lithuanian
letter), a header with the school, the month and the municipality's rule, then one table per
group with each pupil's sessions, academic hours and whether the month is fundable.

The words come in already translated (``MonthDocument``); fpdf2 draws them. Its errors, and a
missing font, leave here as PrinterError.
"""

from __future__ import annotations

from typing import Final

from fontTools.ttLib import TTLibError
from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace

from emp_edge.errors import PrinterError
from emp_edge.printer.fonts import font_file
from emp_edge.store.club_report import GroupMonth
from emp_edge.store.club_report_table import MonthDocument

FAMILY: Final = "DejaVuSans"
REGULAR: Final = "DejaVuSans.ttf"
BOLD: Final = "DejaVuSans-Bold.ttf"
#: the pupil's name gets the most room; the numbers and yes/no columns are narrow
COLUMN_WIDTHS: Final = (54, 14, 26, 30, 28, 28)
HEAD_FILL: Final = (230, 236, 242)


def month_pdf(document: MonthDocument) -> bytes:
    """The report as the bytes of a PDF file."""
    regular, bold = font_file(REGULAR), font_file(BOLD)
    try:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_creator("emp-edge")
        pdf.set_title(document.title)
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_font(FAMILY, "", str(regular))
        pdf.add_font(FAMILY, "B", str(bold))
        pdf.add_page()
        _header(pdf, document)
        for caption, group in document.sections:
            _group(pdf, document, caption, group)
        return bytes(pdf.output())
    except (FPDFException, TTLibError, OSError, ValueError, RuntimeError) as err:
        raise PrinterError("the PDF could not be made: {reason}", reason=str(err)) from err


def _header(pdf: FPDF, document: MonthDocument) -> None:
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 8, document.title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FAMILY, "", 10)
    for line in document.lines:
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)


def _group(pdf: FPDF, document: MonthDocument, caption: str, group: GroupMonth) -> None:
    if pdf.will_page_break(30):  # a caption is never left alone at the foot of a page
        pdf.add_page()
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(0, 6.5, caption, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FAMILY, "", 9)
    if not group.pupils:
        pdf.multi_cell(0, 5.5, document.no_pupils, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(4)
        return
    heads = document.heads
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "CENTER", "CENTER"),
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        line_height=5,
        width=sum(COLUMN_WIDTHS),
        align="LEFT",
    ) as table:
        head = table.row()
        for text in (heads.pupil, heads.class_label, heads.sessions_attended, heads.hours,
                     heads.fundable, heads.basket):  # fmt: skip
            head.cell(text)
        for pupil in group.pupils:
            row = table.row()
            row.cell(pupil.name)
            row.cell(pupil.class_label)
            row.cell(str(pupil.sessions_attended))
            row.cell(str(pupil.hours))
            row.cell(heads.yes if pupil.fundable else heads.no)
            row.cell(heads.yes if pupil.basket else heads.no)
    pdf.ln(5)
