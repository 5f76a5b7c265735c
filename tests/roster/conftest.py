"""Class list files as schools save them: CSV in several dialects and XLSX."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from emp_edge.domain import personal_code

HEADER = ["Pavardė", "Vardas", "Asmens kodas", "Gimimo data", "Klasė"]


def pupil(born: date, sex: str, serial: int, last: str, first: str, klass: str) -> list[str]:
    code = personal_code.build(born, "M" if sex == "M" else "F", serial)
    return [last, first, code, born.isoformat(), klass]


ROWS = [
    pupil(date(2019, 3, 14), "F", 101, "Žukauskaitė", "Ąžuolė", "1a"),
    pupil(date(2015, 7, 2), "M", 202, "Šimkus", "Jokūbas", "5 B"),
    pupil(date(2011, 11, 30), "F", 303, "Čepulytė", "Eglė", "IIa"),
    pupil(date(2009, 1, 9), "M", 404, "Ūsas", "Vėjas", "IV"),
]


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path, rows: list[list[object]], *, title: str | None = None, header: list[str] = HEADER
) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def rows() -> list[list[str]]:
    return [list(r) for r in ROWS]


@pytest.fixture
def excel_rows() -> list[list[object]]:
    """Codes as numbers and birth dates as real Excel dates, as spreadsheets keep them."""
    return [[r[0], r[1], int(r[2]), datetime.fromisoformat(r[3]), r[4]] for r in ROWS]
