"""The layout the project promises: folders, their READMEs, the shipped files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "config",
    "domain",
    "store",
    "terminal",
    "printer",
    "sync",
    "registry_sim",
    "web",
    "roster",
    "card_station",
)


@pytest.mark.parametrize("name", PACKAGES)
def test_each_sub_package_says_what_belongs_there(name: str) -> None:
    readme = ROOT / "src" / "emp_edge" / name / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert lines[0] == f"# {name}"
    assert lines[1].startswith("Belongs here:")
    assert lines[2].startswith("Must not:")
    assert (readme.parent / "__init__.py").exists()


def test_top_level_files() -> None:
    for path in (
        "config/emp-edge.example.toml",
        "systemd/emp-edge.service",
        "systemd/99-emp-edge.rules",
        "docs/operations.md",
        "docs/decisions.md",
        "bench/run.py",
        "README.md",
        "CHANGELOG.md",
        ".ci/run",
        "pyproject.toml",
    ):
        assert (ROOT / path).is_file(), path


def test_service_unit_is_hardened() -> None:
    unit = (ROOT / "systemd" / "emp-edge.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit, flags=re.MULTILINE))
    assert settings["Restart"] == "on-failure"
    assert settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict"
    assert settings["ReadWritePaths"] == "/var/lib/emp-edge"
    assert settings["PrivateTmp"] == "yes"
    assert settings["User"] == "emp-edge"
    assert settings["ExecStart"].endswith("emp-edge --config /etc/emp-edge/emp-edge.toml run")


def test_udev_rule_gives_the_service_user_the_devices() -> None:
    rules = (ROOT / "systemd" / "99-emp-edge.rules").read_text(encoding="utf-8")
    devices = [line for line in rules.splitlines() if "idVendor" in line and line[0] != "#"]
    assert len(devices) >= 5
    for line in devices:
        assert 'GROUP="emp-edge"' in line, line
        assert 'MODE="0660"' in line, line


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/test" in readme
    assert "./scripts/demo" in readme
    assert "exec ./scripts/test" in ci


@pytest.mark.xdist_group("pcscd")  # the PC/SC figure starts pcscd: one at a time per machine
def test_benchmark_prints_the_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--json", "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)
    for name in (
        "store_commit_p50_ms",
        "store_commit_p99_ms",
        "bare_sqlite_commit_p50_ms",
        "store_vs_bare_ratio",
        "tap_pipeline_p50_ms",
        "tap_pipeline_p99_ms",
        "tap_vs_bare_ratio",
        "pcsc_read_ms",
        "tap_to_screen_p95_ms",
        "canteen_tap_p99_ms",
        "attendance_tap_p50_ms",
        "attendance_tap_p99_ms",
        "attendance_vs_bare_ratio",
    ):
        assert isinstance(figures[name], float)
        assert figures[name] > 0
    assert figures["store_commit_p99_ms"] >= figures["store_commit_p50_ms"]
    assert figures["attendance_tap_p99_ms"] >= figures["attendance_tap_p50_ms"]
