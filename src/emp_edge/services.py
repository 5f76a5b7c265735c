"""What the composition root hands to each part: settings, the store and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from emp_edge.config import Settings
from emp_edge.domain.clock import Clock
from emp_edge.store import Store


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
