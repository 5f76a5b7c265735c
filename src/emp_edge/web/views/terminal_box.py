"""Who may use the pages of a terminal box (its kiosk or till screen, the scripted taps), in
which language they speak, and which terminal a page is for.

These pages run in the terminal box's own browser with nobody signed in, so they answer only the
addresses in ``kiosk.allow_from``; they speak ``kiosk.language`` whatever the browser asks.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import abort, request

from emp_edge.config.terminals import TerminalSpec, parse_terminals
from emp_edge.web.access import services

log = logging.getLogger(__name__)


def from_terminal_box() -> bool:
    """True when the request comes from an address in ``kiosk.allow_from`` (an address or a
    network such as ``10.0.5.0/24``); an entry that is neither matches nothing."""
    try:
        address = ipaddress.ip_address((request.remote_addr or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in services().settings["kiosk.allow_from"]:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            log.warning("kiosk.allow_from entry is not an address entry=%r", entry)
            continue
        if address in network:
            return True
    return False


def refuse_unless_from_terminal_box() -> None:
    if not from_terminal_box():
        log.warning(
            "kiosk request refused endpoint=%s source=%s", request.endpoint, request.remote_addr
        )
        abort(403)


def kiosk_language() -> str:
    language: str = services().settings["kiosk.language"]
    return language


def terminal_or_404(name: str) -> TerminalSpec:
    for spec in parse_terminals(services().settings["terminal.readers"]):
        if spec.name == name:
            return spec
    abort(404)
