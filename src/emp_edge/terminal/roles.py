"""What a tap does at a terminal once the card is known to be good: the role's handler.

A handler decides inside the tap's transaction, so what it writes (a meal, a sale, an attendance
mark) and the tap's event commit together. ``check`` only confirms the card; the canteen and the
club attendance handlers build on the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from emp_edge.domain.taps import TapReason
from emp_edge.store.outbox import Transaction
from emp_edge.store.taps import CardAtTerminal


@dataclass(frozen=True)
class Outcome:
    """A handler's answer: accepted or not, why, and what the screen shows besides the name."""

    accepted: bool
    reason: TapReason = TapReason.OK
    shown: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""


class RoleHandler(Protocol):
    def handle(self, tx: Transaction, terminal: str, card: CardAtTerminal) -> Outcome: ...


class CardCheck:
    """The card is genuine, issued and valid: say so and show whose it is."""

    def handle(self, tx: Transaction, terminal: str, card: CardAtTerminal) -> Outcome:
        shown = {"valid_until": card.valid_until.isoformat()} if card.valid_until else {}
        return Outcome(accepted=True, shown=shown)


def handlers() -> dict[str, RoleHandler]:
    """The handler of each terminal role.

    The canteen's meals and sales and the clubs' attendance marks come with their own parts;
    until then their terminals confirm the card as ``check`` does.
    """
    check = CardCheck()
    return {"check": check, "canteen": check, "club": check}
