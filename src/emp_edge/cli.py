"""The ``emp-edge`` command: init, run, demo, migrate, import classlist.

Every error a person can cause (a bad file, a bad config, a bad argument) ends with one line
saying what and where, and a non-zero exit: 2 for bad input, 1 when something else failed.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from emp_edge import __version__, app
from emp_edge.cli_canteen import canteen_group
from emp_edge.cli_registry import registry_sim_command
from emp_edge.cli_sync import sync_group
from emp_edge.cli_users import audit_group, user_group
from emp_edge.config import Settings, load_settings
from emp_edge.config.terminals import parse_terminals
from emp_edge.domain.access import Grants
from emp_edge.errors import ConfigError, EdgeError, InputError
from emp_edge.roster.importer import ImportReport, import_classlist
from emp_edge.store.accounts import Details, NewUser, add_user, check_password, count_users
from emp_edge.store.schools import ensure_school

EXIT_BAD_INPUT = 2
#: the first admin of a school manages every area; later accounts get only what they need
FIRST_ADMIN_RIGHTS = Grants.everything().levels


class Command(click.Group):
    """Turns our errors into one clear line and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EdgeError as err:
            click.echo(f"emp-edge: {err}", err=True)
            ctx.exit(EXIT_BAD_INPUT if isinstance(err, InputError | ConfigError) else 1)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings | None = ctx.obj.get("settings")
    if settings is None:
        settings = load_settings(ctx.obj["config"])
        ctx.obj["settings"] = settings
        app.setup_logging(settings["log_level"])
    return settings


@click.group(cls=Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="emp-edge")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default /etc/emp-edge/emp-edge.toml, or $EMP_EDGE_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """emp-edge: the school's side of the electronic student ID card (EMP)."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


main.add_command(user_group)
main.add_command(audit_group)
main.add_command(canteen_group)
main.add_command(sync_group)
main.add_command(registry_sim_command)


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text("utf-8").splitlines()
        except OSError as err:
            raise InputError(
                "cannot read the password file: {reason}",
                where=str(password_file),
                reason=err.strerror or str(err),
            ) from err
        if not lines or not lines[0]:
            raise InputError("the password file is empty", where=str(password_file))
        return lines[0]
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@main.command()
@click.option("--username", default="admin", show_default=True, help="Login of the first admin.")
@click.option("--first-name", prompt="First name", help="First name of the admin (a named person).")
@click.option("--last-name", prompt="Last name", help="Last name of the admin.")
@click.option(
    "--password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the password from the first line of this file instead of asking.",
)
@click.pass_context
def init(
    ctx: click.Context, username: str, first_name: str, last_name: str, password_file: Path | None
) -> None:
    """Create the database and the first admin user."""
    settings = _settings(ctx)
    password = _read_password(password_file)
    check_password(password, username)  # before anything is created
    services = app.open_services(settings, create=True)
    try:
        if count_users(services.store.conn):
            raise InputError(
                "this database has users already; add more on the users page",
                where=str(settings.db_path),
            )
        with services.store.transaction() as tx:
            school = app.school_of(settings)
            ensure_school(tx, school.code, school.name, school.municipality)
            add_user(
                tx,
                NewUser(
                    username=username,
                    password=password,
                    details=Details(first_name, last_name, valid_from=services.clock.today()),
                    is_admin=True,
                    levels=FIRST_ADMIN_RIGHTS,
                ),
            )
        made_key = app.ensure_master_key(settings)
    finally:
        services.store.close()
    click.echo(f"Database ready at {settings.db_path}; admin user '{username}' added.")
    key = app.master_key_path(settings)
    if made_key:
        click.echo(f"New card master key in {key}: copy it (0600) to the school's other boxes.")
    else:
        click.echo(f"Card master key kept: {key}")


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply the database migrations this version brings."""
    settings = _settings(ctx)
    store = app.open_store(settings, create=False)
    try:
        done = store.migrate()
    finally:
        store.close()
    if done:
        for migration in done:
            click.echo(f"applied {migration.number:04d} {migration.name}")
    else:
        click.echo("the database is up to date")


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Start the roles named in the config (web: the admin pages and /healthz)."""
    settings = _settings(ctx)
    services = app.open_services(settings, create=False)
    running = app.start_roles(services)
    click.echo(f"emp-edge {__version__} serving {running.url}", err=True)
    app.serve_forever(running, services.store.close)


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port of the pages (0 picks a free one).",
)
@click.option("--pupils", type=click.IntRange(1, 5000), default=300, show_default=True)
@click.option("--keep", is_flag=True, help="Keep the data folder when the demo stops.")
@click.pass_context
def demo(ctx: click.Context, port: int, pupils: int, keep: bool) -> None:
    """Run every role on a throw-away demo school, with no hardware and no network."""
    from emp_edge.card_station.setup import card_template
    from emp_edge.demo_cards import stock_demo_station
    from emp_edge.demo_clubs import stock_demo_clubs
    from emp_edge.demo_registry import start_demo_registry
    from emp_edge.demo_school import issue_demo_cards, make_classlist, stock_demo_canteen
    from emp_edge.domain.school import school_year

    base = _settings(ctx)
    tills = [t.name for t in parse_terminals(base["terminal.readers"]) if t.role == "canteen"]
    demo_receipts = [f"{till} spool:receipts" for till in tills]
    folder = Path(tempfile.mkdtemp(prefix="emp-edge-demo-"))
    settings = base.replace(
        data_dir=str(folder),
        web__port=port,
        web__host="127.0.0.1",
        school__name="Demonstracinė Šaltinio progimnazija",
        roles=["web", "terminal"],
        terminal__master_key_file="",
        # cards are printed to PDFs in the data folder and their chips emulated
        cards__printer="spool",
        cards__spool_dir="",
        cards__encoder="simulated",
        # the canteen tills' receipts are written to files in the data folder
        canteen__receipt_printers=base["canteen.receipt_printers"] or demo_receipts,
    )
    services = app.open_services(settings, create=True)
    today = services.clock.today()
    classlist = folder / "demo-klasiu-sarasas.csv"
    make_classlist(classlist, pupils=pupils, school_year=school_year(today))
    password = "demo-" + secrets.token_urlsafe(9)
    with services.store.transaction() as tx:
        add_user(
            tx,
            NewUser(
                username="admin",
                password=password,
                details=Details("Demo", "Administratorė", valid_from=today),
                is_admin=True,
                levels=FIRST_ADMIN_RIGHTS,
            ),
        )
    report = import_classlist(services.store, classlist, app.school_of(settings))
    chips = issue_demo_cards(services.store, today)
    stock_demo_canteen(services.store, today)
    stock_demo_clubs(services.store, services.clock.now().astimezone(settings.tz))
    ready = stock_demo_station(services.store, today, card_template(settings))
    app.ensure_master_key(settings)
    # the registry simulator on this computer stands in for the registry
    registry, token_file = start_demo_registry(
        folder, services.store, settings["school.code"], today
    )
    services = dataclasses.replace(
        services,
        settings=settings.replace(
            sync__registry_url=registry.url,
            sync__token_file=str(token_file),
            sync__push_every_s=5,
            sync__pull_every_min=1,
        ),
    )
    running = app.start_roles(services)
    click.echo(
        f"Demo school: {report.imported} pupils, {chips} cards ({ready} ready to print),"
        f" data in {folder}"
    )
    click.echo(f"Admin login: admin / {password}")
    click.echo(f"Open {running.url}  (Ctrl-C stops the demo)", nl=True)
    click.echo(
        f"Tap cards at {running.url}simulator; a terminal's screen is {running.url}kiosk/NAME"
    )
    click.echo(f"The registry simulator is at {registry.url}; sync: {running.url}sync/")
    sys.stdout.flush()

    def clean_up() -> None:
        registry.stop()
        registry.registry.close()
        services.store.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    app.serve_forever(running, clean_up)


@main.command()
def readers() -> None:
    """List the PC/SC card readers pcscd sees, for the pcsc:PATTERN of terminal.readers."""
    names = app.pcsc_reader_names()
    if not names:
        click.echo("pcscd sees no reader: plug one in, or check 'journalctl -u pcscd'", err=True)
    for name in names:
        click.echo(name)


@main.group("import")
def import_group() -> None:
    """Import data from files."""


class _StderrProgress:
    """Progress of a long import, a line each tenth, on stderr (stdout stays clean for --json)."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < 1000:
            return
        tenth = done * 10 // total
        if tenth != self.shown:
            self.shown = tenth
            click.echo(f"importing: {done}/{total} rows", err=True)


@import_group.command("classlist")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_classlist_command(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    """Import a class list (CSV or XLSX with Lithuanian headers) in one transaction."""
    settings = _settings(ctx)
    if not file.exists():
        raise InputError("the file does not exist", where=str(file))
    school = app.school_of(settings)
    if dry_run:
        report = import_classlist(None, file, school, dry_run=True)
    else:
        services = app.open_services(settings, create=False)
        try:
            report = import_classlist(services.store, file, school, progress=_StderrProgress())
        finally:
            services.store.close()
    _print_report(report, file, as_json)
    if not report.ok:
        ctx.exit(EXIT_BAD_INPUT)


def _print_report(report: ImportReport, file: Path, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
        return
    if report.errors:
        click.echo(f"{file}: {len(report.errors)} bad row(s); nothing was imported:", err=True)
        for error in report.errors:
            click.echo(f"  line {error.line}: {error.reason}", err=True)
        return
    if report.dry_run:
        click.echo(f"{file}: {report.imported} rows are good (dry run: nothing written)")
    else:
        click.echo(
            f"{file}: imported {report.imported} rows ({report.created} new, "
            f"{report.updated} updated, {report.unchanged} unchanged)"
        )
