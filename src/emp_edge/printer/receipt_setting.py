"""The ``canteen.receipt_printers`` setting: which printer each till prints its receipts on.

Each entry is ``"TILL KIND:ARGUMENT [PROFILE]"``::

    receipt_printers = ["valgykla-1 network:192.168.1.50", "valgykla-2 usb:04b8:0e15 TM-T20II",
                        "valgykla-3 serial:/dev/ttyUSB0:19200", "kasa spool:kvitai"]

KIND is ``network:HOST[:PORT]`` (port 9100 when not given), ``usb:VENDOR:PRODUCT`` (hex ids),
``serial:DEVICE[:BAUD]`` (9600 when not given) or ``spool:FOLDER`` (receipts written as files,
relative to data_dir when relative). PROFILE names a python-escpos printer profile, which says
the printer's code pages and paper width; ``default`` when not given.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from escpos.capabilities import CAPABILITIES

from emp_edge.errors import ConfigError

KINDS: Final = ("network", "usb", "serial", "spool")
DEFAULT_PORT: Final = 9100
DEFAULT_BAUD: Final = 9600
DEFAULT_PROFILE: Final = "default"
BAUD_RATES: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
WHERE: Final = "canteen.receipt_printers"
_TILL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_HEX_ID = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")


@dataclass(frozen=True)
class PrinterSpec:
    """One till's receipt printer as configured."""

    till: str
    kind: str
    #: network: host; serial: device file; spool: folder (relative to data_dir when relative)
    target: str = ""
    #: network: TCP port; serial: baud rate
    port: int = 0
    vendor_id: int = 0
    product_id: int = 0
    profile: str = DEFAULT_PROFILE

    @property
    def label(self) -> str:
        """Where the printer is, in words for logs and the dashboard."""
        if self.kind == "usb":
            return f"usb {self.vendor_id:04x}:{self.product_id:04x}"
        if self.kind == "network":
            host = f"[{self.target}]" if ":" in self.target else self.target
            return f"network {host}:{self.port}"
        return f"{self.kind} {self.target}"


def parse_receipt_printer(entry: str) -> PrinterSpec:
    parts = entry.split()
    if len(parts) not in (2, 3):
        raise ConfigError(
            "a receipt printer is 'TILL KIND:ARGUMENT [PROFILE]', not {entry!r}",
            where=WHERE,
            entry=entry,
        )
    till, connection = parts[0], parts[1]
    profile = parts[2] if len(parts) == 3 else DEFAULT_PROFILE
    if not _TILL.match(till):
        raise ConfigError(
            "a till name is lower-case letters, digits, - and _ (up to 40), not {till!r}",
            where=WHERE,
            till=till,
        )
    kind, _, argument = connection.partition(":")
    if kind not in KINDS:
        raise ConfigError(
            "till {till}: printer kind {kind!r} is not one of {kinds}",
            where=WHERE,
            till=till,
            kind=kind,
            kinds=", ".join(KINDS),
        )
    if not argument:
        raise ConfigError(
            "till {till}: the {kind} printer needs an argument after ':'",
            where=WHERE,
            till=till,
            kind=kind,
        )
    _check_profile(till, profile)
    if kind == "network":
        host, port = _host_port(till, argument)
        return PrinterSpec(till, kind, target=host, port=port, profile=profile)
    if kind == "usb":
        vendor, product = _usb_ids(till, argument)
        return PrinterSpec(till, kind, vendor_id=vendor, product_id=product, profile=profile)
    if kind == "serial":
        device, baud = _device_baud(till, argument)
        return PrinterSpec(till, kind, target=device, port=baud, profile=profile)
    return PrinterSpec(till, kind, target=argument, profile=profile)


def parse_receipt_printers(
    entries: list[str], *, tills: Collection[str] | None = None
) -> tuple[PrinterSpec, ...]:
    """The printers of the setting; with ``tills``, each must belong to one of those tills."""
    specs = tuple(parse_receipt_printer(entry) for entry in entries)
    seen: set[str] = set()
    for spec in specs:
        if spec.till in seen:
            raise ConfigError("till {till} has two receipt printers", where=WHERE, till=spec.till)
        seen.add(spec.till)
        if tills is not None and spec.till not in tills:
            raise ConfigError(
                "till {till} is not a canteen terminal in terminal.readers",
                where=WHERE,
                till=spec.till,
            )
    return specs


def _check_profile(till: str, profile: str) -> None:
    known = sorted(CAPABILITIES["profiles"])
    if profile not in known:
        close = difflib.get_close_matches(profile, known, n=3)
        raise ConfigError(
            "till {till}: {profile!r} is not a python-escpos printer profile{hint}",
            where=WHERE,
            till=till,
            profile=profile,
            hint=f" (did you mean {', '.join(close)}?)" if close else "",
        )


def _number(till: str, text: str, what: str) -> int:
    if not text.isdigit():
        raise ConfigError(
            "till {till}: the {what} must be a whole number, not {text!r}",
            where=WHERE,
            till=till,
            what=what,
            text=text,
        )
    return int(text)


def _host_port(till: str, argument: str) -> tuple[str, int]:
    if argument.startswith("["):  # [IPv6]:port
        host, _, rest = argument[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif argument.count(":") == 1:
        host, _, port_text = argument.partition(":")
    else:
        host, port_text = argument, ""
    if not host:
        raise ConfigError(
            "till {till}: the network printer needs a host name or address", where=WHERE, till=till
        )
    port = _number(till, port_text, "port") if port_text else DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise ConfigError(
            "till {till}: port {port} is not between 1 and 65535", where=WHERE, till=till, port=port
        )
    return host, port


def _usb_ids(till: str, argument: str) -> tuple[int, int]:
    vendor, _, product = argument.partition(":")
    if not (_HEX_ID.match(vendor) and _HEX_ID.match(product)):
        raise ConfigError(
            "till {till}: a USB printer is usb:VENDOR:PRODUCT in hex (e.g. usb:04b8:0e15),"
            " not {argument!r}",
            where=WHERE,
            till=till,
            argument=f"usb:{argument}",
        )
    ids = int(vendor, 16), int(product, 16)
    if 0 in ids:
        raise ConfigError(
            "till {till}: USB vendor and product ids cannot be 0", where=WHERE, till=till
        )
    return ids


def _device_baud(till: str, argument: str) -> tuple[str, int]:
    device, colon, tail = argument.rpartition(":")
    if not colon or not tail.isdigit():
        device, tail = argument, ""
    baud = _number(till, tail, "baud rate") if tail else DEFAULT_BAUD
    if baud not in BAUD_RATES:
        raise ConfigError(
            "till {till}: baud rate {baud} is not one of {rates}",
            where=WHERE,
            till=till,
            baud=baud,
            rates=", ".join(map(str, BAUD_RATES)),
        )
    return device, baud
