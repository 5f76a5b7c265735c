"""User accounts: named people only, passwords hashed with argon2id."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from emp_edge.errors import InputError
from emp_edge.store.outbox import Transaction

#: argon2id at least m=19 MiB, t=2, p=1
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class NewUser:
    username: str
    first_name: str
    last_name: str
    password: str
    valid_from: date
    is_admin: bool = False
    email: str = ""
    position: str = ""


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


def add_user(tx: Transaction, user: NewUser) -> int:
    """Add an account (and its outbox event); returns its id."""
    username = user.username.strip()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InputError("a user name is letters, digits and . - _ only", where="username")
    for field_name in ("first_name", "last_name"):
        if not getattr(user, field_name).strip():
            raise InputError(
                "a named person is needed: {field} is empty",
                where=field_name,
                field=field_name.replace("_", " "),
            )
    check_password(user.password, username)
    if tx.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise InputError("the user name {username!r} is taken", where="username", username=username)
    now = tx.now()
    cursor = tx.execute(
        "INSERT INTO users (username, password_hash, first_name, last_name, email, position,"
        " valid_from, is_admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            username,
            hash_password(user.password),
            user.first_name.strip(),
            user.last_name.strip(),
            user.email,
            user.position,
            user.valid_from.isoformat(),
            int(user.is_admin),
            now,
            now,
        ),
    )
    user_id = int(cursor.lastrowid or 0)
    tx.emit("user.added", {"user_id": user_id, "username": username, "is_admin": user.is_admin})
    return user_id


def count_users(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])
