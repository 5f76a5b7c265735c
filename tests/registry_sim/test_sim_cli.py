"""``emp-edge registry-sim`` as a child process: its url line, its options, SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sim_requests import TINY_CONTRACT, event

from emp_edge import cli
from emp_edge.cli_registry import registry_sim_command
from registry_rig import self_signed_cert

URL_LINE = re.compile(
    r"registry-sim listening url=(http://127\.0\.0\.1:\d+/|https://127\.0\.0\.1:\d+/)"
)
if "registry-sim" in cli.main.commands:
    COMMAND = [sys.executable, "-m", "emp_edge", "registry-sim"]
else:  # until the command is registered in cli.py
    COMMAND = [
        sys.executable,
        "-c",
        "from emp_edge.cli_registry import registry_sim_command as c; c(prog_name='registry-sim')",
    ]


@contextmanager
def running(tmp_path: Path, *args: str) -> Iterator[str]:
    """The simulator as a child process; yields its url, and stops it with SIGTERM at the end."""
    log = (tmp_path / "registry-sim.log").open("w")
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--data", str(tmp_path / "sim"), *args],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    watchdog = threading.Timer(30, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = URL_LINE.fullmatch(line.rstrip("\n"))
        assert match, (line, (tmp_path / "registry-sim.log").read_text())
        yield match[1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""  # the url line was the only line on stdout
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_it_prints_its_url_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    with running(tmp_path, "--box", "190000000:box-token", "--box", "290000000:t2") as url:
        for token in ("box-token", "t2"):
            answer = httpx.get(url + "v1/time", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200
        assert httpx.get(url + "v1/time", headers={"Authorization": "Bearer x"}).status_code == 401
    log = (tmp_path / "registry-sim.log").read_text()
    assert "GET /v1/time 200" in log
    assert "box-token" not in log


def test_a_token_file_and_a_roster_for_one_school(tmp_path: Path) -> None:
    token_file = tmp_path / "registry.token"
    token_file.write_text("file-token\n")
    items = [{"kind": "class", "key": "c-5a", "deleted": False, "school_year": 2026,
              "grade": 5, "letter": "a", "label": "5a"}]  # fmt: skip
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(items))
    args = ("--school", "190000000", "--token-file", str(token_file), "--roster", str(roster))
    with running(tmp_path, *args) as url:
        answer = httpx.get(url + "v1/roster", headers={"Authorization": "Bearer file-token"})
        assert answer.json()["items"] == items


def test_the_registry_remembers_across_runs_on_the_same_data(tmp_path: Path) -> None:
    contract = tmp_path / "tiny.yaml"
    contract.write_text(TINY_CONTRACT)
    known, refused = event(), event(payload={"card_id": "seven"})
    headers = {"Authorization": "Bearer box-token"}
    batch = {"events": [known, refused]}
    args = ("--contract", str(contract))
    with running(tmp_path, "--box", "190000000:box-token", *args) as url:
        first = httpx.post(url + "v1/events", json=batch, headers=headers).json()["results"]
    with running(tmp_path, *args) as url:  # the box is remembered too
        again = httpx.post(url + "v1/events", json=batch, headers=headers).json()["results"]
    assert [r["status"] for r in first] == ["accepted", "rejected"]
    assert [r["status"] for r in again] == ["duplicate", "rejected"]


def test_a_contract_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("openapi: 3.1.0\npaths: {}\n")
    done = subprocess.run(
        [*COMMAND, "--data", str(tmp_path / "sim"), "--contract", str(tmp_path / "bad.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "registry-sim: the contract has no x-event-payloads mapping of event types"
    )


def test_fault_switches_reach_the_server(tmp_path: Path) -> None:
    with running(tmp_path, "--box", "1:t", "--fail-rate", "1", "--seed", "4") as url:
        answer = httpx.get(url + "v1/time", headers={"Authorization": "Bearer t"})
        assert answer.status_code in (500, 503)


def test_tls_from_the_command_line(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path / "tls")
    args = ("--box", "1:t", "--tls-cert", str(cert), "--tls-key", str(key))
    with running(tmp_path, *args) as url:
        assert url.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(url + "v1/time", headers={"Authorization": "Bearer t"}, verify=trusted)
        assert answer.status_code == 200


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--fail-rate", "0.7", "--cut-rate", "0.7"], "add up to more than 1"),
        (["--fail-rate", "1.5"], "--fail-rate"),
        (["--hang-rate", "x"], "--hang-rate"),
        (["--box", "no-token"], "--box wants CODE:TOKEN"),
        (["--token-file", "registry.token"], "--token-file needs --school"),
        (["--school", "1", "--roster", "roster.json"], "cannot read the roster file"),
        (["--school", "1", "--token-file", "empty.token"], "is empty"),
        (["--roster", "roster.json"], "--roster needs --school"),
        (["--tls-cert", "registry.token"], "--tls-cert and --tls-key go together"),
        (["--port", "70000"], "--port"),
        (["--no-such-option"], "no-such-option"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    (tmp_path / "registry.token").write_text("t")
    (tmp_path / "empty.token").write_text("\n")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(registry_sim_command, ["--data", str(tmp_path / "sim"), *args])
    assert done.exit_code == 2, done.output
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("registry-sim: ")
    assert said in lines[0]


def test_the_data_folder_is_required(tmp_path: Path) -> None:
    done = subprocess.run(COMMAND, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "registry-sim: Missing option '--data'."
