"""The card printer port: what the station asks a printer, and what became of a card's blank.

The station asks a printer three things for each card: is it ready (``check_ready``), print
this PDF (``submit``, a job reference back) and what became of the job (``wait``). The outcome
says what happened to the blank, which the station records (``store.card_printing``):

- ``PRINTED``: the printer reports the job done;
- ``SPOILED``: the job may have reached a blank and did not end well; the blank is counted
  spoiled (a stuck or half-printed blank is never lost from the count) and the card is printed
  again on a new one, free (§39);
- ``NOT_PRINTED``: the job surely never reached a blank; the blank goes back to the stock.

The adapters are in ``card_printers`` (with this port, for importing from one place).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class PrintResult(StrEnum):
    PRINTED = "printed"
    SPOILED = "spoiled"
    NOT_PRINTED = "not_printed"


@dataclass(frozen=True)
class PrintOutcome:
    """What became of one card's job; ``reason`` says why when it was not printed."""

    result: PrintResult
    reason: str = ""


class CardPrinter(Protocol):
    """Where the station's cards are printed."""

    name: str

    def check_ready(self) -> None:
        """Raise PrinterError when the printer is off, stopped or cannot be reached."""

    def submit(self, title: str, pdf: bytes) -> str:
        """Send one card's PDF; the job's reference (PrinterError when it was not taken)."""

    def wait(self, job: str, timeout_s: float) -> PrintOutcome:
        """Wait for the job to end, at most ``timeout_s`` seconds, and say what it did."""
