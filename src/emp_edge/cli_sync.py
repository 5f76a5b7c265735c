"""``emp-edge sync now`` and ``emp-edge sync status``: sync with the registry from a shell.

``now`` sends the waiting events, then reads the roster, once, under the same locks as the
scheduled jobs of ``emp-edge run`` (so the two never run at once), and prints what each step
did. It exits 1 when a step failed (the events stay in the outbox and go with the next run) and
2 when sync is off or its settings are wrong. ``status`` prints the backlog and each job's last
runs; neither ever prints a payload or the token.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

import click

from emp_edge.cli_users import _services, _settings
from emp_edge.errors import ConfigError
from emp_edge.store.outbox import backlog
from emp_edge.store.sync_jobs import Job, JobState, job_states, kept_error
from emp_edge.store.sync_lists import outbox_totals
from emp_edge.sync.client import client_from_settings
from emp_edge.sync.schedule import OFF, SyncJobs, SyncRun

#: the registry's clock may differ from the box's by this much before the status warns
CLOCK_WARN_S = 120


@click.group("sync")
def sync_group() -> None:
    """Sync with the registry: send the waiting events and read the roster, or show the state."""


def _moment(text: str | None, tz: tzinfo) -> str:
    if not text:
        return "never"
    return datetime.fromisoformat(text).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def run_lines(run: SyncRun) -> list[str]:
    """What a run did, a line per step."""
    push, pull = run.push, run.pull
    lines = [
        f"push: sent {push.sent}, acknowledged {push.acked}, duplicates {push.duplicates},"
        f" refused {push.rejected} (in {push.batches} batches)",
        f"pull: {pull.items} roster items in {pull.pages} pages: created {pull.created},"
        f" updated {pull.updated}, deleted {pull.deleted}, skipped {pull.skipped}"
        + (" (read again from the start: the registry no longer knew the cursor)"
           if pull.restarted else ""),
    ]  # fmt: skip
    return lines


def error_lines(run: SyncRun) -> list[str]:
    """A line per failed step, in English, with its reason."""
    steps = (("push", run.push.error), ("pull", run.pull.error))
    return [f"emp-edge: {step} failed: {error}" for step, error in steps if error is not None]


@sync_group.command("now")
@click.pass_context
def now(ctx: click.Context) -> None:
    """Send the waiting events to the registry, then read the roster, once."""
    settings = _settings(ctx)
    if not settings["sync.registry_url"]:
        raise ConfigError(OFF)
    with _services(ctx) as services:
        jobs = SyncJobs(
            services.store, settings, partial(client_from_settings, settings), care=None
        )
        run = jobs.run_now()
        waiting = backlog(services.store.conn)
    for line in run_lines(run):
        click.echo(line)
    click.echo(f"waiting to be sent: {waiting}")
    for line in error_lines(run):
        click.echo(line, err=True)
    if run.failed:
        ctx.exit(1)


def _job(state: JobState) -> dict[str, Any]:
    error = kept_error(state.last_error)
    return {
        "last_started_at": state.last_started_at,
        "last_success_at": state.last_success_at,
        "last_error": error.english if error is not None else None,
        "last_error_at": state.last_error_at,
        "failures": state.failures,
        "clock_offset_s": state.clock_offset_s,
        # the counts only: a skipped roster item's reason may quote what the registry sent
        "last_report": {
            k: v for k, v in state.last_report.items() if v is None or isinstance(v, int | float)
        },
    }


@sync_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the events waiting, those the registry refused, and each job's last runs."""
    settings = _settings(ctx)
    tz = settings.tz
    with _services(ctx) as services:
        conn = services.store.conn
        waiting = backlog(conn)
        refused = outbox_totals(conn).rejected
        states = job_states(conn)
    online = bool(settings["sync.registry_url"])
    jobs = {str(job): _job(states[job]) for job in Job}
    if as_json:
        found = {"online": online, "backlog": waiting, "refused": refused, "jobs": jobs}
        click.echo(json.dumps(found, ensure_ascii=False, sort_keys=True))
        return
    click.echo("sync is on" if online else f"{OFF}: the events wait on this box")
    click.echo(f"waiting to be sent: {waiting}")
    click.echo(f"refused by the registry: {refused}" + (" (see the sync page)" if refused else ""))
    for job in Job:
        shown = jobs[str(job)]
        click.echo(
            f"{job}: last started {_moment(shown['last_started_at'], tz)},"
            f" last success {_moment(shown['last_success_at'], tz)},"
            f" failed runs since the last success {shown['failures']}"
        )
        if shown["last_error"] is not None:
            click.echo(
                f"{job}: last error {_moment(shown['last_error_at'], tz)}: {shown['last_error']}"
            )
        offset = shown["clock_offset_s"]
        if offset is not None:
            warn = abs(offset) > CLOCK_WARN_S
            click.echo(
                f"{job}: the registry's clock is {offset:+d} s from this box's"
                + (": check the box's clock" if warn else "")
            )
