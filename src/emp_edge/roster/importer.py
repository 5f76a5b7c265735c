"""Importing a class list: every row checked first, then all of them in one transaction.

A file with any bad row imports nothing. Re-importing the same file changes nothing: pupils are
matched by personal code and a pupil who is the same is not touched (and no event is written).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emp_edge.domain.school import school_year
from emp_edge.roster.checks import CheckedPupil, RowError, check_rows
from emp_edge.roster.columns import find_layout
from emp_edge.roster.files import read_rows
from emp_edge.store import Store
from emp_edge.store.pupils import PupilData, Upsert, existing_by_code, upsert
from emp_edge.store.schools import ensure_class, ensure_school

#: called with (rows done, rows in all) while the rows are written
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class School:
    code: str
    name: str
    municipality: str = ""


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        result: dict[str, object] = {
            "imported": self.imported,
            "errors": [{"line": e.line, "reason": e.reason} for e in self.errors],
        }
        if self.dry_run:
            result["dry_run"] = True
        else:
            result.update(created=self.created, updated=self.updated, unchanged=self.unchanged)
        return result


def check_file(path: Path) -> tuple[list[CheckedPupil], list[RowError]]:
    """Read and check the file; raises InputError when it cannot be read or has no header."""
    rows = read_rows(path)
    layout = find_layout(rows, str(path))
    return check_rows(rows, layout)


def import_classlist(
    store: Store | None,
    path: Path,
    school: School,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the file and, unless it is a dry run or a row is bad, import it."""
    good, bad = check_file(path)
    if bad:
        return ImportReport(errors=bad, dry_run=dry_run)
    if dry_run or store is None:
        return ImportReport(imported=len(good), dry_run=True)
    report = ImportReport(imported=len(good))
    year = school_year(store.clock.today())
    with store.transaction() as tx:
        school_id = ensure_school(tx, school.code, school.name, school.municipality)
        known = existing_by_code(tx.conn)
        class_ids: dict[tuple[int, str], int] = {}
        for done, pupil in enumerate(good, start=1):
            key = (pupil.school_class.grade, pupil.school_class.letter)
            if key not in class_ids:
                class_ids[key] = ensure_class(tx, school_id, year, pupil.school_class)
            data = PupilData(
                pupil.code.code,
                pupil.first_name,
                pupil.last_name,
                pupil.code.birth_date,
                pupil.code.sex,
                class_ids[key],
            )
            outcome = upsert(tx, school_id, data, known.get(pupil.code.code))
            if outcome is Upsert.CREATED:
                report.created += 1
            elif outcome is Upsert.UPDATED:
                report.updated += 1
            else:
                report.unchanged += 1
            if progress is not None:
                progress(done, len(good))
        if report.created or report.updated:
            tx.emit(
                "classlist.imported",
                {
                    "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "school_year": year,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
            )
    return report
