"""The terminals of a box, as the ``terminal.readers`` setting lists them.

Each entry is ``"NAME ROLE ADAPTER[:ARGUMENT]"``, e.g.::

    readers = ["valgykla-1 canteen pcsc:ACR122U", "burelis-1 club nfcpy:usb",
               "kasa-2 canteen simulated"]

NAME names the terminal (its kiosk page is /kiosk/NAME); ROLE is what a tap there does; ADAPTER
is the reader: ``pcsc`` (ARGUMENT: a pattern the PC/SC reader name must contain, or a glob),
``nfcpy`` (ARGUMENT: an nfcpy device path such as ``usb`` or ``usb:072f:2200``) or ``simulated``
(taps come from the tap simulator page). Several pcsc readers on one box are several terminals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from emp_edge.errors import ConfigError

ROLES: Final = ("canteen", "club", "check")
ADAPTERS: Final = ("pcsc", "nfcpy", "simulated")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class TerminalSpec:
    name: str
    role: str
    adapter: str
    argument: str = ""


def parse_terminal(entry: str, *, where: str = "terminal.readers") -> TerminalSpec:
    parts = entry.split(maxsplit=2)
    if len(parts) != 3:
        raise ConfigError(
            "a terminal is 'NAME ROLE ADAPTER[:ARGUMENT]', not {entry!r}", where=where, entry=entry
        )
    name, role, reader = parts
    if not _NAME.match(name):
        raise ConfigError(
            "a terminal name is lower-case letters, digits, - and _ (up to 40), not {name!r}",
            where=where,
            name=name,
        )
    if role not in ROLES:
        raise ConfigError(
            "terminal {name}: role {role!r} is not one of {roles}",
            where=where,
            name=name,
            role=role,
            roles=", ".join(ROLES),
        )
    adapter, _, argument = reader.partition(":")
    if adapter not in ADAPTERS:
        raise ConfigError(
            "terminal {name}: reader {adapter!r} is not one of {adapters}",
            where=where,
            name=name,
            adapter=adapter,
            adapters=", ".join(ADAPTERS),
        )
    if adapter != "simulated" and not argument.strip():
        raise ConfigError(
            "terminal {name}: the {adapter} reader needs an argument after ':'",
            where=where,
            name=name,
            adapter=adapter,
        )
    return TerminalSpec(name, role, adapter, argument.strip())


def parse_terminals(entries: list[str]) -> tuple[TerminalSpec, ...]:
    specs = tuple(parse_terminal(entry) for entry in entries)
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(
                "terminal {name} is listed twice", where="terminal.readers", name=name
            )
    return specs
