"""A small in-process bus: the tap pipeline publishes what it decided, the kiosk pages listen.

``terminal`` and ``web`` never import each other; the composition root hands both the same bus.
A topic is a terminal's name. Each subscriber has its own queue, so a slow page never holds up
a till; the bus keeps the last reader state of each topic for a page that opens later.

::

    bus = Bus()
    with bus.subscribe("valgykla-1") as inbox:
        news = inbox.get(timeout=15)     # TapDecided | ReaderChanged | ReceiptPrinted | None
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emp_edge.domain.taps import TapReason, TapResult


@dataclass(frozen=True)
class TapDecided:
    """A tap's result, published only after its event is committed."""

    terminal: str
    event_id: str
    at: datetime
    result: TapResult
    reason: TapReason
    pupil_name: str = ""
    class_label: str = ""
    #: what the role's handler adds for the screen (balance, meal, group …), JSON-ready
    shown: Mapping[str, Any] = field(default_factory=dict)
    #: time.perf_counter_ns() when the decision was committed (for the tap-to-screen figure)
    decided_ns: int = 0


@dataclass(frozen=True)
class ReaderChanged:
    """A terminal's reader went offline or came back."""

    terminal: str
    online: bool
    detail: str = ""


@dataclass(frozen=True)
class ReceiptPrinted:
    """A till's receipt for a tap: printed, or not (the sale stands either way)."""

    terminal: str
    event_id: str
    printed: bool
    detail: str = ""


News = TapDecided | ReaderChanged | ReceiptPrinted

#: a subscriber that falls this far behind loses the oldest news, never blocks a till
INBOX_SIZE = 64


class Inbox:
    def __init__(self) -> None:
        self._queue: queue.Queue[News] = queue.Queue(INBOX_SIZE)

    def put(self, news: News) -> None:
        while True:
            try:
                self._queue.put_nowait(news)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    continue

    def get(self, timeout: float) -> News | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class Bus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inboxes: dict[str, list[Inbox]] = {}
        self._readers: dict[str, ReaderChanged] = {}

    def publish(self, news: News) -> None:
        with self._lock:
            if isinstance(news, ReaderChanged):
                self._readers[news.terminal] = news
            inboxes = list(self._inboxes.get(news.terminal, ()))
        for inbox in inboxes:
            inbox.put(news)

    def reader_state(self, terminal: str) -> ReaderChanged | None:
        """The last reader state the terminal published, if any."""
        with self._lock:
            return self._readers.get(terminal)

    @contextmanager
    def subscribe(self, terminal: str) -> Iterator[Inbox]:
        inbox = Inbox()
        with self._lock:
            self._inboxes.setdefault(terminal, []).append(inbox)
        try:
            yield inbox
        finally:
            with self._lock:
                self._inboxes[terminal].remove(inbox)
