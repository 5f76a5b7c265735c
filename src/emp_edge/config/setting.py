"""One setting: its name, default, help text and the checks its value must pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type = str
    #: allowed values (for strings and for the items of lists), or None for any
    choices: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: a regular expression text settings must match in full, and how to say so
    pattern: str | None = None
    pattern_help: str = ""

    @property
    def section(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def key(self) -> str:
        return self.name.rpartition(".")[2]

    @property
    def env_name(self) -> str:
        return "EMP_EDGE_" + self.name.replace(".", "_").upper()
