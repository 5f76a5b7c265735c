"""Hypothesis: any class list of valid pupils, in any accepted dialect, imports as written."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import HEADER, write_csv, write_xlsx
from emp_edge.domain import personal_code
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import parse_class
from emp_edge.roster.importer import School, import_classlist
from emp_edge.store import Store

LETTERS = "aąbcčdeęėfghiįyjklmnoprsštuųūvzž"
CLASSES = ["1a", "2b", "3c", "4", "5 B", "6-a", "7ą", "8 č", "9a", "Ia", "II b", "IIIc", "IV"]

word = st.text(alphabet=LETTERS, min_size=2, max_size=10).map(str.capitalize)
name = st.one_of(word, st.tuples(word, word).map("-".join))
pupil = st.tuples(
    st.dates(date(2005, 1, 1), date(2020, 12, 31)),
    st.sampled_from(["M", "F"]),
    name,
    name,
    st.sampled_from(CLASSES),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pupils=st.lists(pupil, min_size=1, max_size=30),
    form=st.sampled_from(["csv;utf-8-sig", "csv,utf-8", "csv;cp1257", "xlsx"]),
)
def test_any_valid_list_round_trips(
    tmp_path_factory: pytest.TempPathFactory,
    pupils: list[tuple[date, str, str, str, str]],
    form: str,
) -> None:
    folder = tmp_path_factory.mktemp("rt")
    rows = []
    for serial, (born, sex, first, last, klass) in enumerate(pupils):
        code = personal_code.build(born, "M" if sex == "M" else "F", serial)
        rows.append([last, first, code, born.isoformat(), klass])
    if form == "xlsx":
        path = write_xlsx(folder / "l.xlsx", [list(r) for r in rows], header=HEADER)
    else:
        encoding = form[4:]
        path = write_csv(
            folder / "l.csv", rows, delimiter=";" if ";" in form else ",", encoding=encoding
        )
    vilnius = ZoneInfo("Europe/Vilnius")
    store = Store(folder / "e.db", FixedClock(datetime(2026, 10, 5, tzinfo=vilnius), vilnius))
    store.migrate()
    try:
        report = import_classlist(store, path, School("1", "Mokykla"))
        assert report.ok, report.errors
        assert report.created == len(rows)
        stored = store.conn.execute(
            "SELECT p.last_name, p.first_name, p.personal_code, p.birth_date, c.grade, c.letter"
            " FROM pupils p JOIN classes c ON c.id = p.class_id ORDER BY p.id"
        ).fetchall()
        # 9a and Ia are one class (grade 9, letter a): compare grade and letter, not the label
        classes = [parse_class(r[4]) for r in rows]
        assert stored == [(*r[:4], c.grade, c.letter) for r, c in zip(rows, classes, strict=True)]
        again = import_classlist(store, path, School("1", "Mokykla"))
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
    finally:
        store.close()
