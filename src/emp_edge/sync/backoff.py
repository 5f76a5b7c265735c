"""Waiting between failed tries: exponential backoff with full jitter.

After the n-th failure in a row the wait is drawn evenly from 0 to ``min(max_s, first_s·2ⁿ⁻¹)``,
so boxes that lost the registry together do not all come back at the same moment.
"""

from __future__ import annotations

import random


class Backoff:
    """Counts failures in a row and says how long to wait after each."""

    def __init__(self, first_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if first_s <= 0 or max_s <= 0:
            raise ValueError("backoff waits are positive")
        self.first_s = first_s
        self.max_s = max_s
        self.failures = 0
        self._rng = rng or random.SystemRandom()

    def ceiling(self) -> float:
        """The longest wait after the failures so far (0 with none)."""
        if self.failures == 0:
            return 0.0
        # 2**60 times any first wait is past any max: stop doubling before floats overflow
        return min(self.max_s, self.first_s * 2.0 ** min(self.failures - 1, 60))

    def failed(self) -> float:
        """Count a failure; the seconds to wait before the next try."""
        self.failures += 1
        return self._rng.uniform(0, self.ceiling())

    def succeeded(self) -> None:
        """A try went through: the next failure starts from the first wait again."""
        self.failures = 0
