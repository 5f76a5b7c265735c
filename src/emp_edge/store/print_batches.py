"""What a print batch did: for each card chosen, its blanks and what became of them.

The batch pass (``card_station.batch``) makes this report and the printing page shows it, so it
is plain data both may import. Reasons are English templates with their parameters, as errors
carry them, so the page can say them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from emp_edge.errors import EdgeError


@dataclass(frozen=True)
class Reason:
    """Why something happened: an English template and its parameters (as an error has them)."""

    template: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, template: str, **params: Any) -> Reason:
        return cls(template, tuple(sorted(params.items())))

    @classmethod
    def from_error(cls, err: EdgeError) -> Reason:
        return cls(err.template, tuple(sorted(err.params.items())))

    @property
    def values(self) -> Mapping[str, Any]:
        return dict(self.params)

    @property
    def text(self) -> str:
        """In English, filled in (for the log and the store's notes); a parameter may itself be
        a Reason (the encoder's reason inside "the chip could not be written")."""
        if not self.params:
            return self.template
        values = {k: v.text if isinstance(v, Reason) else v for k, v in self.params}
        return self.template.format(**values)


class BlankOutcome(StrEnum):
    """What the printer (and the encoder) did with one blank."""

    PRINTED = "printed"  # printed, its chip written and bound: the card is made
    SPOILED = "spoiled"  # spoiled in printing or its chip could not be written
    NOT_PRINTED = "not_printed"  # the job never reached the blank: it is back in the stock


class CardOutcome(StrEnum):
    """What became of one card of the batch."""

    PERSONALISED = "personalised"  # made on its first blank
    REPRINTED = "reprinted"  # a blank was spoiled, the card was made on a new one (§39)
    SPOILED = "spoiled"  # every blank it got was spoiled: it waits for a new one, free
    NOT_PRINTED = "not_printed"  # no blank was used for it (it was tried, or refused)
    NOT_REACHED = "not_reached"  # the batch stopped before it: nothing was done


@dataclass(frozen=True)
class BlankLine:
    blank_number: str
    outcome: BlankOutcome
    reason: Reason | None = None


@dataclass(frozen=True)
class CardLine:
    """One card of the batch: its blanks in the order used, what became of it, and why."""

    card_id: int
    outcome: CardOutcome
    blanks: tuple[BlankLine, ...] = ()
    reason: Reason | None = None

    @property
    def blank_numbers(self) -> tuple[str, ...]:
        return tuple(b.blank_number for b in self.blanks)

    @property
    def spoiled_blanks(self) -> tuple[str, ...]:
        return tuple(b.blank_number for b in self.blanks if b.outcome is BlankOutcome.SPOILED)


MADE = (CardOutcome.PERSONALISED, CardOutcome.REPRINTED)


@dataclass(frozen=True)
class BatchReport:
    """The whole batch: each card's line in the order chosen, the printer's name, and why the
    batch stopped early (the printer off, no blanks left), when it did."""

    printer: str
    lines: tuple[CardLine, ...]
    stopped: Reason | None = None

    @property
    def chosen(self) -> int:
        return len(self.lines)

    @property
    def personalised(self) -> int:
        """Cards made (on their first blank or after a reprint)."""
        return sum(1 for line in self.lines if line.outcome in MADE)

    @property
    def reprinted(self) -> int:
        return sum(1 for line in self.lines if line.outcome is CardOutcome.REPRINTED)

    @property
    def not_made(self) -> int:
        return self.chosen - self.personalised

    @property
    def blanks_used(self) -> int:
        """Blanks that left the stock: printed or spoiled."""
        return sum(
            1
            for line in self.lines
            for b in line.blanks
            if b.outcome is not BlankOutcome.NOT_PRINTED
        )

    @property
    def spoiled_blanks(self) -> tuple[str, ...]:
        return tuple(number for line in self.lines for number in line.spoiled_blanks)

    @property
    def made_card_ids(self) -> tuple[int, ...]:
        return tuple(line.card_id for line in self.lines if line.outcome in MADE)
