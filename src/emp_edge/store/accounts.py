"""User accounts: named people only, with the fields and rights of the MR user-request form.

Passwords are hashed with argon2id (m=19 MiB, t=2, p=1). Every change writes its outbox event in
the same transaction; the caller adds the audit row there too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from emp_edge.domain import personal_code
from emp_edge.domain.access import Area, Grants, Level
from emp_edge.domain.school import school_year
from emp_edge.errors import InputError
from emp_edge.store.outbox import Transaction

#: argon2id at least m=19 MiB, t=2, p=1
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD_LENGTH = 10
LANGUAGES = ("lt", "en")


@dataclass(frozen=True)
class Details:
    """What the MR form asks of a user, but the password and the rights."""

    first_name: str
    last_name: str
    valid_from: date
    valid_to: date | None = None
    email: str = ""
    phone: str = ""
    position: str = ""
    institution_code: str = ""
    institution_name: str = ""
    workplace_address: str = ""
    pledge_signed_on: date | None = None  # confidentiality pledge
    personal_code: str = ""  # optional; stored checked, shown masked


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    details: Details
    is_admin: bool = False
    levels: Mapping[Area, Level] = field(default_factory=dict)
    club_leader: bool = False  # may lead club (NVŠ) groups


class Refusal(StrEnum):
    """Why an account with the right password still may not sign in."""

    DISABLED = "disabled"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    details: Details
    grants: Grants
    disabled: bool
    language: str
    club_leader: bool = False  # may lead club (NVŠ) groups

    @property
    def full_name(self) -> str:
        return f"{self.details.first_name} {self.details.last_name}"

    def refusal(self, today: date) -> Refusal | None:
        if self.disabled:
            return Refusal.DISABLED
        if today < self.details.valid_from:
            return Refusal.NOT_YET_VALID
        if self.details.valid_to is not None and today > self.details.valid_to:
            return Refusal.EXPIRED
        return None


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "the password must have at least {n} characters",
            where="password",
            n=MIN_PASSWORD_LENGTH,
        )
    if password.strip().lower() == username.strip().lower():
        raise InputError("the password must not be the user name", where="password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_details(details: Details) -> Details:
    for name in ("first_name", "last_name"):
        if not getattr(details, name).strip():
            raise InputError("a named person is needed: this field is empty", where=name)
    if details.valid_to is not None and details.valid_to < details.valid_from:
        raise InputError("the account cannot end before it begins", where="valid_to")
    code = details.personal_code.strip()
    if code:
        try:
            code = personal_code.parse(code).code
        except InputError as err:  # the same reason, placed at the form's field
            raise InputError(err.template, where="personal_code", **err.params) from None
    if details.email.strip() and "@" not in details.email:
        raise InputError("this is not an e-mail address", where="email")
    texts = {
        f.name: getattr(details, f.name).strip()
        for f in fields(details)
        if isinstance(getattr(details, f.name), str)
    }
    texts["personal_code"] = code
    return replace(details, **texts)


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InputError("a user name is letters, digits and . - _ only", where="username")
    return name


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def add_user(tx: Transaction, user: NewUser) -> int:
    """Add an account with its rights (and its outbox event); returns its id."""
    username = _check_username(user.username)
    details = _check_details(user.details)
    check_password(user.password, username)
    if tx.execute("SELECT 1 FROM users WHERE lower(username) = lower(?)", (username,)).fetchone():
        raise InputError("the user name {username} is taken", where="username", username=username)
    now = tx.now()
    cursor = tx.execute(
        "INSERT INTO users (username, password_hash, first_name, last_name, email, phone,"
        " position, institution_code, institution_name, workplace_address, personal_code,"
        " valid_from, valid_to, pledge_signed_on, is_admin, club_leader, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            username,
            hash_password(user.password),
            *_detail_values(details),
            int(user.is_admin),
            int(user.club_leader),
            now,
            now,
        ),
    )
    user_id = int(cursor.lastrowid or 0)
    _write_levels(tx, user_id, user.levels)
    tx.emit(
        "user.added",
        {
            "user_id": user_id,
            "is_admin": user.is_admin,
            "club_leader": user.club_leader,
        },
    )
    return user_id


def _detail_values(details: Details) -> tuple[object, ...]:
    return (
        details.first_name,
        details.last_name,
        details.email,
        details.phone,
        details.position,
        details.institution_code,
        details.institution_name,
        details.workplace_address,
        details.personal_code or None,
        details.valid_from.isoformat(),
        _day(details.valid_to),
        _day(details.pledge_signed_on),
    )


def _write_levels(tx: Transaction, user_id: int, levels: Mapping[Area, Level]) -> None:
    tx.execute("DELETE FROM user_rights WHERE user_id = ?", (user_id,))
    for area, level in levels.items():
        if level > Level.NONE:
            tx.execute(
                "INSERT INTO user_rights (user_id, area, level) VALUES (?, ?, ?)",
                (user_id, str(area), level.name.lower()),
            )


def update_user(
    tx: Transaction,
    user_id: int,
    details: Details,
    levels: Mapping[Area, Level],
    *,
    is_admin: bool,
    club_leader: bool | None = None,
) -> None:
    """Change an account's details and rights; ``club_leader`` None keeps the role as it is.

    The club-leader role stays while the user leads a group of this or a later school year.
    """
    checked = _check_details(details)
    before = _require(tx.conn, user_id)
    leader = before.club_leader if club_leader is None else club_leader
    if before.club_leader and not leader:
        led = groups_led(tx.conn, user_id, school_year(tx.clock.today()))
        if led:
            raise InputError(
                "{name} leads club groups of this or a later school year (groups: {count}):"
                " name another leader there before taking the club-leader role away",
                where="club_leader",
                name=before.full_name,
                count=led,
            )
    tx.execute(
        "UPDATE users SET first_name = ?, last_name = ?, email = ?, phone = ?, position = ?,"
        " institution_code = ?, institution_name = ?, workplace_address = ?, personal_code = ?,"
        " valid_from = ?, valid_to = ?, pledge_signed_on = ?, is_admin = ?, club_leader = ?,"
        " updated_at = ? WHERE id = ?",
        (*_detail_values(checked), int(is_admin), int(leader), tx.now(), user_id),
    )
    _write_levels(tx, user_id, levels)
    tx.emit("user.changed", {"user_id": user_id, "is_admin": is_admin, "club_leader": leader})


def groups_led(conn: sqlite3.Connection, user_id: int, from_year: int) -> int:
    """How many club groups of school year ``from_year`` or later the user leads."""
    row = conn.execute(
        "SELECT count(*) FROM group_leaders l JOIN club_groups g ON g.id = l.group_id"
        " WHERE l.user_id = ? AND g.school_year >= ?",
        (user_id, from_year),
    ).fetchone()
    return int(row[0])


def set_disabled(tx: Transaction, user_id: int, disabled: bool) -> None:
    _require(tx.conn, user_id)
    tx.execute(
        "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
        (int(disabled), tx.now(), user_id),
    )
    tx.emit("user.disabled" if disabled else "user.enabled", {"user_id": user_id})


def set_password(tx: Transaction, user_id: int, password: str) -> None:
    account = _require(tx.conn, user_id)
    check_password(password, account.username)
    tx.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        (hash_password(password), tx.now(), user_id),
    )
    tx.emit("user.password_reset", {"user_id": user_id})


def set_language(tx: Transaction, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(
            "the language {language} is not offered", where="language", language=language
        )
    tx.execute(
        "UPDATE users SET language = ?, updated_at = ? WHERE id = ?", (language, tx.now(), user_id)
    )
    tx.emit("user.language_set", {"user_id": user_id, "language": language})


_AREA_NAMES = frozenset(area.value for area in Area)
_ACCOUNT_COLUMNS = (
    "id, username, first_name, last_name, email, phone, position, institution_code,"
    " institution_name, workplace_address, personal_code, valid_from, valid_to,"
    " pledge_signed_on, is_admin, disabled, language, club_leader"
)


def _account(conn: sqlite3.Connection, row: sqlite3.Row | tuple[object, ...]) -> Account:
    (uid, username, first, last, email, phone, position, icode, iname, address, code,
     valid_from, valid_to, pledge, is_admin, disabled, language, leader) = row  # fmt: skip
    levels = {
        Area(area): Level.named(level)
        for area, level in conn.execute(
            "SELECT area, level FROM user_rights WHERE user_id = ?", (uid,)
        )
        if area in _AREA_NAMES
    }
    details = Details(
        first_name=str(first),
        last_name=str(last),
        valid_from=date.fromisoformat(str(valid_from)),
        valid_to=date.fromisoformat(str(valid_to)) if valid_to else None,
        email=str(email),
        phone=str(phone),
        position=str(position),
        institution_code=str(icode),
        institution_name=str(iname),
        workplace_address=str(address),
        pledge_signed_on=date.fromisoformat(str(pledge)) if pledge else None,
        personal_code=str(code or ""),
    )
    return Account(
        id=int(str(uid)),
        username=str(username),
        details=details,
        grants=Grants(levels, is_admin=bool(is_admin)),
        disabled=bool(disabled),
        language=str(language),
        club_leader=bool(leader),
    )


def load_account(conn: sqlite3.Connection, user_id: int) -> Account | None:
    row = conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM users WHERE id = ?",  # noqa: S608
        (user_id,),
    ).fetchone()
    return None if row is None else _account(conn, row)


def find_account(conn: sqlite3.Connection, username: str) -> tuple[Account, str] | None:
    """The account with this user name (any case) and its password hash."""
    row = conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS}, password_hash FROM users WHERE lower(username) = lower(?)",  # noqa: S608
        (username.strip(),),
    ).fetchone()
    return None if row is None else (_account(conn, row[:-1]), str(row[-1]))


def list_accounts(conn: sqlite3.Connection) -> list[Account]:
    rows = conn.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM users ORDER BY last_name, first_name, username"  # noqa: S608
    ).fetchall()
    return [_account(conn, row) for row in rows]


def _require(conn: sqlite3.Connection, user_id: int) -> Account:
    account = load_account(conn, user_id)
    if account is None:
        raise InputError("there is no user number {user_id}", where="user", user_id=user_id)
    return account


def count_users(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])


def describe_rights(levels: Mapping[Area, Level], *, is_admin: bool) -> str:
    """The rights in a few words, for the audit trail: "admin=no; cards=manager, lists=viewer"."""
    held = [f"{area.value}={levels[area].name.lower()}" for area in Area if levels.get(area)]
    return f"admin={_yes(is_admin)}; " + (", ".join(held) or "no rights")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def describe_change(
    before: Account,
    details: Details,
    levels: Mapping[Area, Level],
    *,
    is_admin: bool,
    club_leader: bool | None = None,
) -> str:
    """What an edit changes, for the audit trail: the names of changed fields (never their
    values, which may be personal), and the rights old→new. Empty when nothing changes."""
    parts: list[str] = []
    changed = [
        f.name
        for f in fields(Details)
        if getattr(before.details, f.name) != getattr(details, f.name)
    ]
    if changed:
        parts.append("fields: " + ", ".join(changed))
    for area in Area:
        old, new = before.grants.level(area), levels.get(area, Level.NONE)
        if old != new:
            parts.append(f"{area.value}: {old.name.lower()}→{new.name.lower()}")
    if before.grants.is_admin != is_admin:
        parts.append(f"admin: {_yes(before.grants.is_admin)}→{_yes(is_admin)}")
    if club_leader is not None and before.club_leader != club_leader:
        parts.append(f"club leader: {_yes(before.club_leader)}→{_yes(club_leader)}")
    return "; ".join(parts)
