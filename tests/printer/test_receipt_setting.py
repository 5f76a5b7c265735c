"""The canteen.receipt_printers setting: each till's printer, and clear refusals of bad lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from emp_edge.app import receipt_desk
from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.errors import ConfigError
from emp_edge.printer.receipt_setting import (
    PrinterSpec,
    parse_receipt_printer,
    parse_receipt_printers,
)
from emp_edge.services import Services
from emp_edge.store import Store


@pytest.mark.parametrize(
    ("entry", "spec"),
    [
        (
            "valgykla-1 network:192.168.1.50",
            PrinterSpec("valgykla-1", "network", target="192.168.1.50", port=9100),
        ),
        (
            "valgykla-1 network:kasa.local:9101 TM-T20II",
            PrinterSpec("valgykla-1", "network", "kasa.local", 9101, profile="TM-T20II"),
        ),
        (
            "valgykla-1 network:[fd00::5]:9100",
            PrinterSpec("valgykla-1", "network", target="fd00::5", port=9100),
        ),
        (
            "valgykla-2 usb:04b8:0E15 TM-T88V",
            PrinterSpec(
                "valgykla-2", "usb", vendor_id=0x04B8, product_id=0x0E15, profile="TM-T88V"
            ),
        ),
        (
            "valgykla-3 serial:/dev/ttyUSB0:19200",
            PrinterSpec("valgykla-3", "serial", target="/dev/ttyUSB0", port=19200),
        ),
        (
            "valgykla-3 serial:/dev/ttyS0",
            PrinterSpec("valgykla-3", "serial", target="/dev/ttyS0", port=9600),
        ),
        ("kasa spool:kvitai", PrinterSpec("kasa", "spool", target="kvitai")),
    ],
)
def test_each_kind_of_printer_is_read(entry: str, spec: PrinterSpec) -> None:
    assert parse_receipt_printer(entry) == spec


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("valgykla-1", "a receipt printer is 'TILL KIND:ARGUMENT [PROFILE]', not 'valgykla-1'"),
        ("Valgykla network:x", "a till name is lower-case letters, digits, - and _"),
        ("valgykla-1 bluetooth:x", "printer kind 'bluetooth' is not one of network, usb, serial"),
        ("valgykla-1 network:", "the network printer needs an argument after ':'"),
        ("valgykla-1 network:x:90000", "port 90000 is not between 1 and 65535"),
        ("valgykla-1 network:x:http", "the port must be a whole number, not 'http'"),
        ("valgykla-1 usb:04b8", "a USB printer is usb:VENDOR:PRODUCT in hex"),
        ("valgykla-1 usb:epson:0e15", "a USB printer is usb:VENDOR:PRODUCT in hex"),
        ("valgykla-1 serial:/dev/ttyS0:1234", "baud rate 1234 is not one of 1200, 2400"),
        ("valgykla-1 network:x TM-T20", "'TM-T20' is not a python-escpos printer profile (did"),
        ("valgykla-1 network:x Epson", "'Epson' is not a python-escpos printer profile"),
    ],
)
def test_a_bad_line_is_refused_with_what_is_wrong(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^canteen\.receipt_printers: ") as caught:
        parse_receipt_printer(entry)
    assert message in caught.value.reason


def test_one_printer_per_till_and_only_for_canteen_tills() -> None:
    with pytest.raises(ConfigError, match="till valgykla-1 has two receipt printers"):
        parse_receipt_printers(["valgykla-1 spool:a", "valgykla-1 spool:b"])
    with pytest.raises(ConfigError, match="burelis-1 is not a canteen terminal"):
        parse_receipt_printers(["burelis-1 spool:a"], tills={"valgykla-1"})


def _services(tmp_path: Path, store: Store, clock: FixedClock, **env: str) -> Services:
    environment = {"EMP_EDGE_DATA_DIR": str(tmp_path / "data"), **env}
    return Services(load_settings(None, env=environment), store, clock)


def test_the_box_starts_a_desk_only_for_configured_printers(
    tmp_path: Path, store: Store, clock: FixedClock
) -> None:
    assert receipt_desk(_services(tmp_path, store, clock)) is None
    desk = receipt_desk(
        _services(tmp_path, store, clock, EMP_EDGE_CANTEEN_RECEIPT_PRINTERS="valgykla-1 spool:k")
    )
    assert desk is not None
    assert list(desk.tills) == ["valgykla-1"]
    with pytest.raises(ConfigError, match="burelis-1 is not a canteen terminal"):
        receipt_desk(
            _services(tmp_path, store, clock, EMP_EDGE_CANTEEN_RECEIPT_PRINTERS="burelis-1 spool:k")
        )
