"""``emp-edge canteen day-report`` and ``emp-edge canteen close-day``: the end of day from a shell.

The report is printed with a column per till (and the CSV written for Excel, if asked); closing
a day is the same one transaction as the button on the canteen page, with an audit row whose
actor is ``cli:<login name>``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

import click

from emp_edge.cli_users import _audit, _day, _services, _settings
from emp_edge.errors import InputError
from emp_edge.store.canteen_day_table import day_table, excel_csv
from emp_edge.store.canteen_days import ClosedDay, close_day, closed_day, day_report
from emp_edge.store.canteen_days import free_meal_totals as served_free_totals
from emp_edge.store.canteen_lists import meal_types

DAY_HELP = "The school day, yyyy-mm-dd (default: today)."


def text_table(rows: list[list[str]]) -> str:
    """Rows as aligned text: the first column left, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _moment(text: str, tz: tzinfo) -> str:
    return datetime.fromisoformat(text).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _closing_line(closing: ClosedDay | None, tz: tzinfo) -> str:
    if closing is None:
        return "Not closed: its free meals have not been sent to the registry."
    line = f"Closed {_moment(closing.closed_at, tz)}; "
    if closing.sent_at:
        return line + f"the registry received it {_moment(closing.sent_at, tz)}."
    if closing.rejected_reason:
        return line + f"the registry refused it: {closing.rejected_reason}"
    return line + "waiting to be sent to the registry."


@click.group("canteen")
def canteen_group() -> None:
    """The canteen's end of day: the report per till, and closing the day."""


@canteen_group.command("day-report")
@click.option("--day", "day_text", metavar="YYYY-MM-DD", help=DAY_HELP)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the report to this CSV file (; separated, for Excel).",
)
@click.pass_context
def day_report_command(ctx: click.Context, day_text: str | None, csv_file: Path | None) -> None:
    """Print a day's free meals, sales, top-ups, refunds and corrections per till."""
    settings = _settings(ctx)
    with _services(ctx) as services:
        day = _day(day_text, "--day") or services.clock.today()
        conn = services.store.conn
        rows = day_table(day, day_report(conn, day, settings.tz), meal_types(conn))
        closing = closed_day(conn, day)
    if csv_file is not None:
        try:
            csv_file.write_bytes(excel_csv(rows))
        except OSError as err:
            raise InputError("cannot write the CSV file: {reason}", where=str(csv_file),
                             reason=err.strerror or str(err)) from err  # fmt: skip
    columns = [row[1:] for row in rows]  # the day is in the title
    transposed = [list(cells) for cells in zip(*columns, strict=True)]
    click.echo(f"Canteen day {day.isoformat()}, {settings['school.name']}")
    click.echo(text_table(transposed))
    click.echo(_closing_line(closing, settings.tz))
    if csv_file is not None:
        click.echo(f"CSV written to {csv_file}")


@canteen_group.command("close-day")
@click.option("--day", "day_text", metavar="YYYY-MM-DD", help=DAY_HELP)
@click.pass_context
def close_day_command(ctx: click.Context, day_text: str | None) -> None:
    """Close a day that is over: its free meals go to the registry (once)."""
    settings = _settings(ctx)
    with _services(ctx) as services:
        day = _day(day_text, "--day") or services.clock.today()
        with services.store.transaction() as tx:
            closing = close_day(tx, day, settings["school.code"], tz=settings.tz)
            served = served_free_totals(tx.conn, day)
            if closing is not None:
                detail = f"free_meals={sum(served.values())}"
                _audit(tx, "canteen.day_closed", f"day:{day.isoformat()}", detail)
        if closing is None:
            click.echo(f"{day.isoformat()} was closed before; nothing was sent again.")
            click.echo(_closing_line(closed_day(services.store.conn, day), settings.tz))
            return
    meals = ", ".join(f"{code} {count}" for code, count in served.items()) or "none"
    click.echo(f"{day.isoformat()} closed: {sum(served.values())} free meals ({meals}).")
    click.echo(f"Event {closing.event_id} waits in the outbox for the next sync.")
