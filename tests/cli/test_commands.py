"""The emp-edge command end to end: real processes, real files, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from helpers import Lines, emp_edge, environment, get, sign_in, start

from emp_edge import __version__
from emp_edge.demo_school import make_classlist

PASSWORD = "Ąžuolas-2026-ruduo"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return environment(data_dir)


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


@pytest.fixture
def initialised(env: dict[str, str], password_file: Path, data_dir: Path) -> Path:
    result = emp_edge(
        "init",
        "--first-name",
        "Rūta",
        "--last-name",
        "Žemaitė",
        "--password-file",
        str(password_file),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return data_dir / "emp-edge.db"


def dump(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [row for t in sorted(tables) for row in conn.execute(f"SELECT * FROM {t}")]
    finally:
        conn.close()


def test_version(env: dict[str, str]) -> None:
    result = emp_edge("--version", env=env)
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_init_creates_private_database_school_and_admin(initialised: Path) -> None:
    assert initialised.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(initialised)
    user = conn.execute(
        "SELECT username, first_name, last_name, is_admin, password_hash FROM users"
    ).fetchone()
    assert user[:4] == ("admin", "Rūta", "Žemaitė", 1)
    assert user[4].startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in user[4]
    assert PASSWORD not in user[4]
    assert conn.execute("SELECT code FROM schools").fetchall() == [("190000000",)]
    types = [r[0] for r in conn.execute("SELECT type FROM outbox ORDER BY seq")]
    assert types == ["school.added", "user.added"]
    key = initialised.parent / "card-master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text("ascii").strip())) == 16
    assert key.read_text("ascii").strip().upper() not in initialised.read_bytes().hex().upper()


def test_init_twice_is_refused_and_changes_nothing(
    initialised: Path, env: dict[str, str], password_file: Path
) -> None:
    before = dump(initialised)
    key_before = (initialised.parent / "card-master.key").read_bytes()
    result = emp_edge(
        "init",
        "--username",
        "other",
        "--first-name",
        "A",
        "--last-name",
        "B",
        "--password-file",
        str(password_file),
        env=env,
    )
    assert result.returncode == 2
    assert "has users already" in result.stderr
    assert dump(initialised) == before
    assert key_before == (initialised.parent / "card-master.key").read_bytes()  # never replaced


def test_init_asks_for_the_password(env: dict[str, str], data_dir: Path) -> None:
    result = emp_edge(
        "init",
        "--first-name",
        "Rūta",
        "--last-name",
        "Žemaitė",
        env=env,
        input_text=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    assert (data_dir / "emp-edge.db").exists()


@pytest.mark.parametrize(
    ("password", "expected"),
    [("short", "at least 10 characters"), ("administrator", None)],
)
def test_init_refuses_a_weak_password_before_creating_anything(
    env: dict[str, str], tmp_path: Path, data_dir: Path, password: str, expected: str | None
) -> None:
    path = tmp_path / "pw"
    path.write_text(password, encoding="utf-8")
    username = "administrator"
    result = emp_edge(
        "init",
        "--username",
        username,
        "--first-name",
        "A",
        "--last-name",
        "B",
        "--password-file",
        str(path),
        env=env,
    )
    assert result.returncode == 2
    assert "password:" in result.stderr
    assert expected is None or expected in result.stderr
    assert not data_dir.exists()


def test_init_with_a_missing_password_file(
    env: dict[str, str], tmp_path: Path, data_dir: Path
) -> None:
    result = emp_edge(
        "init",
        "--first-name",
        "A",
        "--last-name",
        "B",
        "--password-file",
        str(tmp_path / "nope"),
        env=env,
    )
    assert result.returncode == 2
    assert "cannot read the password file" in result.stderr
    assert str(tmp_path / "nope") in result.stderr
    assert not data_dir.exists()


def test_bad_config_file_stops_with_file_key_and_reason(
    initialised: Path, env: dict[str, str], tmp_path: Path
) -> None:
    before = dump(initialised)
    config = tmp_path / "emp-edge.toml"
    config.write_text("[web]\nport = 'aštuoni'\n", encoding="utf-8")
    for command in (["run"], ["migrate"], ["import", "classlist", str(config)]):
        result = emp_edge("--config", str(config), *command, env=env)
        assert result.returncode == 2, command
        assert f"{config}: 'web.port' must be a whole number" in result.stderr
    assert dump(initialised) == before


def test_bad_environment_stops_the_start(env: dict[str, str]) -> None:
    result = emp_edge("run", env={**env, "EMP_EDGE_WEB_PORT": "x"})
    assert result.returncode == 2
    assert "EMP_EDGE_WEB_PORT" in result.stderr


def test_run_and_migrate_need_init(env: dict[str, str], data_dir: Path) -> None:
    for command in ("run", "migrate"):
        result = emp_edge(command, env=env)
        assert result.returncode == 1
        assert "run 'emp-edge init' first" in result.stderr
    assert not (data_dir / "emp-edge.db").exists()


def test_migrate_is_idempotent(initialised: Path, env: dict[str, str]) -> None:
    result = emp_edge("migrate", env=env)
    assert result.returncode == 0
    assert "up to date" in result.stdout


def test_unknown_command_and_argument(env: dict[str, str]) -> None:
    assert emp_edge("frobnicate", env=env).returncode == 2
    result = emp_edge("demo", "--port", "70000", env=env)
    assert result.returncode == 2
    assert "--port" in result.stderr


def test_run_serves_the_pages_until_sigterm(
    initialised: Path, env: dict[str, str], password_file: Path
) -> None:
    process = start(
        "run",
        env={**env, "EMP_EDGE_WEB_PORT": "0", "EMP_EDGE_SCHOOL_NAME": "Šaltinio progimnazija"},
    )
    try:
        assert process.stderr is not None
        url = Lines(process.stderr).wait_for(r"serving (http://127\.0\.0\.1:\d+/)")[1]
        health = get(url + "healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["pending_migrations"] == 0
        page = get(url)
        assert page.status_code == 302
        assert page.headers["location"].startswith("/login")
        with httpx.Client(timeout=10) as client:
            login = client.get(url + "login")
            assert "Prisijungti" in login.text  # Lithuanian first
            assert login.headers["X-Frame-Options"] == "DENY"
            password = password_file.read_text("utf-8").splitlines()[0]
            dashboard = sign_in(client, url, "admin", password)
            assert dashboard.status_code == 200
            assert "Šaltinio progimnazija" in dashboard.text
            assert "Rūta Žemaitė" in dashboard.text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def tap_in_demo(url: str) -> tuple[str, str, str]:
    """Tap the first demo card on the simulator and read the answer off valgykla-1's till: the
    demo's all-day snack window sells something at any hour but the day's last minute."""
    with (
        httpx.Client(base_url=url, timeout=10) as client,
        client.stream("GET", "kiosk/valgykla-1/events") as screen,
    ):
        lines = screen.iter_lines()
        assert next(lines).startswith("retry:")
        queued = client.post("simulator/taps", json={"terminal": "valgykla-1", "card_id": 1})
        assert queued.status_code == 202, queued.text
        for line in lines:
            if line.startswith("data: ") and '"result"' in line:
                shown = json.loads(line[6:])
                return shown["result"], shown["reason"], shown["time"]
    raise AssertionError("the kiosk stream ended without the tap")


def test_demo_runs_a_school_and_throws_it_away(env: dict[str, str]) -> None:
    process = start("demo", "--port", "0", env=env)
    try:
        assert process.stdout is not None
        out = Lines(process.stdout)
        folder = Path(out.wait_for(r"data in (\S+)")[1])
        password = out.wait_for(r"Admin login: admin / (\S+)")[1]
        url = out.wait_for(r"Open (http://127\.0\.0\.1:\d+/)")[1]
        assert get(url + "healthz").json()["status"] == "ok"
        with httpx.Client(timeout=10) as client:
            page = sign_in(client, url, "admin", password)
        assert '<dd data-live="today.pupils">300</dd>' in page.text
        assert (folder / "card-master.key").stat().st_mode & 0o777 == 0o600
        result, reason, at = tap_in_demo(url)
        if at == "23:59":  # the demo's all-day snack window closes for the day's last minute
            assert (result, reason) == ("denied", "no_serving_now")
        else:
            assert (result, reason) == ("accepted", "ok")
        conn = sqlite3.connect(folder / "emp-edge.db")
        labels = {r[0] for r in conn.execute("SELECT label FROM classes")}
        assert {"1a", "8b", "Ia", "IIa", "IIIa", "IVa"} <= labels
        # the demo canteen: prices, a free lunch for about a third, and the tap's sale
        assert conn.execute(
            "SELECT price_cents FROM canteen_items WHERE name = 'Pietūs'"
        ).fetchone() == (250,)
        entitled = conn.execute(
            "SELECT count(DISTINCT pupil_id) FROM meal_entitlements WHERE registry_key IS NULL"
        ).fetchone()
        assert 90 <= entitled[0] <= 110
        sales = conn.execute("SELECT count(*) FROM till_sales WHERE till = 'valgykla-1'").fetchone()
        assert sales == (1 if reason == "ok" else 0,)
        # the demo's registry: the box pushes its events and pulls the roster on its own
        registry_url = out.wait_for(r"registry simulator is at (http://127\.0\.0\.1:\d+/)")[1]
        assert registry_url != url
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            linked, acked = conn.execute(
                "SELECT (SELECT count(*) FROM pupils WHERE registry_id IS NOT NULL),"
                " (SELECT count(*) FROM outbox WHERE acked_at IS NOT NULL)"
            ).fetchone()
            if linked == 300 and acked:
                break
            time.sleep(0.5)
        assert (linked, bool(acked)) == (300, True)
        renamed = conn.execute("SELECT count(*) FROM pupils WHERE last_name LIKE '%-Žukauskienė'")
        assert renamed.fetchone() == (1,)  # the registry wins for personal data
        central = conn.execute("SELECT amount_cents FROM ledger WHERE event_id LIKE 'registry-%'")
        assert central.fetchall() == [(1500,)]
        conn.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert not folder.exists()


# ------------------------------------------------------------------ import classlist


@pytest.fixture
def classlist(tmp_path: Path) -> Path:
    path = tmp_path / "klase.csv"
    make_classlist(path, pupils=40, school_year=2026)
    return path


def test_import_json_and_reimport(initialised: Path, env: dict[str, str], classlist: Path) -> None:
    result = emp_edge("import", "classlist", str(classlist), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "imported": 40,
        "errors": [],
        "created": 40,
        "updated": 0,
        "unchanged": 0,
    }
    before = dump(initialised)
    again = emp_edge("import", "classlist", str(classlist), "--json", env=env)
    assert json.loads(again.stdout)["unchanged"] == 40
    assert dump(initialised) == before


def test_import_text_report(initialised: Path, env: dict[str, str], classlist: Path) -> None:
    result = emp_edge("import", "classlist", str(classlist), env=env)
    assert result.returncode == 0
    assert "imported 40 rows (40 new, 0 updated, 0 unchanged)" in result.stdout


def test_import_bad_rows_exit_2_and_change_nothing(
    initialised: Path, env: dict[str, str], classlist: Path
) -> None:
    lines = classlist.read_text(encoding="utf-8-sig").splitlines()
    cells = [line.split(";") for line in lines]
    cells[3][5] = "13a"
    cells[7][3] = "12345678901"
    lines = [";".join(row) for row in cells]
    classlist.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = dump(initialised)
    result = emp_edge("import", "classlist", str(classlist), "--json", env=env)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["imported"] == 0
    assert [e["line"] for e in report["errors"]] == [4, 8]
    assert "Klasė" in report["errors"][0]["reason"]
    assert "Asmens kodas" in report["errors"][1]["reason"]
    assert dump(initialised) == before
    text = emp_edge("import", "classlist", str(classlist), env=env)
    assert text.returncode == 2
    assert "line 4:" in text.stderr
    assert "line 8:" in text.stderr
    assert "nothing was imported" in text.stderr


def test_dry_run_works_on_an_empty_data_folder(
    env: dict[str, str], data_dir: Path, classlist: Path
) -> None:
    data_dir.mkdir()
    result = emp_edge("import", "classlist", str(classlist), "--dry-run", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"imported": 40, "errors": [], "dry_run": True}
    assert list(data_dir.iterdir()) == []


def test_import_of_a_missing_file(initialised: Path, env: dict[str, str], tmp_path: Path) -> None:
    result = emp_edge("import", "classlist", str(tmp_path / "nėra.csv"), env=env)
    assert result.returncode == 2
    assert "nėra.csv: the file does not exist" in result.stderr


def test_import_needs_init(env: dict[str, str], classlist: Path) -> None:
    result = emp_edge("import", "classlist", str(classlist), env=env)
    assert result.returncode == 1
    assert "run 'emp-edge init' first" in result.stderr


def test_large_import_shows_progress(
    initialised: Path, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "large.csv"
    make_classlist(path, pupils=2500, school_year=2026)
    result = emp_edge("import", "classlist", str(path), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] == 2500
    assert "importing: 2500/2500 rows" in result.stderr
    assert result.stderr.count("importing:") >= 5
