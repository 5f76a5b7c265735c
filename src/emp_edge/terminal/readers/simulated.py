"""The simulated reader: taps come from the tap simulator page (or a script on the box).

A simulated tap puts an emulated card — the same card side the tests use, speaking the same
DESFire protocol — on the reader, so the demo runs the real card check, not a shortcut.
"""

from __future__ import annotations

import queue
from typing import Protocol

from emp_edge.terminal.readers.port import ReaderHealth, Tap

#: taps waiting beyond this are refused rather than queued without end
QUEUE_SIZE = 256


class EmulatedCard(Protocol):
    uid: bytes

    def respond(self, apdu: bytes) -> bytes: ...


class EmulatedChannel:
    """The card's answers come straight from the emulated card."""

    def __init__(self, card: EmulatedCard) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> bytes:
        return self.card.respond(apdu)


class SimulatedReader:
    def __init__(self, terminal: str) -> None:
        self.terminal = terminal
        self._cards: queue.Queue[EmulatedCard] = queue.Queue(QUEUE_SIZE)

    @property
    def name(self) -> str:
        return f"simulated reader of {self.terminal}"

    def present(self, card: EmulatedCard) -> bool:
        """Put a card on the reader; False when too many taps already wait."""
        try:
            self._cards.put_nowait(card)
        except queue.Full:
            return False
        return True

    def next_tap(self, timeout: float) -> Tap | None:
        try:
            card = self._cards.get(timeout=timeout)
        except queue.Empty:
            return None
        return Tap(reader=self.name, uid=card.uid, channel=EmulatedChannel(card))

    def done(self, tap: Tap, accepted: bool) -> None:
        """A simulated card leaves the reader at once; there is no buzzer."""

    def health(self) -> ReaderHealth:
        return ReaderHealth(online=True)

    def close(self) -> None:
        """Nothing to let go of."""
