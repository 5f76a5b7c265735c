"""``emp-edge user …`` and ``emp-edge audit verify``, run as the real command in a child process."""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import emp_edge, environment

from emp_edge.domain.access import Area, Level
from emp_edge.domain.clock import FixedClock
from emp_edge.store import Store
from emp_edge.store.accounts import Account, find_account, verify_password
from emp_edge.store.audit import verify

PASSWORD = "Ąžuolas-2026-ruduo"
OTHER_PASSWORD = "Beržas-2027-pavasaris"
VILNIUS = ZoneInfo("Europe/Vilnius")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return environment(data_dir)


def _password_file(tmp_path: Path, password: str, name: str = "password") -> Path:
    path = tmp_path / name
    path.write_text(password + "\n", encoding="utf-8")
    return path


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    return _password_file(tmp_path, PASSWORD)


@pytest.fixture
def db(env: dict[str, str], password_file: Path, data_dir: Path) -> Path:
    result = emp_edge(
        "init", "--first-name", "Rūta", "--last-name", "Žemaitė",
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return data_dir / "emp-edge.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    """The same database, read as the pages read it."""
    opened = Store(db, FixedClock(datetime.now(VILNIUS), tz=VILNIUS), create=False)
    yield opened
    opened.close()


def _can_sign_in(store: Store, username: str, password: str) -> bool:
    """What the login page decides: the password fits and the account may sign in today."""
    found = find_account(store.conn, username)
    if found is None:
        return False
    account, password_hash = found
    # the command dates the account in school time: near midnight UTC that is already tomorrow
    today = datetime.now(VILNIUS).date()
    return verify_password(password_hash, password) and account.refusal(today) is None


def _account(store: Store, username: str) -> Account:
    found = find_account(store.conn, username)
    assert found is not None
    return found[0]


def _rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("users", "user_rights", "outbox", "audit_log")
        }
    finally:
        conn.close()


def _audit(store: Store, action: str) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT actor, subject, detail, source, user_id FROM audit_log WHERE action = ?",
        (action,),
    ).fetchall()


def test_user_add_with_rights_then_sign_in(
    env: dict[str, str], password_file: Path, store: Store
) -> None:
    result = emp_edge(
        "user", "add", "ona", "--first-name", "Ona", "--last-name", "Žukauskienė",
        "--right", "personal_data=viewer", "--right", "cards=manager",
        "--valid-from", "2026-09-01", "--valid-to", "2027-08-31",
        "--email", "ona@mokykla.lt", "--position", "raštvedė",
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ona" in result.stdout
    account = _account(store, "ona")
    assert account.full_name == "Ona Žukauskienė"
    assert account.grants.levels == {Area.PERSONAL_DATA: Level.VIEWER, Area.CARDS: Level.MANAGER}
    assert not account.grants.is_admin
    assert account.details.valid_from == date(2026, 9, 1)
    assert account.details.valid_to == date(2027, 8, 31)
    assert (account.details.email, account.details.position) == ("ona@mokykla.lt", "raštvedė")
    found = find_account(store.conn, "ona")
    assert found is not None
    assert verify_password(found[1], PASSWORD)
    assert _audit(store, "user.added") == [
        (
            f"cli:{getpass.getuser()}",
            f"user:{account.id}",
            "admin=no; personal_data=viewer, cards=manager",
            "cli",
            None,
        )
    ]
    types = [r[0] for r in store.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert types[-1] == "user.added"
    assert verify(store.conn).ok


def test_user_add_asks_for_the_password_twice(env: dict[str, str], store: Store) -> None:
    result = emp_edge(
        "user", "add", "jonas", "--first-name", "Jonas", "--last-name", "Jonaitis", "--admin",
        env=env, input_text=f"{OTHER_PASSWORD}\n{OTHER_PASSWORD}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    account = _account(store, "jonas")
    assert account.grants.is_admin
    assert account.details.valid_from == datetime.now(VILNIUS).date()
    assert _can_sign_in(store, "jonas", OTHER_PASSWORD)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--right", "cards=owner"], "is not AREA=viewer or AREA=manager"),
        (["--right", "valgykla=viewer"], "is not AREA=viewer or AREA=manager"),
        (["--valid-from", "2026-9-1"], "is not a date yyyy-mm-dd"),
        (["--valid-from", "2026-09-01", "--valid-to", "2026-08-31"], "cannot end before it begins"),
        (["--email", "ona.mokykla.lt"], "not an e-mail address"),
    ],
)
def test_user_add_refuses_bad_input_on_one_line(
    env: dict[str, str], password_file: Path, db: Path, arguments: list[str], message: str
) -> None:
    before = _rows(db)
    result = emp_edge(
        "user", "add", "ona", "--first-name", "Ona", "--last-name", "Žukauskienė", *arguments,
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert _rows(db) == before


def test_user_add_refuses_a_taken_name_and_a_short_password(
    env: dict[str, str], password_file: Path, tmp_path: Path, db: Path
) -> None:
    before = _rows(db)
    taken = emp_edge(
        "user", "add", "ADMIN", "--first-name", "A", "--last-name", "B",
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    assert taken.returncode == 2
    assert "the user name ADMIN is taken" in taken.stderr
    short = emp_edge(
        "user", "add", "ona", "--first-name", "Ona", "--last-name", "Ž",
        "--password-file", str(_password_file(tmp_path, "trumpas", "short")), env=env,
    )  # fmt: skip
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr
    assert _rows(db) == before


def test_disable_and_enable(env: dict[str, str], password_file: Path, store: Store) -> None:
    add = emp_edge(
        "user", "add", "ona", "--first-name", "Ona", "--last-name", "Žukauskienė",
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert _can_sign_in(store, "ona", PASSWORD)
    user_id = _account(store, "ona").id

    result = emp_edge("user", "disable", "ona", env=env)
    assert result.returncode == 0, result.stderr
    assert "disabled" in result.stdout
    assert not _can_sign_in(store, "ona", PASSWORD)
    assert _account(store, "ona").disabled
    assert [r[:2] + r[3:4] for r in _audit(store, "user.disabled")] == [
        (f"cli:{getpass.getuser()}", f"user:{user_id}", "cli")
    ]
    again = emp_edge("user", "disable", "ona", env=env)
    assert again.returncode == 0
    assert "already disabled" in again.stdout
    assert len(_audit(store, "user.disabled")) == 1

    result = emp_edge("user", "enable", "ona", env=env)
    assert result.returncode == 0, result.stderr
    assert _can_sign_in(store, "ona", PASSWORD)
    assert len(_audit(store, "user.enabled")) == 1
    types = [r[0] for r in store.conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert types[-2:] == ["user.disabled", "user.enabled"]


def test_reset_password(
    env: dict[str, str], password_file: Path, tmp_path: Path, store: Store, db: Path
) -> None:
    new_file = _password_file(tmp_path, OTHER_PASSWORD, "new")
    result = emp_edge("user", "reset-password", "admin", "--password-file", str(new_file), env=env)
    assert result.returncode == 0, result.stderr
    assert _can_sign_in(store, "admin", OTHER_PASSWORD)
    assert not _can_sign_in(store, "admin", PASSWORD)
    [(actor, subject, detail, source, _)] = _audit(store, "user.password_reset")
    assert (actor, subject, detail, source) == (f"cli:{getpass.getuser()}", "user:1", "", "cli")
    typed = emp_edge(
        "user", "reset-password", "admin", env=env, input_text=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert typed.returncode == 0, typed.stderr
    assert _can_sign_in(store, "admin", PASSWORD)
    before = _rows(db)
    short = _password_file(tmp_path, "trumpas", "short")
    refused = emp_edge("user", "reset-password", "admin", "--password-file", str(short), env=env)
    assert refused.returncode == 2
    assert "at least 10 characters" in refused.stderr
    assert _rows(db) == before
    assert _can_sign_in(store, "admin", PASSWORD)


@pytest.mark.parametrize("command", ["disable", "enable", "reset-password"])
def test_an_unknown_user_is_one_line_and_exit_2(
    env: dict[str, str], password_file: Path, db: Path, command: str
) -> None:
    before = _rows(db)
    extra = ["--password-file", str(password_file)] if command == "reset-password" else []
    result = emp_edge("user", command, "nobody", *extra, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "emp-edge: user: there is no user nobody"
    assert _rows(db) == before


def test_user_list(env: dict[str, str], password_file: Path, db: Path) -> None:
    emp_edge(
        "user", "add", "ona", "--first-name", "Ona", "--last-name", "Žukauskienė",
        "--right", "lists=viewer", "--valid-to", "2020-08-31", "--valid-from", "2019-09-01",
        "--password-file", str(password_file), env=env,
    )  # fmt: skip
    result = emp_edge("user", "list", env=env)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("\t", 1) for line in result.stdout.strip().splitlines())
    assert set(lines) == {"admin", "ona"}
    assert "Rūta Žemaitė" in lines["admin"]
    assert "admin=yes" in lines["admin"]
    assert "active" in lines["admin"]
    assert "2019-09-01–2020-08-31" in lines["ona"]
    assert "expired" in lines["ona"]
    assert "lists=viewer" in lines["ona"]


def test_audit_verify_names_an_edited_row_then_a_deleted_one(
    env: dict[str, str], password_file: Path, db: Path
) -> None:
    for name in ("ona", "jonas", "petras"):
        done = emp_edge(
            "user", "add", name, "--first-name", name.title(), "--last-name", "X",
            "--password-file", str(password_file), env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    emp_edge("user", "disable", "ona", env=env)
    conn = sqlite3.connect(db, isolation_level=None)
    ids, details = zip(*conn.execute("SELECT id, detail FROM audit_log ORDER BY id"), strict=True)
    conn.close()
    assert len(ids) >= 4
    intact = emp_edge("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == f"audit trail intact: {len(ids)} rows"

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET detail = 'admin=yes' WHERE id = ?", (ids[1],))
    conn.close()
    edited = emp_edge("audit", "verify", env=env)
    assert edited.returncode == 1
    assert edited.stdout.strip() == (
        f"audit trail broken at row {ids[1]}: its content does not match its hash"
    )

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE audit_log SET detail = ? WHERE id = ?", (details[1], ids[1]))  # put back
    conn.close()
    assert emp_edge("audit", "verify", env=env).returncode == 0
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE id = ?", (ids[2],))
    conn.close()
    deleted = emp_edge("audit", "verify", env=env)
    assert deleted.returncode == 1
    assert deleted.stdout.strip() == (
        f"audit trail broken at row {ids[3]}: it does not follow the row before it"
    )
