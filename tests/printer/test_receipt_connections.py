"""Serial and USB receipt printers at the boundary: a pseudo-terminal stands in for the serial
line; every failure leaves as a PrinterError."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from escpos.printer import Dummy

from emp_edge.errors import PrinterError
from emp_edge.printer.receipt import Pair, Receipt, Text, Title, render
from emp_edge.printer.receipt_printers import PaperState, ReceiptPrinter
from emp_edge.printer.receipt_setting import parse_receipt_printer

RECEIPT = Receipt(
    (Title("Šaltinio progimnazija"), Text("Mokinys: Ž. Ą."), Pair("Pietūs", "2,50 €"))
)


def printer(entry: str, tmp_path: Path) -> ReceiptPrinter:
    return ReceiptPrinter(parse_receipt_printer(entry), data_dir=tmp_path, timeout=0.5)


@pytest.fixture
def serial_line() -> Iterator[tuple[str, bytearray]]:
    """A pseudo-terminal: the printer side's device path, and what arrives at the other end."""
    ours, theirs = os.openpty()
    received = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(ours, 4096)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield os.ttyname(theirs), received
    os.close(theirs)
    os.close(ours)
    reader.join(2)


def test_a_serial_printer_gets_the_same_bytes_as_the_dummy(
    serial_line: tuple[str, bytearray], tmp_path: Path
) -> None:
    device, received = serial_line
    assert printer(f"valgykla-1 serial:{device}:19200", tmp_path).print(RECEIPT) is (
        PaperState.UNKNOWN
    )
    dummy = Dummy()
    render(RECEIPT, dummy)
    for _ in range(50):
        if len(received) >= len(dummy.output):
            break
        threading.Event().wait(0.02)
    assert bytes(received) == dummy.output
    assert b"\xd0altinio" in received  # Š in CP1257


def test_a_missing_serial_device_is_a_printer_error(tmp_path: Path) -> None:
    with pytest.raises(PrinterError, match="receipt printer serial /dev/ttyNOPE9 failed"):
        printer("valgykla-1 serial:/dev/ttyNOPE9", tmp_path).print(RECEIPT)


def test_a_usb_printer_that_cannot_be_opened_is_a_printer_error(tmp_path: Path) -> None:
    # without pyusb: says to install it; with pyusb: no such device on this machine
    with pytest.raises(PrinterError, match="receipt printer usb 04b8:0e15"):
        printer("valgykla-1 usb:04b8:0e15", tmp_path).check()


def test_a_spool_folder_that_cannot_be_made_is_a_printer_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(PrinterError, match="cannot make the receipt folder"):
        printer("valgykla-1 spool:taken/kvitai", tmp_path).print(RECEIPT)
