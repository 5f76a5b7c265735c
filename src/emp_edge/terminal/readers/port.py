"""The reader port: what every card reader adapter (pcsc, nfcpy, simulated) offers the terminal.

A reader hands out one ``Tap`` each time a card is placed on it: the card's UID and a channel to
talk to the card while it stays there. A card held on the reader is one tap; it has to leave
the field before it makes another. When the terminal has decided, it calls ``done`` with the
result, so a reader with a buzzer or LED can say so, and the card is let go.

A reader that disappears (pcscd stopped, USB device gone) is *offline*: ``next_tap`` then returns
None after waiting, ``health()`` says why, and the adapter keeps looking for it, so it comes
back by itself without a restart. Library errors leave an adapter only as ``ReaderError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CardChannel(Protocol):
    """A link to the card on the reader: one ISO 7816 APDU in, its answer (data ‖ SW1 SW2) out.

    Raises ReaderError when the card left the field or the reader answered nonsense.
    """

    def transmit(self, apdu: bytes) -> bytes: ...


@dataclass(frozen=True)
class Tap:
    """A card placed on a reader: its UID, and a channel to the card while it stays."""

    reader: str
    uid: bytes
    channel: CardChannel


@dataclass(frozen=True)
class ReaderHealth:
    online: bool
    detail: str = ""


class Reader(Protocol):
    """One card reader; one terminal reads from one reader."""

    @property
    def name(self) -> str:
        """The reader as its library names it (for the dashboard and the logs)."""
        ...

    def next_tap(self, timeout: float) -> Tap | None:
        """Wait up to ``timeout`` seconds for a new card; None when none came (or offline)."""
        ...

    def done(self, tap: Tap, accepted: bool) -> None:
        """The terminal has decided: signal it where the reader can, and let the card go."""
        ...

    def health(self) -> ReaderHealth:
        """Whether the reader is there, and if not, why."""
        ...

    def close(self) -> None:
        """Let go of the reader and its library."""
        ...


def uid_tail(uid: bytes) -> str:
    """The last 4 hex digits of a chip UID (``…1D80``): all of it a log line may show."""
    return "…" + uid.hex().upper()[-4:]


def sw(answer: bytes) -> int:
    """The status word at the end of an answer (0x9000 is success)."""
    return int.from_bytes(answer[-2:], "big") if len(answer) >= 2 else 0


GET_UID = bytes.fromhex("FFCA000000")
"""The PC/SC pseudo-APDU asking the reader for the card's UID (PC/SC part 3)."""
