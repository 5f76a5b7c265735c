"""Importing class lists into a real SQLite store: all rows or none, and again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import HEADER, write_csv, write_xlsx
from emp_edge.errors import InputError
from emp_edge.roster.importer import School, import_classlist
from emp_edge.store import Store
from emp_edge.store.outbox import backlog

SCHOOL = School("190000001", "Šaltinio progimnazija")


def snapshot(store: Store) -> list[tuple[object, ...]]:
    tables = ("pupils", "classes", "schools", "outbox")
    return [row for t in tables for row in store.conn.execute(f"SELECT * FROM {t} ORDER BY 1")]


def names_and_classes(store: Store) -> list[tuple[str, str, str, str, str]]:
    return store.conn.execute(
        "SELECT p.last_name, p.first_name, p.birth_date, p.sex, c.label FROM pupils p"
        " JOIN classes c ON c.id = p.class_id ORDER BY p.birth_date DESC"
    ).fetchall()


EXPECTED = [
    ("Žukauskaitė", "Ąžuolė", "2019-03-14", "F", "1a"),
    ("Šimkus", "Jokūbas", "2015-07-02", "M", "5b"),
    ("Čepulytė", "Eglė", "2011-11-30", "F", "IIa"),
    ("Ūsas", "Vėjas", "2009-01-09", "M", "IV"),
]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8-sig"), (",", "utf-8"), (";", "cp1257"), (",", "cp1257"), ("\t", "utf-8")],
)
def test_csv_dialects(
    store: Store, tmp_path: Path, rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    path = write_csv(tmp_path / "list.csv", rows, delimiter=delimiter, encoding=encoding)
    report = import_classlist(store, path, SCHOOL)
    assert report.ok, report.errors
    assert (report.imported, report.created) == (4, 4)
    assert names_and_classes(store) == EXPECTED
    school_year = store.conn.execute("SELECT DISTINCT school_year FROM classes").fetchall()
    assert school_year == [(2026,)]


def test_xlsx_with_title_row_excel_dates_and_numeric_codes(
    store: Store, tmp_path: Path, excel_rows: list[list[object]]
) -> None:
    path = write_xlsx(tmp_path / "list.xlsx", excel_rows, title="5 klasės mokinių sąrašas")
    report = import_classlist(store, path, SCHOOL)
    assert report.ok, report.errors
    assert names_and_classes(store) == EXPECTED


def test_xlsx_serial_number_dates(
    store: Store, tmp_path: Path, excel_rows: list[list[object]]
) -> None:
    serials = {"2019-03-14": 43538, "2015-07-02": 42187, "2011-11-30": 40877, "2009-01-09": 39822}
    for row, expected in zip(excel_rows, EXPECTED, strict=True):
        row[3] = serials[expected[2]]
    report = import_classlist(store, write_xlsx(tmp_path / "l.xlsx", excel_rows), SCHOOL)
    assert report.ok, report.errors


def test_headers_in_any_order_case_and_without_diacritics(
    store: Store, tmp_path: Path, rows: list[list[str]]
) -> None:
    order = [4, 2, 0, 3, 1]
    header = ["KLASE", "asmens kodas", "pavarde", "Gimimo  data", "VARDAS"]
    moved = [[row[i] for i in order] for row in rows]
    path = write_csv(tmp_path / "l.csv", moved, header=header)
    assert import_classlist(store, path, SCHOOL).ok
    assert names_and_classes(store) == EXPECTED


def test_birth_date_column_is_optional(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    header = ["Pavardė", "Vardas", "Asmens kodas", "Klasė"]
    path = write_csv(tmp_path / "l.csv", [r[:3] + r[4:] for r in rows], header=header)
    assert import_classlist(store, path, SCHOOL).ok


def test_every_bad_row_is_listed_and_nothing_is_imported(
    store: Store, tmp_path: Path, rows: list[list[str]]
) -> None:
    good = rows[0]
    bad = [
        ["", "Jonas", rows[1][2], rows[1][3], "5a"],  # line 3
        ["Kazlauskas", "Jonas", "3900101000", "1990-01-01", "5a"],  # line 4: length
        [
            "Kazlauskas",
            "Jonas",
            rows[2][2][:-1] + "0" if rows[2][2][-1] != "0" else rows[2][2][:-1] + "1",
            rows[2][3],
            "IIa",
        ],  # line 5: check digit
        [rows[3][0], rows[3][1], rows[3][2], "2009-01-10", "IV"],  # line 6: date
        ["Petraitis", "Tomas", rows[1][2], rows[1][3], "13a"],  # line 7: class
        list(good),  # line 8: duplicate
        ["Petraitis", "Tomas", "7900101000x", "", "V"],  # line 9: two reasons
    ]
    path = write_csv(tmp_path / "bad.csv", [good, *bad])
    before = snapshot(store)
    report = import_classlist(store, path, SCHOOL)
    assert not report.ok
    assert report.imported == 0
    lines = {e.line: e.reason for e in report.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9]
    assert "Pavardė is empty" in lines[3]
    assert "11 digits" in lines[4]
    assert "check digit" in lines[5]
    assert "2009-01-10 does not agree with the personal code (2009-01-09)" in lines[6]
    assert "Klasė" in lines[7]
    assert "13" in lines[7]
    assert "already on line 2" in lines[8]
    assert good[2] not in lines[8], "the full personal code is never echoed"
    assert lines[9].count(";") >= 1
    assert snapshot(store) == before


def test_line_numbers_count_the_title_row(
    store: Store, tmp_path: Path, excel_rows: list[list[object]]
) -> None:
    excel_rows[2][4] = "Vb"
    path = write_xlsx(tmp_path / "l.xlsx", excel_rows, title="Sąrašas")
    report = import_classlist(store, path, SCHOOL)
    assert [e.line for e in report.errors] == [5]  # title 1, header 2, rows 3..6


def test_reimport_changes_nothing(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    path = write_csv(tmp_path / "l.csv", rows)
    first = import_classlist(store, path, SCHOOL)
    assert first.created == 4
    before = snapshot(store)
    again = import_classlist(store, path, SCHOOL)
    assert (again.imported, again.created, again.updated, again.unchanged) == (4, 0, 0, 4)
    assert snapshot(store) == before


def test_changed_class_is_an_update_with_one_event(
    store: Store, tmp_path: Path, rows: list[list[str]]
) -> None:
    import_classlist(store, write_csv(tmp_path / "a.csv", rows), SCHOOL)
    events = backlog(store.conn)
    rows[1][4] = "6a"
    report = import_classlist(store, write_csv(tmp_path / "b.csv", rows), SCHOOL)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert backlog(store.conn) == events + 1
    assert ("Šimkus", "6a") in store.conn.execute(
        "SELECT p.last_name, c.label FROM pupils p JOIN classes c ON c.id = p.class_id"
    ).fetchall()
    payloads = [r[0] for r in store.conn.execute("SELECT payload FROM outbox")]
    assert all(row[2] not in p for p in payloads for row in rows), "no personal code in events"


def test_sex_column_must_agree(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    header = [*HEADER, "Lytis"]
    rows[0].append("M")  # moteris: female, agrees
    rows[1].append("V")  # vyras: male, agrees
    rows[2].append("V")  # a girl marked male
    rows[3].append("X")
    report = import_classlist(store, write_csv(tmp_path / "l.csv", rows, header=header), SCHOOL)
    assert [(e.line, "Lytis" in e.reason) for e in report.errors] == [(4, True), (5, True)]


def test_missing_columns_are_named(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    header = ["Pavardė", "Vardas", "Kodas", "Gimimo data", "Klasė"]
    with pytest.raises(InputError) as caught:
        import_classlist(store, write_csv(tmp_path / "l.csv", rows, header=header), SCHOOL)
    assert "Asmens kodas" in str(caught.value)
    assert "line 1" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no rows"),
        (b"PK\x03\x04 not really a zip", "not a readable XLSX"),
        (b"\x81\x98\xff\xfe\x00", "neither UTF-8 nor Windows-1257"),
        (
            b'Vardas;Pavarde;Asmens kodas;Klase\nA;B;"' + b"9" * 200_000 + b'";1a\n',
            "line 2: the CSV cannot be read",
        ),
        (b"Vardas;Pavarde\nJonas;Jonaitis\n", "no header row with the columns Asmens kodas, Klas"),
    ],
)
def test_unreadable_files(store: Store, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        import_classlist(store, path, SCHOOL)


def test_dry_run_writes_nothing(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    before = snapshot(store)
    report = import_classlist(store, write_csv(tmp_path / "l.csv", rows), SCHOOL, dry_run=True)
    assert (report.ok, report.imported, report.dry_run) == (True, 4, True)
    assert snapshot(store) == before


def test_progress_is_reported(store: Store, tmp_path: Path, rows: list[list[str]]) -> None:
    seen: list[tuple[int, int]] = []
    import_classlist(
        store,
        write_csv(tmp_path / "l.csv", rows),
        SCHOOL,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_english_headers_read_sex_the_english_way(
    store: Store, tmp_path: Path, rows: list[list[str]]
) -> None:
    header = ["Surname", "First name", "Personal code", "Date of birth", "Class", "Sex"]
    rows[0].append("F")  # female in English (in Lithuanian M would be female)
    rows[1].append("M")  # male
    rows[2].append("M")  # a girl marked male
    rows[3].append("male")
    report = import_classlist(store, write_csv(tmp_path / "l.csv", rows, header=header), SCHOOL)
    assert [e.line for e in report.errors] == [4]


def test_row_errors_keep_each_problem_as_a_template_to_translate(
    store: Store, tmp_path: Path, rows: list[list[str]]
) -> None:
    rows[1][3] = "2015-07-03"  # birth date disagrees with the code
    rows[1][4] = "13a"  # and no such grade
    report = import_classlist(store, write_csv(tmp_path / "l.csv", rows), SCHOOL)
    [error] = report.errors
    assert error.line == 3
    date_problem, class_problem = error.problems
    assert date_problem.template == (
        "{column} {born} does not agree with the personal code ({expected})"
    )
    assert date_problem.params == {
        "column": "Gimimo data",
        "born": "2015-07-03",
        "expected": "2015-07-02",
    }
    assert class_problem.where == "Klasė"
    assert class_problem.params == {"grade": "13"}
    assert error.reason == "; ".join(p.message for p in error.problems)
    assert error.reason.startswith("Gimimo data 2015-07-03 does not agree")
    assert "; Klasė: grade 13 does not exist" in error.reason
