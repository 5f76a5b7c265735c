"""The school's yearly demand for blanks for next school year, due by 1 December (§10).

::

    needed   = expiring + newcomers + reserve
    to order = needed − in stock (never below 0)

where, with *Y* the school year that begins after today's school year:

- ``expiring``: active pupils whose latest card given out (issued on record) is valid until
  31 August just before Y, and who stay on: their grade + 1 is taught at the school, the highest
  grade among the school's current classes bounding it (a progimnazija ends at 8);
- ``newcomers``: this school year's active pupils in the lowest grade of the school's current
  classes (the entry grade): next year's entry class is taken to be as large;
- ``reserve``: ``cards.blank_reserve_percent`` of all active pupils, rounded up (replacements
  and spoiled blanks);
- ``in stock``: blanks received and not used yet.

"The school's current classes" are those of the latest school year on record that is not after
today's; a pupil's grade is the grade of the class on the pupil's record.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from emp_edge.domain.card_station import BlankDemand, reserve_for
from emp_edge.domain.school import school_year


def _current_grades(conn: sqlite3.Connection, this_year: int) -> tuple[int, int, int] | None:
    """(school year, lowest grade, highest grade) of the current classes, or None."""
    row = conn.execute(
        "SELECT school_year, min(grade), max(grade) FROM classes WHERE school_year = ("
        " SELECT max(school_year) FROM classes WHERE school_year <= ?)",
        (this_year,),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1]), int(row[2])


def _expiring(conn: sqlite3.Connection, last_day: date, top_grade: int) -> int:
    """Active pupils staying on whose latest card given out ends on ``last_day``."""
    row = conn.execute(
        "SELECT count(*) FROM pupils p JOIN classes k ON k.id = p.class_id"
        " WHERE p.active = 1 AND k.grade + 1 <= ?"
        " AND (SELECT c.valid_until FROM cards c"
        "      WHERE c.pupil_id = p.id AND c.issued_on IS NOT NULL"
        "      ORDER BY c.issued_on DESC, c.id DESC LIMIT 1) = ?",
        (top_grade, last_day.isoformat()),
    ).fetchone()
    return int(row[0])


def estimate(conn: sqlite3.Connection, today: date, reserve_percent: int) -> BlankDemand:
    """Next school year's demand for blanks, by the formula of this module's docstring."""
    next_year = school_year(today) + 1
    pupils = int(conn.execute("SELECT count(*) FROM pupils WHERE active = 1").fetchone()[0])
    in_stock = int(
        conn.execute("SELECT count(*) FROM blanks WHERE state = 'received'").fetchone()[0]
    )
    grades = _current_grades(conn, school_year(today))
    expiring = newcomers = 0
    if grades is not None:
        year, entry_grade, top_grade = grades
        expiring = _expiring(conn, date(next_year, 8, 31), top_grade)
        newcomers = int(
            conn.execute(
                "SELECT count(*) FROM pupils p JOIN classes k ON k.id = p.class_id"
                " WHERE p.active = 1 AND k.school_year = ? AND k.grade = ?",
                (year, entry_grade),
            ).fetchone()[0]
        )
    return BlankDemand(
        school_year=next_year,
        expiring=expiring,
        newcomers=newcomers,
        reserve=reserve_for(pupils, reserve_percent),
        in_stock=in_stock,
    )
