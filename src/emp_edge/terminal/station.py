"""One terminal at work: its reader, the card check, the pipeline, and the reader's health.

A station runs in its own thread: it waits for a tap, checks the card, lets the pipeline decide
and commit, and tells the reader the result. It watches the reader's health between taps: when
the reader goes offline or comes back, the dashboard's device list and the kiosk screen hear of
it at once. A bad card, a reader answering garbage or a card pulled away never stops the loop;
the next tap is served.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.taps import TapResult
from emp_edge.errors import EdgeError, ReaderError
from emp_edge.events import Bus, ReaderChanged
from emp_edge.store import Store
from emp_edge.store.devices import DeviceKind, DeviceState, report
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Reader, ReaderHealth, Tap

log = logging.getLogger(__name__)

#: how long one wait for a tap lasts before the station looks at the reader's health again
WAIT_SECONDS = 0.2


class Debounce:
    """The same card again within ``window`` seconds of its last tap is the same tap."""

    def __init__(self, window: float, now: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.now = now
        self._last: tuple[bytes, float] | None = None

    def again(self, uid: bytes) -> bool:
        moment = self.now()
        repeated = (
            self._last is not None and self._last[0] == uid and moment - self._last[1] < self.window
        )
        self._last = (uid, moment)
        return repeated


class Station:
    def __init__(
        self,
        spec: TerminalSpec,
        reader: Reader,
        check: Callable[[Tap], CardRead],
        pipeline: TapPipeline,
        *,
        store: Store,
        bus: Bus,
        debounce_seconds: float,
    ) -> None:
        self.spec = spec
        self.reader = reader
        self.check = check
        self.pipeline = pipeline
        self.store = store
        self.bus = bus
        self.debounce = Debounce(debounce_seconds)
        self._health: ReaderHealth | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run, name=f"terminal-{self.spec.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.reader.close()

    def run(self) -> None:
        log.info("terminal started terminal=%s role=%s", self.spec.name, self.spec.role)
        while not self._stop.is_set():
            self.serve_one(WAIT_SECONDS)

    def serve_one(self, timeout: float) -> bool:
        """Wait for one tap and serve it; True when a tap was decided."""
        self.watch_health()
        try:
            tap = self.reader.next_tap(timeout)
        except ReaderError as err:
            log.warning("reader failed terminal=%s reason=%s", self.spec.name, err.reason)
            time.sleep(timeout)
            return False
        if tap is None:
            return False
        if self.debounce.again(tap.uid):
            self.reader.done(tap, accepted=True)
            return False
        return self.serve(tap)

    def serve(self, tap: Tap) -> bool:
        read = self.check(tap)
        try:
            decided = self.pipeline.decide(self.spec, read)
        except EdgeError as err:
            # not recorded, so not shown: the pupil taps again
            log.error("tap not recorded terminal=%s reason=%s", self.spec.name, err.reason)
            self.reader.done(tap, accepted=False)
            return False
        self.reader.done(tap, accepted=decided.result is TapResult.ACCEPTED)
        return True

    # ------------------------------------------------------------------ health
    def watch_health(self) -> None:
        health = self.reader.health()
        if health == self._health:
            return
        self._health = health
        state = DeviceState.OK if health.online else DeviceState.OFFLINE
        detail = f"{self.reader.name}: {health.detail}" if health.detail else self.reader.name
        if health.online:
            log.info("reader online terminal=%s reader=%s", self.spec.name, self.reader.name)
        else:
            log.warning("reader offline terminal=%s detail=%s", self.spec.name, health.detail)
        try:
            report(self.store, self.spec.name, DeviceKind.READER, state, detail)
        except EdgeError as err:
            log.error("reader state not stored terminal=%s reason=%s", self.spec.name, err.reason)
        # after the overview's device list, so whoever hears the news finds it there too
        self.bus.publish(ReaderChanged(self.spec.name, health.online, health.detail))
