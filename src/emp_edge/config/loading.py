"""Loading settings: defaults → TOML file → ``EMP_EDGE_*`` environment, checked against the table.

A bad file stops the start with the file, the key and the reason (a ConfigError).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emp_edge.config.setting import Setting
from emp_edge.config.table import SETTINGS
from emp_edge.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/emp-edge/emp-edge.toml")
DB_FILE_NAME = "emp-edge.db"
_BY_NAME = {s.name: s for s in SETTINGS}
_BY_ENV = {s.env_name: s for s in SETTINGS}
#: environment variables that are ours but are not settings
_NOT_SETTINGS = frozenset({"EMP_EDGE_CONFIG"})


@dataclass(frozen=True)
class Settings:
    """The settings in force, and where each one came from (default, the file, or env)."""

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def data_dir(self) -> Path:
        return Path(self.values["data_dir"])

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE_NAME

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.values["timezone"])

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (names with dots given as ``web__port``)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for key, value in changes.items():
            name = key.replace("__", ".")
            values[name] = _check(_BY_NAME[name], value, "override")
            sources[name] = "override"
        return Settings(values, sources)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check(setting: Setting, value: Any, where: str) -> Any:
    """Check one value against its setting; returns it in the setting's type."""
    kind = setting.kind
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(
            "'{name}' must be a whole number, not {value!r}",
            where=where,
            name=setting.name,
            value=value,
        )
    if kind is str and not isinstance(value, str):
        raise ConfigError(
            "'{name}' must be text, not {value!r}", where=where, name=setting.name, value=value
        )
    if kind is list and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise ConfigError(
            "'{name}' must be a list of text, not {value!r}",
            where=where,
            name=setting.name,
            value=value,
        )
    if setting.choices is not None:
        for item in value if kind is list else [value]:
            if item not in setting.choices:
                raise ConfigError(
                    "'{name}': {item!r} is not one of {choices}",
                    where=where,
                    name=setting.name,
                    item=item,
                    choices=", ".join(setting.choices),
                )
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(
            "'{name}' must be at least {minimum}, not {value}",
            where=where,
            name=setting.name,
            minimum=setting.minimum,
            value=value,
        )
    if setting.maximum is not None and value > setting.maximum:
        raise ConfigError(
            "'{name}' must be at most {maximum}, not {value}",
            where=where,
            name=setting.name,
            maximum=setting.maximum,
            value=value,
        )
    if setting.pattern is not None and not re.fullmatch(setting.pattern, value):
        raise ConfigError(
            "'{name}' must be {form}, not {value!r}",
            where=where,
            name=setting.name,
            form=setting.pattern_help or setting.pattern,
            value=value,
        )
    if setting.name == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ConfigError(
                "'timezone': unknown time zone {value!r}", where=where, value=value
            ) from err
    if setting.name == "data_dir" and not value:
        raise ConfigError("'data_dir' must not be empty", where=where)
    return list(value) if kind is list else value


def _flatten(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    sections = {s.section for s in SETTINGS if s.section}
    for key, value in table.items():
        if isinstance(value, dict):
            if key not in sections:
                raise ConfigError(
                    "unknown section [{key}]{hint}",
                    where=where,
                    key=key,
                    hint=_suggest(key, sorted(sections)),
                )
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def _read_file(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("not valid TOML: {reason}", where=where, reason=str(err)) from err
    except OSError as err:
        raise ConfigError(
            "cannot read the file: {reason}", where=where, reason=err.strerror or str(err)
        ) from err
    values: dict[str, Any] = {}
    for name, value in _flatten(table, where).items():
        setting = _BY_NAME.get(name)
        if setting is None:
            raise ConfigError(
                "unknown setting '{name}'{hint}",
                where=where,
                name=name,
                hint=_suggest(name, sorted(_BY_NAME)),
            )
        values[name] = _check(setting, value, where)
    return values


def _from_env(setting: Setting, text: str) -> Any:
    where = f"environment {setting.env_name}"
    if setting.kind is int:
        try:
            value: Any = int(text.strip())
        except ValueError as err:
            raise ConfigError(
                "must be a whole number, not {text!r}", where=where, text=text
            ) from err
    elif setting.kind is list:
        value = [part.strip() for part in text.split(",") if part.strip()]
    else:
        value = text
    return _check(setting, value, where)


def load_settings(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Load the settings. An explicit path must exist; the default path may be absent."""
    env = os.environ if env is None else env
    values = {s.name: s.default for s in SETTINGS}
    sources = dict.fromkeys(values, "default")
    path = config_path
    if path is None and env.get("EMP_EDGE_CONFIG"):
        path = Path(env["EMP_EDGE_CONFIG"])
    if path is None:
        path = DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None
    elif not path.exists():
        raise ConfigError("the config file does not exist", where=str(path))
    if path is not None:
        for name, value in _read_file(path).items():
            values[name] = value
            sources[name] = str(path)
    for name, text in env.items():
        if not name.startswith("EMP_EDGE_") or name in _NOT_SETTINGS:
            continue
        setting = _BY_ENV.get(name)
        if setting is None:
            raise ConfigError(
                "unknown setting in the environment{hint}",
                where=name,
                hint=_suggest(name, sorted(_BY_ENV)),
            )
        values[setting.name] = _from_env(setting, text)
        sources[setting.name] = "environment"
    return Settings(values, sources)
