"""Reading a class list file into rows of cells, each with its line number in the file.

CSV (comma or semicolon; UTF-8 with or without BOM, or Windows-1257) and XLSX. The header row
is found by its column names, so a title row above it does not matter. Line numbers are the
file's own: the first line of the file is line 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from emp_edge.errors import InputError

Cell = str | int | float | date | datetime | None
#: how many lines at the top of a file may hold a title before the header
HEADER_SEARCH_LINES = 10


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[Cell]


def read_rows(path: Path) -> list[Row]:
    """Every non-empty row of the file, with its line number."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as err:
        raise InputError(
            "cannot read the file: {reason}", where=str(path), reason=err.strerror or str(err)
        ) from err
    if head.startswith(b"PK") or path.suffix.lower() in {".xlsx", ".xlsm"}:
        rows = _xlsx_rows(path)
    elif path.suffix.lower() == ".xls":
        raise InputError(
            "old Excel files (.xls) are not read: save the list as .xlsx or .csv", where=str(path)
        )
    else:
        rows = _csv_rows(path)
    return [row for row in rows if any(_filled(cell) for cell in row.cells)]


def _filled(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1257", errors="strict")


def _csv_rows(path: Path) -> Iterator[Row]:
    try:
        text = _decode(path.read_bytes())
    except UnicodeDecodeError as err:
        raise InputError(
            "the file is neither UTF-8 nor Windows-1257 text (byte {at})",
            where=str(path),
            at=err.start,
        ) from err
    lines = text.splitlines()[: HEADER_SEARCH_LINES + 1]
    sample = "\n".join(lines)
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    if "\t" in sample and sample.count("\t") > sample.count(delimiter):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield Row(line, list(cells))
            line = reader.line_num + 1
    except csv.Error as err:
        raise InputError(
            "the CSV cannot be read: {reason}", where=f"{path}, line {line}", reason=str(err)
        ) from err


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise InputError(
            "not a readable XLSX workbook: {reason}",
            where=str(path),
            reason=str(err) or type(err).__name__,
        ) from err
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield Row(number, list(values))
    finally:
        book.close()
