"""What a tap does at a terminal once the card is known to be good: the role's handler.

A handler decides inside the tap's transaction, so what it writes (a meal, a sale, an attendance
mark) and the tap's event commit together. ``check`` only confirms the card; the canteen till
(``terminal/canteen.py``) and the club attendance build on the same shape. ``role_handlers`` in
``terminal/handlers.py`` gives each role its handler.
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
    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        """Decide the tap in the open transaction; rows it writes carry the tap's ``event_id``."""
        ...


class CardCheck:
    """The card is genuine, issued and valid: say so and show whose it is."""

    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        shown = {"valid_until": card.valid_until.isoformat()} if card.valid_until else {}
        return Outcome(accepted=True, shown=shown)
