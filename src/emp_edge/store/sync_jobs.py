"""The sync jobs' last runs (push, pull): what the status on the admin page and the CLI shows.

Local bookkeeping the registry never hears of: written with ``transaction(require_event=False)``.
An error kept here names ids, types and reasons, never a payload.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from emp_edge.errors import EdgeError
from emp_edge.store.outbox import Transaction, to_json

ERROR_MAX = 500


def error_record(err: EdgeError) -> str:
    """How an error is kept (job and event errors alike): its English template and parameters
    as JSON, so each page can say it in its own language."""
    params = {k: v if isinstance(v, int | float) else str(v) for k, v in err.params.items()}
    record = {"template": err.template, "params": params}
    if err.where:
        record["where"] = err.where
    return to_json(record)


@dataclass(frozen=True)
class KeptError:
    template: str
    params: dict[str, Any]
    where: str | None = None

    @property
    def english(self) -> str:
        text = self.template.format(**self.params) if self.params else self.template
        return f"{self.where}: {text}" if self.where else text


def kept_error(text: str | None) -> KeptError | None:
    """An error as ``error_record`` kept it; text kept otherwise is its own template."""
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return KeptError(text, {})
    if not isinstance(record, dict) or not isinstance(record.get("template"), str):
        return KeptError(text, {})
    params = record.get("params")
    where = record.get("where")
    return KeptError(
        record["template"],
        params if isinstance(params, dict) else {},
        where if isinstance(where, str) else None,
    )


class Job(StrEnum):
    PUSH = "push"
    PULL = "pull"


@dataclass(frozen=True)
class JobState:
    job: Job
    last_started_at: str | None = None  # UTC ISO, on the box's clock
    last_success_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0  # failed runs since the last success
    last_report: dict[str, Any] = field(default_factory=dict)
    clock_offset_s: int | None = None  # the registry's clock minus the box's

    @property
    def failing(self) -> bool:
        return self.failures > 0


def _ensure(tx: Transaction, job: Job) -> None:
    tx.execute("INSERT OR IGNORE INTO sync_jobs (job) VALUES (?)", (str(job),))


def job_started(tx: Transaction, job: Job) -> None:
    _ensure(tx, job)
    tx.execute("UPDATE sync_jobs SET last_started_at = ? WHERE job = ?", (tx.now(), str(job)))


def job_succeeded(tx: Transaction, job: Job, report: Mapping[str, Any]) -> None:
    _ensure(tx, job)
    tx.execute(
        "UPDATE sync_jobs SET last_success_at = ?, failures = 0, last_report = ? WHERE job = ?",
        (tx.now(), to_json(report), str(job)),
    )


def job_failed(tx: Transaction, job: Job, error: str, report: Mapping[str, Any]) -> None:
    """Note a failed run; ``error`` is an ``error_record``."""
    _ensure(tx, job)
    tx.execute(
        "UPDATE sync_jobs SET last_error = ?, last_error_at = ?, failures = failures + 1,"
        " last_report = ? WHERE job = ?",
        (error[: ERROR_MAX * 4], tx.now(), to_json(report), str(job)),
    )


def clock_offset_seen(tx: Transaction, job: Job, offset_s: int) -> None:
    _ensure(tx, job)
    tx.execute("UPDATE sync_jobs SET clock_offset_s = ? WHERE job = ?", (offset_s, str(job)))


def job_states(conn: sqlite3.Connection) -> dict[Job, JobState]:
    """Every job's state; a job never run has an empty one. ``last_error`` is kept as
    ``error_record`` made it: read it with ``kept_error``."""
    states = {job: JobState(job) for job in Job}
    rows = conn.execute(
        "SELECT job, last_started_at, last_success_at, last_error, last_error_at, failures,"
        " last_report, clock_offset_s FROM sync_jobs"
    )
    for job, started, success, error, error_at, failures, report, offset in rows:
        states[Job(job)] = JobState(
            Job(job), started, success, error, error_at, int(failures), json.loads(report), offset
        )
    return states
