"""The card printers the station can use, behind one port (``card_print_port``): a CUPS
queue (``CupsCardPrinter``, see ``cups_card_printer``) or a spool folder (``SpoolCardPrinter``).

The spool folder is for a printer program that watches a folder (a card printer's own
software, another machine's share): each card is written as ``<title>.pdf`` atomically (a
hidden temporary file renamed into place), mode 0600, in a folder made 0700 when missing. What
that program does with the file is its business, so ``wait`` says PRINTED at once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from emp_edge.errors import PrinterError
from emp_edge.printer.card_print_port import CardPrinter, PrintOutcome, PrintResult
from emp_edge.printer.cups_card_printer import CupsCardPrinter

__all__ = ["CardPrinter", "CupsCardPrinter", "PrintOutcome", "PrintResult", "SpoolCardPrinter"]


class SpoolCardPrinter:
    """A folder a printer program watches: each card is one PDF file in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = str(folder)

    def check_ready(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise self._not_usable(err) from err
        if not self.folder.is_dir() or not os.access(self.folder, os.W_OK | os.X_OK):
            raise PrinterError("the spool folder {folder} is not writable", folder=self.name)

    def _not_usable(self, err: OSError) -> PrinterError:
        return PrinterError(
            "the spool folder {folder} cannot be used: {reason}",
            folder=self.name,
            reason=err.strerror or str(err),
        )

    def submit(self, title: str, pdf: bytes) -> str:
        if not title or title.startswith(".") or any(c in title for c in "/\\\0"):
            raise PrinterError("{title!r} cannot name a file in the spool folder", title=title)
        self.check_ready()
        try:
            handle, part = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as file:  # mkstemp made it 0600
                    file.write(pdf)
                    file.flush()
                    os.fsync(file.fileno())
                target = self._free_name(title)
                os.replace(part, target)
            except BaseException:
                Path(part).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise self._not_usable(err) from err
        return target.name

    def _free_name(self, title: str) -> Path:
        """``<title>.pdf``, or ``<title>-2.pdf`` … while the printer has not taken an earlier
        file of the same title (a reprint must not replace a card still waiting)."""
        target, number = self.folder / f"{title}.pdf", 1
        while target.exists():
            number += 1
            target = self.folder / f"{title}-{number}.pdf"
        return target

    def wait(self, job: str, timeout_s: float) -> PrintOutcome:
        return PrintOutcome(PrintResult.PRINTED)
