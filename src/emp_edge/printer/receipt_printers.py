"""Opening a till's receipt printer and printing on it: network, USB, serial or a spool folder.

Printing goes through python-escpos; every error of the library, the socket, pyusb or pyserial
leaves this module as a ``PrinterError``. Timeouts are short, so a printer that is off fails
fast. A network printer is asked its paper state (ESC/POS ``DLE EOT 4``) before and after each
receipt: no answer, or "paper end", means the receipt was not printed. USB and serial printers
cannot be asked (their read-back differs from model to model): what was sent counts as printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, Network, Serial, Usb

from emp_edge.errors import PrinterError
from emp_edge.printer.receipt import Receipt, plain_text, render
from emp_edge.printer.receipt_setting import PrinterSpec

#: ESC/POS real-time status: transmit the paper sensor status
PAPER_STATUS_QUERY: Final = b"\x10\x04\x04"
_FIXED_BITS, _FIXED_MASK = 0x12, 0x93  # bits 1 and 4 set, bits 0 and 7 clear
_PAPER_END, _PAPER_NEAR_END = 0x60, 0x0C


class OutOfPaperError(PrinterError):
    """The printer says its paper roll is at its end."""


class PaperState(StrEnum):
    OK = "ok"
    LOW = "low"
    UNKNOWN = "unknown"  # the connection cannot read back (USB, serial, spool)


@contextmanager
def _translated(spec: PrinterSpec) -> Iterator[None]:
    """Library errors become PrinterError here, at the boundary."""
    try:
        yield
    except TimeoutError as err:
        raise PrinterError(
            "receipt printer {printer} did not answer in time", printer=spec.label
        ) from err
    except (OSError, EscposError) as err:
        raise PrinterError(
            "receipt printer {printer} failed: {reason}",
            printer=spec.label,
            reason=_reason(err),
        ) from err


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = " ".join(str(err).split())
    return text or type(err).__name__


class ReceiptPrinter:
    """One till's printer; ``print`` delivers a receipt or raises PrinterError."""

    def __init__(self, spec: PrinterSpec, *, data_dir: Path, timeout: float) -> None:
        self.spec = spec
        self.timeout = timeout
        folder = Path(spec.target)
        self.folder = folder if folder.is_absolute() else data_dir / folder

    def print(self, receipt: Receipt) -> PaperState:
        """Print the receipt; returns the paper state seen after it."""
        if self.spec.kind == "spool":
            self._spool(receipt)
            return PaperState.OK
        with self._connected() as printer:
            if self.spec.kind != "network":
                render(receipt, printer)
                return PaperState.UNKNOWN
            self._paper(printer)
            render(receipt, printer)
            return self._paper(printer, after=True)

    def check(self) -> PaperState:
        """Reach the printer without printing (network: ask its paper state)."""
        if self.spec.kind == "spool":
            self._spool_folder()
            return PaperState.OK
        with self._connected() as printer:
            if self.spec.kind == "network":
                return self._paper(printer)
            return PaperState.UNKNOWN

    # ------------------------------------------------------------------ connections
    @contextmanager
    def _connected(self) -> Iterator[Any]:
        printer = self._open()
        try:
            with _translated(self.spec):
                yield printer
        finally:
            with _translated(self.spec):
                printer.close()

    def _open(self) -> Any:
        spec = self.spec
        with _translated(spec):
            if spec.kind == "network":
                printer: Any = Network(
                    spec.target, port=spec.port, timeout=self.timeout, profile=spec.profile
                )
                printer.open()
                return printer
            if spec.kind == "usb":
                return self._open_usb()
            printer = Serial(
                devfile=spec.target, baudrate=spec.port, timeout=self.timeout, profile=spec.profile
            )
            printer.open()
            # pyserial waits forever on a write by default: a switched-off printer holds the line
            printer.device.write_timeout = self.timeout
            return printer

    def _open_usb(self) -> Any:
        from escpos.printer.usb import is_usable

        if not is_usable():
            raise PrinterError(
                "receipt printer {printer}: USB printing needs pyusb (pip install pyusb)",
                printer=self.spec.label,
            )
        printer = Usb(
            self.spec.vendor_id,
            self.spec.product_id,
            timeout=int(self.timeout * 1000),  # pyusb counts milliseconds
            profile=self.spec.profile,
        )
        try:
            printer.open()
        except ValueError as err:  # pyusb's NoBackendError: libusb is missing
            raise PrinterError(
                "receipt printer {printer}: no USB backend ({reason})",
                printer=self.spec.label,
                reason=_reason(err),
            ) from err
        return printer

    def _paper(self, printer: Any, *, after: bool = False) -> PaperState:
        """Ask the paper sensor (network printers); no paper raises OutOfPaperError."""
        printer._raw(PAPER_STATUS_QUERY)
        answer = printer._read()
        if not answer:
            raise PrinterError(
                "receipt printer {printer} closed the connection", printer=self.spec.label
            )
        status = answer[-1]
        if status & _FIXED_MASK != _FIXED_BITS:
            raise PrinterError(
                "receipt printer {printer} gave a status that is not ESC/POS: {status:#04x}",
                printer=self.spec.label,
                status=status,
            )
        if status & _PAPER_END:
            raise OutOfPaperError(
                "receipt printer {printer} ran out of paper while printing"
                if after
                else "receipt printer {printer} is out of paper",
                printer=self.spec.label,
            )
        return PaperState.LOW if status & _PAPER_NEAR_END else PaperState.OK

    # ------------------------------------------------------------------ the spool folder
    def _spool_folder(self) -> Path:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise PrinterError(
                "cannot make the receipt folder {folder}: {reason}",
                folder=str(self.folder),
                reason=_reason(err),
            ) from err
        if not os.access(self.folder, os.W_OK):
            raise PrinterError(
                "cannot write to the receipt folder {folder}", folder=str(self.folder)
            )
        return self.folder

    def _spool(self, receipt: Receipt) -> None:
        """Write the receipt's ESC/POS bytes (.escpos) and a readable copy (.txt)."""
        folder = self._spool_folder()
        printer = Dummy(profile=self.spec.profile)
        render(receipt, printer)
        stem = f"{self.spec.till}-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        columns = int(printer.profile.get_columns("a"))
        for suffix, write in (
            (".escpos", lambda out: out.write(printer.output)),
            (".txt", lambda out: out.write(plain_text(receipt, columns).encode("utf-8"))),
        ):
            _write_atomically(folder / (stem + suffix), write)


def _write_atomically(path: Path, write: Callable[[Any], object]) -> None:
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as out:
            write(out)
        partial.replace(path)
    except OSError as err:
        raise PrinterError(
            "cannot write the receipt file {file}: {reason}", file=str(path), reason=_reason(err)
        ) from err
