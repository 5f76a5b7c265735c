"""Settings: defaults → TOML → environment; a bad file names the file, the key, the reason."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from emp_edge.config import SETTINGS, example_toml, load_settings
from emp_edge.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "emp-edge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, env={})
    assert settings.data_dir == Path("/var/lib/emp-edge")
    assert settings["web.port"] == 8080
    assert settings["roles"] == ["web"]
    assert all(source == "default" for source in settings.sources.values())


def test_file_then_environment_wins(tmp_path: Path) -> None:
    path = write(tmp_path, 'data_dir = "/srv/a"\n[web]\nport = 9000\nhost = "0.0.0.0"\n')
    settings = load_settings(path, env={"EMP_EDGE_WEB_PORT": "9100", "EMP_EDGE_DATA_DIR": "/srv/b"})
    assert settings["web.port"] == 9100
    assert settings["web.host"] == "0.0.0.0"
    assert settings.data_dir == Path("/srv/b")
    assert settings.db_path == Path("/srv/b/emp-edge.db")
    assert settings.sources["web.host"] == str(path)
    assert settings.sources["web.port"] == "environment"


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[school]\nname = "Šaltinio progimnazija"\n')
    settings = load_settings(None, env={"EMP_EDGE_CONFIG": str(path)})
    assert settings["school.name"] == "Šaltinio progimnazija"


def test_list_from_environment() -> None:
    assert load_settings(None, env={"EMP_EDGE_ROLES": "web, web"})["roles"] == ["web", "web"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[web]\nport = 'eighty'\n", "'web.port' must be a whole number"),
        ("[web]\nport = 70000\n", "'web.port' must be at most 65535"),
        ("[web]\nport = true\n", "'web.port' must be a whole number"),
        ("[web]\nprot = 80\n", "unknown setting 'web.prot' (did you mean 'web.port'?)"),
        ("[wbe]\nport = 80\n", "unknown section [wbe] (did you mean 'web'?)"),
        ("data_dri = '/x'\n", "unknown setting 'data_dri' (did you mean 'data_dir'?)"),
        ("roles = ['web', 'till']\n", "'roles': 'till' is not one of web"),
        ("roles = 'web'\n", "'roles' must be a list of text"),
        ("log_level = 'LOUD'\n", "'log_level': 'LOUD' is not one of"),
        ("timezone = 'Mars/Olympus'\n", "unknown time zone 'Mars/Olympus'"),
        ("data_dir = ''\n", "'data_dir' must not be empty"),
        ("[web\nport = 1\n", "not valid TOML"),
    ],
)
def test_bad_file_says_file_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_settings(folder, env={})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("EMP_EDGE_WEB_PORT", "x", "environment EMP_EDGE_WEB_PORT: must be a whole number"),
        ("EMP_EDGE_WEB_PORTT", "1", "EMP_EDGE_WEB_PORTT: unknown setting in the environment"),
        ("EMP_EDGE_ROLES", "web,printer", "'roles': 'printer' is not one of web"),
    ],
)
def test_bad_environment(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={name: value})
    assert expected in str(caught.value)


def test_settings_table_is_complete() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert "data_dir" in names
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert setting.env_name == "EMP_EDGE_" + setting.name.replace(".", "_").upper()


def test_shipped_example_is_the_table() -> None:
    shipped = (ROOT / "config" / "emp-edge.example.toml").read_text(encoding="utf-8")
    assert shipped == example_toml(), (
        "run: python -m emp_edge.config > config/emp-edge.example.toml"
    )


def test_example_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    lines = []
    for line in example_toml().splitlines():
        if line.startswith("#") and " = " in line and not line.startswith("# "):
            line = line[1:]
        lines.append(line)
    path = write(tmp_path, "\n".join(lines))
    assert len(tomllib.loads(path.read_text(encoding="utf-8"))) > 0
    settings = load_settings(path, env={})
    assert dict(settings.values) == {s.name: s.default for s in SETTINGS}
    assert set(settings.sources.values()) == {str(path)}
