"""The roster pull: paging from the saved cursor, one transaction per page, a 410 read again from
the start once, other errors stopping the run with what was applied kept, the run and the clock
offset in ``sync_jobs`` — against a small stand-in registry, then the simulator as a real server
(compaction, failed and cut answers: pulling again reaches the same end state).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from emp_edge.domain.clock import FixedClock
from emp_edge.errors import (
    CursorExpiredError,
    RegistryAnswerError,
    RegistryRefusedError,
    RegistryUnreachableError,
)
from emp_edge.registry_sim import Faults
from emp_edge.store import Store
from emp_edge.store.roster_sync import roster_cursor
from emp_edge.store.sync_jobs import Job, job_states, kept_error
from emp_edge.sync.client import RegistryClient
from emp_edge.sync.pull import PullReport, pull
from registry_rig import SCHOOL_CODE, TOKEN, running_registry

SECRET_NAME = "Slaptutė"
SECRET_CODE = "61503040017"


def roster(pupils: int = 4) -> list[dict[str, Any]]:
    """A class, ``pupils`` pupils in it, a free lunch and a top-up for the first."""
    items: list[dict[str, Any]] = [
        {"kind": "class", "key": "K-5b", "deleted": False, "school_year": 2026, "grade": 5,
         "letter": "b", "label": "5b"},
    ]  # fmt: skip
    for n in range(1, pupils + 1):
        items.append(
            {"kind": "pupil", "key": f"MR-{n}", "deleted": False,
             "first_name": SECRET_NAME if n == 1 else f"Vardas{n}", "last_name": "Pavardenė",
             "birth_date": "2015-03-04", "sex": "F",
             "personal_code": SECRET_CODE if n == 1 else None, "class_key": "K-5b"}
        )  # fmt: skip
    items += [
        {"kind": "meal_entitlement", "key": "E-1", "deleted": False, "pupil_key": "MR-1",
         "meal_type": "lunch", "valid_from": "2026-09-01", "valid_to": None},
        {"kind": "top_up", "key": "T-1", "deleted": False, "pupil_key": "MR-1",
         "amount_cents": 2500, "paid_on": "2026-10-02", "reference": "MOK-1"},
    ]  # fmt: skip
    return items


class StandIn:
    """A registry serving a list of changes by cursor ``<epoch>.<index>``; ``script`` holds what
    the next calls meet instead (an error to raise, or a body to answer)."""

    def __init__(self, changes: list[dict[str, Any]], *, offset: timedelta = timedelta(0)):
        self.changes = changes
        self.epoch = 1
        self.script: deque[Exception | bytes] = deque()
        self.asked: list[str | None] = []
        self.offset: timedelta | Exception = offset
        self.now = datetime(2026, 10, 5, 7, 30, tzinfo=UTC)  # the tests' clock

    def roster_page(self, cursor: str | None, limit: int) -> bytes:
        self.asked.append(cursor)
        if self.script:
            scripted = self.script.popleft()
            if isinstance(scripted, Exception):
                raise scripted
            return scripted
        start = 0
        if cursor:
            epoch, index = cursor.split(".")
            if int(epoch) != self.epoch:
                raise CursorExpiredError("the registry no longer knows the cursor", status=410)
            start = int(index)
        part = self.changes[start : start + limit]
        end = start + len(part)
        more = end < len(self.changes)
        return json.dumps(
            {"items": part, "next_cursor": f"{self.epoch}.{end}", "more": more}
        ).encode()

    def registry_time(self) -> datetime:
        if isinstance(self.offset, Exception):
            raise self.offset
        return self.now + self.offset


def names(store: Store) -> list[tuple[str, int]]:
    return store.conn.execute("SELECT registry_id, active FROM pupils ORDER BY id").fetchall()


# ---------------------------------------------------------------- with a stand-in registry


def test_pages_are_pulled_until_there_is_no_more(store: Store) -> None:
    registry = StandIn(roster(4), offset=timedelta(hours=2, seconds=3))
    seen: list[tuple[int, int]] = []
    report = pull(
        store, registry, school_code=SCHOOL_CODE, page_size=3, progress=lambda *a: seen.append(a)
    )
    assert (report.pages, report.items, report.created, report.skipped) == (3, 7, 7, 0)
    assert report.error is None
    assert not report.restarted
    assert seen == [(1, 3), (2, 6), (3, 7)]
    assert registry.asked == [None, "1.3", "1.6"]
    assert roster_cursor(store.conn) == "1.7"
    assert len(names(store)) == 4
    state = job_states(store.conn)[Job.PULL]
    assert state.last_success_at is not None
    assert state.failures == 0
    assert state.clock_offset_s == 7203
    assert state.last_report["created"] == 7
    assert state.last_report["pages"] == 3

    # the next pull reads only what came after
    registry.changes.append({"kind": "pupil", "key": "MR-2", "deleted": True})
    report = pull(store, registry, school_code=SCHOOL_CODE, page_size=3)
    assert (report.pages, report.items, report.deleted) == (1, 1, 1)
    assert registry.asked[-1] == "1.7"
    assert ("MR-2", 0) in names(store)


def test_a_registry_clock_that_cannot_be_read_does_not_stop_the_pull(store: Store) -> None:
    registry = StandIn(roster(1), offset=RegistryUnreachableError("the registry did not answer"))
    report = pull(store, registry, school_code=SCHOOL_CODE)
    assert report.error is None
    assert report.clock_offset_s is None
    assert report.created == 4
    assert job_states(store.conn)[Job.PULL].clock_offset_s is None


def test_an_expired_cursor_reads_the_roster_again_from_the_start(store: Store) -> None:
    registry = StandIn(roster(4))
    pull(store, registry, school_code=SCHOOL_CODE, page_size=3)
    registry.epoch = 2  # compacted: every older cursor is gone
    registry.changes[1] = {**registry.changes[1], "first_name": "Naujas"}
    report = pull(store, registry, school_code=SCHOOL_CODE, page_size=3)
    assert report.restarted
    assert report.error is None
    assert (report.pages, report.items, report.updated, report.totals.unchanged) == (3, 7, 1, 6)
    assert registry.asked[-4:] == ["1.7", None, "2.3", "2.6"]
    assert roster_cursor(store.conn) == "2.7"
    assert job_states(store.conn)[Job.PULL].last_report["restarted"] is True


def test_an_expired_cursor_twice_in_one_run_stops_it(store: Store) -> None:
    registry = StandIn(roster(1))
    gone = CursorExpiredError("the registry no longer knows the cursor", status=410)
    registry.script.extend([gone, gone])
    report = pull(store, registry, school_code=SCHOOL_CODE)
    assert report.restarted
    assert report.error is gone
    assert registry.asked == [None, None]
    assert job_states(store.conn)[Job.PULL].failures == 1


def test_a_failure_stops_the_run_and_keeps_the_pages_applied(store: Store) -> None:
    registry = StandIn(roster(4))
    first = {"items": roster(4)[:3], "next_cursor": "1.3", "more": True}
    refused = RegistryRefusedError("the registry refused: {status}", status=503)
    registry.script.extend([json.dumps(first).encode(), refused])
    report = pull(store, registry, school_code=SCHOOL_CODE, page_size=3)
    assert isinstance(report.error, RegistryRefusedError)
    assert (report.pages, report.created) == (1, 3)
    assert roster_cursor(store.conn) == "1.3"
    state = job_states(store.conn)[Job.PULL]
    assert state.failures == 1
    assert state.last_success_at is None
    error = kept_error(state.last_error)
    assert error is not None
    assert error.template == "the registry refused: {status}"
    assert state.last_report["created"] == 3

    # pulled again: on from the saved cursor, to the same end as one clean run
    report = pull(store, registry, school_code=SCHOOL_CODE, page_size=3)
    assert report.error is None
    assert registry.asked[-2:] == ["1.3", "1.6"]
    assert len(names(store)) == 4
    assert job_states(store.conn)[Job.PULL].failures == 0


def test_a_malformed_page_is_not_applied(store: Store) -> None:
    registry = StandIn(roster(2))
    registry.script.append(b'{"items": [{"kind": "class", "key": "K-5b"')  # half of it
    report = pull(store, registry, school_code=SCHOOL_CODE)
    assert isinstance(report.error, RegistryAnswerError)
    assert report.pages == 0
    assert roster_cursor(store.conn) is None
    assert names(store) == []


def test_more_without_a_new_cursor_stops_instead_of_looping(store: Store) -> None:
    registry = StandIn([])
    same = json.dumps({"items": [], "next_cursor": "", "more": True}).encode()
    registry.script.extend([same] * 3)
    report = pull(store, registry, school_code=SCHOOL_CODE)
    assert isinstance(report.error, RegistryAnswerError)
    assert len(registry.asked) == 1


def test_log_lines_carry_counts_never_names_or_codes(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    items = roster(2)
    items.append({**items[1], "key": "MR-9", "personal_code": SECRET_CODE})  # skipped: code taken
    with caplog.at_level(logging.DEBUG, logger="emp_edge"):
        report = pull(store, StandIn(items), school_code=SCHOOL_CODE)
    assert report.skipped == 1
    text = caplog.text + json.dumps(report.as_dict())
    assert "created=5" in caplog.text
    assert SECRET_NAME not in text
    assert SECRET_CODE not in text


def test_the_report_as_kept_names_skipped_items_by_kind_key_and_reason(store: Store) -> None:
    items = roster(1)
    items.append({"kind": "top_up", "key": "T-9", "deleted": False, "pupil_key": "MR-404",
                  "amount_cents": 100, "paid_on": "2026-10-01", "reference": "X"})  # fmt: skip
    report = pull(store, StandIn(items), school_code=SCHOOL_CODE)
    kept = job_states(store.conn)[Job.PULL].last_report
    assert kept["skipped"] == report.skipped == 1
    assert kept["skipped_items"] == [
        {"kind": "top_up", "key": "T-9", "reason": "the pupil is not known here",
         "field": "pupil_key"}
    ]  # fmt: skip
    assert PullReport().as_dict()["error"] is None


# ---------------------------------------------------------------- over the simulator


def tables(store: Store) -> dict[str, list[Any]]:
    return {
        t: store.conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
        for t in ("classes", "pupils", "meal_entitlements", "programmes", "ledger")
    }


def big_roster() -> list[dict[str, Any]]:
    items = roster(12)
    items += [
        {"kind": "programme", "key": "120000777", "deleted": False, "name": "Robotika",
         "purpose": "nvs", "directions": ["technologijos"]},
        {"kind": "pupil", "key": "MR-3", "deleted": True},
        {"kind": "meal_entitlement", "key": "E-1", "deleted": True},
        {"kind": "pupil", "key": "MR-4", "deleted": False, "first_name": "Pervardyta",
         "last_name": "Pavardenė", "birth_date": "2015-03-04", "sex": None,
         "personal_code": None, "class_key": "K-5b"},
        {"kind": "gremlin", "key": "G-1", "deleted": False},
    ]  # fmt: skip
    return items


def test_a_pull_over_the_simulator(store: Store, tmp_path: Path) -> None:
    with running_registry(tmp_path) as (registry, server):
        registry.put_roster(SCHOOL_CODE, big_roster())
        with RegistryClient(server.url, TOKEN, timeout_s=2) as client:
            report = pull(store, client, school_code=SCHOOL_CODE, page_size=5)
            assert report.error is None
            assert (report.pages, report.items, report.skipped) == (4, 20, 1)
            assert report.clock_offset_s is not None
            assert abs(report.clock_offset_s) > 0  # the tests' clock stands in October 2026
            assert ("MR-3", 0) in names(store)
            assert store.conn.execute(
                "SELECT first_name FROM pupils WHERE registry_id = 'MR-4'"
            ).fetchone() == ("Pervardyta",)
            # nothing new: one page, nothing in it
            again = pull(store, client, school_code=SCHOOL_CODE, page_size=5)
            assert (again.pages, again.items, again.error) == (1, 0, None)


def test_after_compaction_the_pull_starts_again_and_ends_the_same(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    clean = Store(tmp_path / "clean" / "emp-edge.db", clock)
    clean.migrate()
    with running_registry(tmp_path) as (registry, server):
        registry.put_roster(SCHOOL_CODE, roster(6))
        with RegistryClient(server.url, TOKEN, timeout_s=2) as client:
            pull(store, client, school_code=SCHOOL_CODE, page_size=4)
            registry.put_roster(SCHOOL_CODE, big_roster()[-5:])
            assert pull(clean, client, school_code=SCHOOL_CODE, page_size=4).error is None
            registry.compact_roster()
            report = pull(store, client, school_code=SCHOOL_CODE, page_size=4)
    assert report.restarted
    assert report.error is None
    assert ("MR-3", 0) in names(store)
    # the same as a box that read the whole log before it was compacted
    assert tables(store) == tables(clean)
    clean.close()


def test_pulling_through_failed_and_cut_answers_reaches_the_same_end(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    clean = Store(tmp_path / "clean" / "emp-edge.db", clock)
    clean.migrate()
    with running_registry(tmp_path) as (registry, server):
        registry.put_roster(SCHOOL_CODE, big_roster())
        with RegistryClient(server.url, TOKEN, timeout_s=2) as client:
            assert pull(clean, client, school_code=SCHOOL_CODE, page_size=3).error is None
            server.faults = Faults(fail_rate=0.3, cut_rate=0.3, seed=8)
            errors: list[str] = []
            for _ in range(60):
                report = pull(store, client, school_code=SCHOOL_CODE, page_size=3)
                if report.error is None:
                    break
                errors.append(type(report.error).__name__)
            server.faults = Faults()
    assert report.error is None
    assert {"RegistryRefusedError", "RegistryUnreachableError"} <= set(errors)  # 5xx and cuts
    assert tables(store) == tables(clean)
    assert roster_cursor(store.conn) == roster_cursor(clean.conn)
    clean.close()
