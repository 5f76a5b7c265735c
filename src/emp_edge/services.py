"""What the composition root hands to each part: settings, the store, the clock and the bus."""

from __future__ import annotations

from dataclasses import dataclass, field

from emp_edge.config import Settings
from emp_edge.domain.clock import Clock
from emp_edge.events import Bus
from emp_edge.store import Store


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
    #: taps and reader states, from the terminals to the kiosk pages
    bus: Bus = field(default_factory=Bus)
