"""``emp-edge user …`` and ``emp-edge audit verify``: accounts and the audit trail from a shell.

For the first admin's colleagues, and for the day nobody can sign in any more. Each change is one
transaction with its outbox event and an audit row whose actor is ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from emp_edge import app
from emp_edge.config import Settings
from emp_edge.domain.access import Area, Level
from emp_edge.errors import InputError
from emp_edge.services import Services
from emp_edge.store.accounts import (
    Account,
    Details,
    NewUser,
    add_user,
    describe_rights,
    find_account,
    list_accounts,
    set_disabled,
    set_password,
)
from emp_edge.store.audit import Entry, record, verify
from emp_edge.store.outbox import Transaction

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: the help of --password-file (a help text, not a password)
PASSWORD_FILE_HELP = "Read the password from the first line of this file instead of asking."  # noqa: S105


def _settings(ctx: click.Context) -> Settings:
    from emp_edge.cli import _settings as settings_of  # cli imports this module: look it up late

    return settings_of(ctx)


def _read_password(password_file: Path | None) -> str:
    from emp_edge.cli import _read_password as read_password

    return read_password(password_file)


@contextmanager
def _services(ctx: click.Context) -> Iterator[Services]:
    services = app.open_services(_settings(ctx), create=False)
    try:
        yield services
    finally:
        services.store.close()


def _audit(tx: Transaction, action: str, subject: str, detail: str = "") -> None:
    """Record a change made from the command line, with the OS login as the actor."""
    record(tx, Entry(f"cli:{getpass.getuser()}", action, subject, detail, "cli"))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("{value!r} is not a date yyyy-mm-dd", where=option, value=value) from None


def _rights(rights: tuple[str, ...]) -> dict[Area, Level]:
    levels: dict[Area, Level] = {}
    areas = ", ".join(area.value for area in Area)
    for text in rights:
        area_name, _, level_name = text.partition("=")
        try:
            area = Area(area_name.strip())
            level = Level.named(level_name.strip())
        except (ValueError, KeyError):
            raise InputError(
                "{text!r} is not AREA=viewer or AREA=manager (areas: {areas})",
                where="--right",
                text=text,
                areas=areas,
            ) from None
        levels[area] = level
    return levels


def _account(services: Services, username: str) -> Account:
    found = find_account(services.store.conn, username)
    if found is None:
        raise InputError("there is no user {username}", where="user", username=username)
    return found[0]


@click.group("user")
def user_group() -> None:
    """Add, list, disable and enable users, and reset their passwords."""


@user_group.command("add")
@click.argument("username")
@click.option("--first-name", required=True, help="First name (a named person).")
@click.option("--last-name", required=True, help="Last name.")
@click.option("--admin", is_flag=True, help="Administrator: users, settings and the audit trail.")
@click.option(
    "--right",
    "rights",
    multiple=True,
    metavar="AREA=viewer|manager",
    help=f"A right in an area; repeat for more. Areas: {', '.join(a.value for a in Area)}.",
)
@click.option(
    "--valid-from", metavar="yyyy-mm-dd", help="First day of the account (default today)."
)
@click.option("--valid-to", metavar="yyyy-mm-dd", help="Last day of the account (default none).")
@click.option("--email", default="", help="E-mail address.")
@click.option("--position", default="", help="Position at the institution.")
@click.option(
    "--password-file", type=click.Path(path_type=Path, dir_okay=False), help=PASSWORD_FILE_HELP
)
@click.pass_context
def add(
    ctx: click.Context,
    username: str,
    first_name: str,
    last_name: str,
    admin: bool,
    rights: tuple[str, ...],
    valid_from: str | None,
    valid_to: str | None,
    email: str,
    position: str,
    password_file: Path | None,
) -> None:
    """Add a user, with the password asked twice (or read from --password-file)."""
    levels = _rights(rights)
    start = _day(valid_from, "--valid-from")
    end = _day(valid_to, "--valid-to")
    with _services(ctx) as services:
        start = start or services.clock.today()
        details = Details(
            first_name=first_name,
            last_name=last_name,
            valid_from=start,
            valid_to=end,
            email=email,
            position=position,
        )
        password = _read_password(password_file)
        with services.store.transaction() as tx:
            user_id = add_user(
                tx,
                NewUser(
                    username=username,
                    password=password,
                    is_admin=admin,
                    details=details,
                    levels=levels,
                ),
            )
            _audit(tx, "user.added", f"user:{user_id}", describe_rights(levels, is_admin=admin))
    click.echo(f"user {username.strip()} added (number {user_id})")


def _set_disabled(ctx: click.Context, username: str, disabled: bool) -> None:
    word = "disabled" if disabled else "enabled"
    with _services(ctx) as services:
        account = _account(services, username)
        if account.disabled == disabled:
            click.echo(f"user {account.username} is already {word}")
            return
        with services.store.transaction() as tx:
            set_disabled(tx, account.id, disabled)
            _audit(tx, f"user.{word}", f"user:{account.id}")
    click.echo(f"user {account.username} {word}")


@user_group.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx: click.Context, username: str) -> None:
    """Disable a user: they cannot sign in until enabled again."""
    _set_disabled(ctx, username, True)


@user_group.command("enable")
@click.argument("username")
@click.pass_context
def enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(ctx, username, False)


@user_group.command("reset-password")
@click.argument("username")
@click.option(
    "--password-file", type=click.Path(path_type=Path, dir_okay=False), help=PASSWORD_FILE_HELP
)
@click.pass_context
def reset_password(ctx: click.Context, username: str, password_file: Path | None) -> None:
    """Set a new password for a user (asked twice, or read from --password-file)."""
    with _services(ctx) as services:
        account = _account(services, username)
        password = _read_password(password_file)
        with services.store.transaction() as tx:
            set_password(tx, account.id, password)
            _audit(tx, "user.password_reset", f"user:{account.id}")
    click.echo(f"password of {account.username} changed")


@user_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the users: user name, name, validity, state and rights."""
    with _services(ctx) as services:
        today = services.clock.today()
        accounts = list_accounts(services.store.conn)
    for account in accounts:
        details = account.details
        refusal = account.refusal(today)
        state = "active" if refusal is None else str(refusal).replace("_", " ")
        until = details.valid_to.isoformat() if details.valid_to else "…"
        rights = describe_rights(account.grants.levels, is_admin=account.grants.is_admin)
        click.echo(
            f"{account.username}\t{account.full_name}\t{details.valid_from.isoformat()}–{until}"
            f"\t{state}\t{rights}"
        )
    if not accounts:
        click.echo("there are no users yet; 'emp-edge init' adds the first admin", err=True)


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.pass_context
def verify_command(ctx: click.Context) -> None:
    """Check the audit trail's hash chain: exit 0 when intact, 1 at the first broken row."""
    with _services(ctx) as services:
        check = verify(services.store.conn)
    if check.ok:
        click.echo(f"audit trail intact: {check.rows} rows")
        return
    click.echo(f"audit trail broken at row {check.first_broken}: {check.reason}")
    ctx.exit(1)
