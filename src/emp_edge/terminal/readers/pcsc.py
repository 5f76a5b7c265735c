"""The pcsc reader: a USB card reader (ACR122U or any CCID reader) through pcscd and pyscard.

The reader is found by name among the readers pcscd lists: the first whose name contains the
pattern, or matches it as a glob (``ACR122``, ``ACS ACR122U*``). It waits for a card with
SCardGetStatusChange, connects, asks the reader for the card's UID (``FF CA 00 00 00``) and hands
out a ``Tap``. A card held on the reader is one tap: the next tap needs pcscd to have seen the
card leave (pcsc-lite counts card events in the upper half of a reader's state, so a card taken
away and put back while the terminal was busy still counts as new, once pcscd saw it leave).

When pcscd is stopped or restarted, or the reader is unplugged, the reader is offline:
``health()`` says why ("pcscd is not running", "no reader matching 'ACR122'"), ``next_tap``
waits and returns None, and every ``reconnect_interval`` seconds it makes a new PC/SC context
and looks for the reader again, so it comes back by itself. After pcscd comes back, a card found
lying on the reader makes a new tap.

``done`` shows the decision with the reader's LED and buzzer where it knows how: ACR122-type
readers (``feedback="acr122"``, or ``"auto"`` when the reader's name says ACR122) get their
LED/buzzer command, green for accepted and red for refused. pyscard is an optional extra and is
imported here only; its errors and error codes become ``ReaderError`` (talking to a card) or the
offline state. ``next_tap``, ``transmit`` and ``done`` come from the terminal's one thread;
``health``, ``name`` and ``close`` may come from any thread.
"""

from __future__ import annotations

import logging
import threading
import time
from fnmatch import fnmatchcase
from typing import Any, Final

from emp_edge.errors import ConfigError, ReaderError
from emp_edge.terminal.readers.port import GET_UID, ReaderHealth, Tap, sw, uid_tail

log = logging.getLogger(__name__)

FEEDBACK: Final = ("auto", "acr122", "none")
# ACR122U bi-colour LED and buzzer control: FF 00 40 P2 04 T1 T2 repetitions buzzer-link.
# P2 A0: the green LED blinks, starting on; T1 0.3 s on with the buzzer, T2 0.1 s, once.
ACR122_ACCEPTED: Final = bytes.fromhex("FF0040A00403010101")
# P2 50: the red LED blinks, starting on; 0.2 s on with the buzzer, 0.2 s off, three times.
ACR122_REFUSED: Final = bytes.fromhex("FF0040500402020301")
_UID_SIZES: Final = range(4, 11)  # ISO 14443 UIDs are 4, 7 or 10 bytes
_GONE: Final = ("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_F_COMM_ERROR")
"""What PC/SC calls answer once pcscd has stopped (the context is then dead for good)."""


class _Pcsc:
    """pyscard's PC/SC calls: each gives its result code first, as an unsigned 32-bit number,
    and what pyscard's wrapper raises (a stale handle, a bad buffer) becomes a ReaderError."""

    def __init__(self, where: str) -> None:
        try:
            from smartcard import scard
        except ImportError as error:
            raise ReaderError(
                "pyscard is not installed (install emp-edge[pcsc]) for the reader {where}",
                where=where,
            ) from error
        self.scard: Any = scard

    def __call__(self, function: str, *args: Any) -> tuple[Any, ...]:
        try:
            result = getattr(self.scard, function)(*args)
        except (self.scard.error, SystemError, TypeError) as error:
            raise ReaderError(
                "pyscard failed in {call}: {error}", call=function, error=error
            ) from error
        if isinstance(result, int):
            return (result & 0xFFFFFFFF,)
        return (int(result[0]) & 0xFFFFFFFF, *result[1:])

    def const(self, name: str) -> int:
        return int(getattr(self.scard, name)) & 0xFFFFFFFF

    def message(self, code: int) -> str:
        text = str(self.scard.SCardGetErrorMessage(code)).strip().rstrip(".")
        return f"{text} (0x{code:08X})"


def reader_matches(pattern: str, name: str) -> bool:
    """Whether a PC/SC reader name is the one a terminal's ``pcsc:PATTERN`` asks for."""
    return pattern in name or fnmatchcase(name, pattern)


def list_reader_names() -> list[str]:
    """The PC/SC readers pcscd sees now (for the command line); ReaderError without pcscd."""
    pc = _Pcsc("list")
    code, context = pc("SCardEstablishContext", pc.const("SCARD_SCOPE_USER"))
    if code != 0:
        raise ReaderError("pcscd is not running ({error})", error=pc.message(code))
    try:
        code, names = pc("SCardListReaders", context, [])
    finally:
        pc("SCardReleaseContext", context)
    if code == pc.const("SCARD_E_NO_READERS_AVAILABLE"):
        return []
    if code != 0:
        raise ReaderError("pcscd cannot list its readers: {error}", error=pc.message(code))
    return [str(name) for name in names]


class PcscChannel:
    """The link to the card of one tap: APDUs through pcscd, until the tap is done."""

    def __init__(self, pc: _Pcsc, reader: str, card: int, protocol: int) -> None:
        self._pc = pc
        self._reader = reader
        self._card: int | None = card
        self._protocol = protocol
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self._card is not None

    def transmit(self, apdu: bytes) -> bytes:
        with self._lock:
            if self._card is None:
                raise ReaderError(
                    "the card of this tap is no longer on {reader}", reader=self._reader
                )
            code, answer = self._pc("SCardTransmit", self._card, self._protocol, list(apdu))
        if code != 0:
            raise ReaderError(
                "the card on {reader} did not answer: {error}",
                reader=self._reader,
                error=self._pc.message(code),
            )
        if len(answer) < 2:  # pcscd passes on an empty answer when the card left mid-command
            raise ReaderError(
                "the card on {reader} answered {size} bytes, not an APDU answer",
                reader=self._reader,
                size=len(answer),
            )
        return bytes(answer)

    def close(self) -> None:
        """Disconnect, leaving the card powered on the reader (it is one tap until it leaves)."""
        with self._lock:
            card, self._card = self._card, None
        if card is not None:
            try:
                self._pc("SCardDisconnect", card, self._pc.const("SCARD_LEAVE_CARD"))
            except ReaderError as error:
                log.debug("disconnect failed reader=%s error=%s", self._reader, error)


class PcscReader:
    """One PC/SC reader that pcscd drives, found by a pattern on its name."""

    def __init__(
        self, pattern: str, *, feedback: str = "auto", reconnect_interval: float = 0.5
    ) -> None:
        if feedback not in FEEDBACK:
            raise ConfigError(
                "reader feedback is one of {choices}, not {value!r}",
                where="terminal.feedback",
                choices=", ".join(FEEDBACK),
                value=feedback,
            )
        self.pattern = pattern
        self.feedback = feedback
        self.reconnect_interval = reconnect_interval
        self._pc = _Pcsc(repr(pattern))
        self._context: int | None = None
        self._reader: str | None = None
        self._known = 0  # the reader's state as last seen (0: unaware)
        self._held: int | None = None  # card event count of the card that made the last tap
        self._channel: PcscChannel | None = None
        self._next_look = 0.0
        self._closed = threading.Event()
        self._lock = threading.RLock()  # the PC/SC context: the terminal's thread and close()
        self._state = threading.Lock()  # name and health, read from any thread
        self._name = pattern
        self._health = ReaderHealth(online=False, detail="not opened yet")
        with self._lock:
            self._find()

    # ------------------------------------------------------------------ the Reader port
    @property
    def name(self) -> str:
        with self._state:
            return self._name

    def health(self) -> ReaderHealth:
        with self._state:
            return self._health

    def next_tap(self, timeout: float) -> Tap | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._lock:
            self._let_go()
            while not self._closed.is_set():
                if self._reader is None and not self._find():
                    if time.monotonic() >= deadline:
                        return None
                    self._closed.wait(max(0.0, min(deadline, self._next_look) - time.monotonic()))
                    continue
                tap = self._wait_for_card(deadline)
                if tap is not None or time.monotonic() >= deadline:
                    return tap
        return None

    def done(self, tap: Tap, accepted: bool) -> None:
        """Show the decision on an ACR122-type reader (if wanted) and let the card go."""
        channel = tap.channel
        if not isinstance(channel, PcscChannel) or not channel.open:
            return
        if self._signals(tap.reader):
            try:
                answer = channel.transmit(ACR122_ACCEPTED if accepted else ACR122_REFUSED)
                log.debug("LED/buzzer reader=%s sw=%04X", tap.reader, sw(answer))
            except ReaderError as error:
                log.debug("LED/buzzer failed reader=%s error=%s", tap.reader, error)
        with self._lock:
            channel.close()
            if self._channel is channel:
                self._channel = None
        log.debug("tap done reader=%s uid=%s accepted=%s", tap.reader, uid_tail(tap.uid), accepted)

    def close(self) -> None:
        self._closed.set()
        context = self._context
        if context is not None:  # wakes a next_tap waiting in another thread
            try:
                self._pc("SCardCancel", context)
            except ReaderError as error:
                log.debug("cancel failed reader=%s error=%s", self.pattern, error)
        with self._lock:
            self._let_go()
            self._drop_context()
            self._reader = None
            with self._state:
                self._health = ReaderHealth(online=False, detail="closed")

    # ------------------------------------------------------------------ finding the reader
    def _signals(self, reader: str) -> bool:
        if self.feedback == "auto":
            return "ACR122" in reader.upper()
        return self.feedback == "acr122"

    def _find(self) -> bool:
        """Make a context and find the reader, if it is time to look; True when found."""
        if self._reader is not None:
            return True
        now = time.monotonic()
        if now < self._next_look or self._closed.is_set():
            return False
        self._next_look = now + self.reconnect_interval
        pc = self._pc
        try:
            if self._context is None:
                code, context = pc("SCardEstablishContext", pc.const("SCARD_SCOPE_USER"))
                if code != 0:
                    self._offline(self._service(code))
                    return False
                self._context = context
            code, names = pc("SCardListReaders", self._context, [])
        except ReaderError as error:
            self._offline(str(error), drop=True)
            return False
        if code == pc.const("SCARD_E_NO_READERS_AVAILABLE"):
            names = []
        elif code != 0:  # pcscd went away, and its contexts with it
            self._offline(self._service(code), drop=True)
            return False
        found = next((str(n) for n in names if reader_matches(self.pattern, str(n))), None)
        if found is None:
            self._offline(f"no reader matching {self.pattern!r}")
            return False
        self._reader, self._known, self._held = found, 0, None
        with self._state:
            self._name = found
            self._health = ReaderHealth(online=True)
        log.info("reader online pattern=%r reader=%s", self.pattern, found)
        return True

    def _service(self, code: int) -> str:
        if code in {self._pc.const(name) for name in _GONE}:
            return "pcscd is not running"
        return f"pcscd failed: {self._pc.message(code)}"

    def _offline(self, detail: str, *, drop: bool = False) -> None:
        self._let_go()
        self._reader = None
        if drop:
            self._drop_context()
        with self._state:
            was = self._health
            self._health = ReaderHealth(online=False, detail=detail)
        if was.online or was.detail != detail:
            log.warning("reader offline pattern=%r detail=%r", self.pattern, detail)

    def _drop_context(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            try:
                self._pc("SCardReleaseContext", context)
            except ReaderError as error:
                log.debug("release failed reader=%s error=%s", self.pattern, error)

    def _let_go(self) -> None:
        """Disconnect the card of a tap the terminal did not call ``done`` for."""
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    # ------------------------------------------------------------------ cards
    def _wait_for_card(self, deadline: float) -> Tap | None:
        """One wait for the reader's state to change (until the deadline); a Tap for a new card."""
        pc, reader = self._pc, self._reader
        if reader is None:
            return None
        wait_ms = max(0, int((deadline - time.monotonic()) * 1000))
        try:
            code, states = pc(
                "SCardGetStatusChange", self._context, wait_ms, [(reader, self._known)]
            )
        except ReaderError as error:
            self._offline(str(error), drop=True)
            return None
        if code in (pc.const("SCARD_E_TIMEOUT"), pc.const("SCARD_E_CANCELLED")):
            return None
        event = int(states[0][1]) if code == 0 else 0
        if code == pc.const("SCARD_E_UNKNOWN_READER") or event & (
            pc.const("SCARD_STATE_UNKNOWN") | pc.const("SCARD_STATE_IGNORE")
        ):
            self._offline(f"no reader matching {self.pattern!r}")  # unplugged
            return None
        if code != 0:
            self._offline(self._service(code), drop=True)
            return None
        self._known = event & ~pc.const("SCARD_STATE_CHANGED")
        if event & pc.const("SCARD_STATE_EMPTY"):
            self._held = None
            return None
        if not event & pc.const("SCARD_STATE_PRESENT") or event & pc.const("SCARD_STATE_MUTE"):
            return None
        count = event >> 16
        if self._held == count:
            return None  # the card of the last tap is still there
        self._held = count
        return self._connect(reader)

    def _connect(self, reader: str) -> Tap | None:
        pc = self._pc
        protocols = pc.const("SCARD_PROTOCOL_T0") | pc.const("SCARD_PROTOCOL_T1")
        shared = pc.const("SCARD_SHARE_SHARED")
        try:
            code, card, protocol = pc("SCardConnect", self._context, reader, shared, protocols)
            if code != 0:
                raise ReaderError("cannot connect: {error}", error=pc.message(code))
            channel = PcscChannel(pc, reader, card, protocol)
        except ReaderError as error:
            log.warning("card not connected reader=%s error=%s", reader, error)
            return None
        try:
            answer = channel.transmit(GET_UID)
            if sw(answer) != 0x9000 or len(answer) - 2 not in _UID_SIZES:
                raise ReaderError("status {sw:04X}, {size} bytes", sw=sw(answer), size=len(answer))
        except ReaderError as error:
            log.warning("no UID from the reader reader=%s error=%s", reader, error)
            channel.close()
            return None
        uid = answer[:-2]
        self._channel = channel
        log.info("card on reader reader=%s uid=%s", reader, uid_tail(uid))
        return Tap(reader=reader, uid=uid, channel=channel)
