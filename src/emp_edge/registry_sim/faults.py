"""The simulator's fault switches: how often a request fails, hangs, is cut, loses its answer, or
is answered twice. One random draw per request decides which, if any.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Fault(enum.Enum):
    """What goes wrong with one request."""

    FAIL = "fail"  # 500 or 503, nothing processed
    HANG = "hang"  # nothing processed, the connection stays silent, then closes
    CUT = "cut"  # processed; the answer's body stops half-way
    ACK_LOST = "ack_lost"  # processed and committed; the connection drops before any answer
    TWICE = "twice"  # processed; the whole answer is written twice


@dataclass(frozen=True)
class Faults:
    """The share of requests (0..1 each, at most 1 in all) that meet each fault."""

    fail_rate: float = 0.0
    hang_rate: float = 0.0
    cut_rate: float = 0.0
    ack_lost_rate: float = 0.0
    twice_rate: float = 0.0
    hang_seconds: float = 30.0
    seed: int | None = None

    def __post_init__(self) -> None:
        rates = self.rates()
        for kind, rate in rates.items():
            if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
                raise ValueError(f"the {kind.value} rate must be between 0 and 1, not {rate}")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")
        if not (math.isfinite(self.hang_seconds) and self.hang_seconds >= 0):
            raise ValueError(f"hang_seconds must be 0 or more, not {self.hang_seconds}")

    @classmethod
    def every_kind(
        cls, total: float, hang_seconds: float = 30.0, seed: int | None = None
    ) -> Faults:
        """``total`` split evenly over the five kinds of fault."""
        share = total / len(Fault)
        return cls(share, share, share, share, share, hang_seconds=hang_seconds, seed=seed)

    def rates(self) -> dict[Fault, float]:
        return {
            Fault.FAIL: self.fail_rate,
            Fault.HANG: self.hang_rate,
            Fault.CUT: self.cut_rate,
            Fault.ACK_LOST: self.ack_lost_rate,
            Fault.TWICE: self.twice_rate,
        }

    def pick(self, draw: float) -> Fault | None:
        """The fault a draw in [0, 1) falls on, or None (the request is served well)."""
        edge = 0.0
        for kind, rate in self.rates().items():
            edge += rate
            if draw < edge:
                return kind
        return None

    def fail_status(self, draw: float) -> int:
        """500 for the lower half of the fail band, 503 for the upper half."""
        return 500 if draw < self.fail_rate / 2 else 503
