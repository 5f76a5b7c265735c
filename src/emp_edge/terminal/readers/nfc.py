"""The nfcpy reader: a USB NFC reader (ACR122U, RC-S380, PN533 …) driven by nfcpy, without pcscd.

The reader polls for ISO 14443-4 type A cards (a DESFire student card) and hands out one
``Tap`` per card placed on it: the card's UID, and a channel that carries APDUs to the card as
ISO-DEP blocks. A card held on the reader stays one tap: after a tap the reader only checks that
the card is still there (ISO-DEP presence checks) and polls again once it has left; a card seen
again before a poll without it is the same card, not a new tap.

When nfcpy cannot open the device (unplugged, taken by another program) or the device fails
while polling, the reader is offline: ``health()`` says why, ``next_tap`` waits and returns
None, and the device is opened again every ``reconnect_interval`` seconds until it answers.

nfcpy is an optional extra and is imported here only. Its errors become ``ReaderError`` (while
talking to a card) or the offline state (when the device itself fails). ``next_tap``,
``transmit`` and ``done`` are called from the terminal's one thread; ``health`` and ``close``
may come from any thread.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from typing import Any

from emp_edge.errors import ReaderError
from emp_edge.terminal.readers.port import GET_UID, ReaderHealth, Tap, uid_tail

log = logging.getLogger(__name__)

PRESENCE_PERIOD = 0.1
"""Seconds between two checks that a card which made its tap is still on the reader."""
POLL_INTERVAL = 0.1
"""nfcpy's pause between two polls (it has none when a connect call polls once)."""
_GARBLED = (IndexError, ValueError, TypeError, struct.error)
"""What nfcpy raises when a card's activation answers are too short or malformed."""


class NfcChannel:
    """The link to the card of one tap, as ISO-DEP (ISO 14443-4) blocks through nfcpy."""

    def __init__(self, reader: NfcReader, tag: Any) -> None:
        self._reader = reader
        self._tag = tag

    def transmit(self, apdu: bytes) -> bytes:
        return self._reader._transmit(self._tag, apdu)


class NfcReader:
    """One NFC reader that nfcpy drives, at ``path`` (``usb``, ``usb:072f:2200``, ``udp:…``)."""

    def __init__(self, path: str, *, reconnect_interval: float = 0.5) -> None:
        try:
            import nfc  # noqa: F401 - the optional extra; only checked here
        except ImportError as error:
            raise ReaderError(
                "nfcpy is not installed (install emp-edge[nfc]) for the reader at {path}",
                path=path,
            ) from error
        self.path = path
        self.reconnect_interval = reconnect_interval
        self._name = f"nfcpy {path}"
        self._clf: Any = None
        self._health = ReaderHealth(online=False, detail="not opened yet")
        self._next_open = 0.0
        self._tag: Any = None  # the card now on the reader, handed out or held
        self._held_uid: bytes | None = None  # its UID until a poll finds the field empty
        self._closed = threading.Event()
        self._lock = threading.RLock()  # the device: the terminal's thread and close()
        self._state = threading.Lock()  # name and health, read from any thread
        with self._lock:
            self._open()

    # ------------------------------------------------------------------ the Reader port
    @property
    def name(self) -> str:
        with self._state:
            return self._name

    def health(self) -> ReaderHealth:
        with self._state:
            return self._health

    def next_tap(self, timeout: float) -> Tap | None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._closed.is_set():
                now = time.monotonic()
                if self._clf is None and not self._open():
                    if now >= deadline:
                        return None
                    self._closed.wait(max(0.0, min(deadline, self._next_open) - now))
                    continue
                if self._tag is not None:
                    if self._still_there():
                        if now >= deadline:
                            return None
                        self._closed.wait(min(PRESENCE_PERIOD, deadline - now))
                        continue
                    if self._clf is None:
                        continue  # the device failed during the check
                    log.debug(
                        "card left reader=%s uid=%s", self.path, uid_tail(self._tag.identifier)
                    )
                    self._tag = None
                tap = self._poll(deadline)
                if tap is not None:
                    return tap
                if time.monotonic() >= deadline:
                    return None
        return None

    def done(self, tap: Tap, accepted: bool) -> None:
        """Let the card go: its channel answers no more. nfcpy knows no buzzer or LED command
        common to its readers, so the decision shows on the kiosk screen only.

        The card stays known as being on the reader until it leaves, so it makes no second tap.
        """
        with self._lock:
            channel = tap.channel
            if isinstance(channel, NfcChannel) and channel._tag is self._tag:
                channel._tag = None
        log.debug("tap done reader=%s uid=%s accepted=%s", self.path, uid_tail(tap.uid), accepted)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            self._tag = None
            self._shut()
            with self._state:
                self._health = ReaderHealth(online=False, detail="closed")

    # ------------------------------------------------------------------ the device
    def _open(self) -> bool:
        """Open the device if it is time to try; True when it is open."""
        if self._clf is not None:
            return True
        now = time.monotonic()
        if now < self._next_open or self._closed.is_set():
            return False
        self._next_open = now + self.reconnect_interval
        import nfc

        try:
            clf = nfc.ContactlessFrontend(self.path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            self._offline(f"cannot open the NFC reader at {self.path}: {reason}")
            return False
        self._clf = clf
        with self._state:
            was = self._health
            self._name = str(clf)
            self._health = ReaderHealth(online=True)
        if not was.online:
            log.info("reader online reader=%s device=%s", self.path, self._name)
        return True

    def _offline(self, detail: str) -> None:
        self._shut()
        with self._state:
            was = self._health
            self._health = ReaderHealth(online=False, detail=detail)
        if was.online or was.detail != detail:
            log.warning("reader offline reader=%s detail=%r", self.path, detail)

    def _shut(self) -> None:
        clf, self._clf = self._clf, None
        if clf is not None:
            try:
                clf.close()
            except OSError as error:
                log.debug("closing reader=%s failed: %s", self.path, error)

    # ------------------------------------------------------------------ cards
    def _poll(self, deadline: float) -> Tap | None:
        """Poll until a new card comes or the deadline passes (at least once)."""
        watch = _PollWatch(self, deadline)
        swallowed = _SwallowedError()
        nfc_log = logging.getLogger("nfc.clf")
        nfc_log.addHandler(swallowed)
        try:
            found = self._clf.connect(
                rdwr={
                    "targets": ["106A"],
                    "iterations": 1,
                    "interval": POLL_INTERVAL,
                    "on-discover": watch.discovered,
                    "on-connect": lambda tag: False,
                    "beep-on-connect": False,
                },
                terminate=watch.terminate,
            )
        except OSError as error:
            self._offline(f"the NFC reader at {self.path} failed: {error}")
            return None
        except _GARBLED as error:
            log.warning("card answered garbage on activation reader=%s error=%r", self.path, error)
            return None
        finally:
            nfc_log.removeHandler(swallowed)
        if found is False:  # nfcpy caught an OSError of the device, logged it and gave up
            why = swallowed.text or "it stopped answering"
            self._offline(f"the NFC reader at {self.path} failed: {why}")
            return None
        if found is None:
            return None
        uid = bytes(found.identifier)
        self._tag = found
        if uid == self._held_uid:
            return None  # the same card, still held: wait for it to leave
        self._held_uid = uid
        log.info("card on reader reader=%s uid=%s", self.path, uid_tail(uid))
        return Tap(reader=self.name, uid=uid, channel=NfcChannel(self, found))

    def _still_there(self) -> bool:
        import nfc.tag

        try:
            return bool(self._tag.is_present)
        except nfc.tag.TagCommandError:
            return False
        except OSError as error:
            self._offline(f"the NFC reader at {self.path} failed: {error}")
            return False

    def _transmit(self, tag: Any, apdu: bytes) -> bytes:
        import nfc.clf
        import nfc.tag
        import nfc.tag.tt4

        with self._lock:
            if tag is None or tag is not self._tag or self._clf is None:
                raise ReaderError("the card of this tap is no longer on {reader}", reader=self.path)
            uid = bytes(tag.identifier)
            if apdu[:4] == GET_UID[:4]:
                return uid + b"\x90\x00"  # as a PC/SC reader does, from the anticollision
            if not isinstance(tag, nfc.tag.tt4.Type4Tag):
                raise ReaderError(
                    "the card on {reader} does not speak ISO 14443-4 ({kind})",
                    reader=self.path,
                    kind=type(tag).__name__,
                )
            try:
                answer = tag.transceive(bytearray(apdu))
            except (nfc.tag.TagCommandError, nfc.clf.CommunicationError) as error:
                raise ReaderError(
                    "the card on {reader} did not answer: {error}", reader=self.path, error=error
                ) from error
            except _GARBLED as error:
                raise ReaderError(
                    "the card on {reader} answered garbage: {error!r}",
                    reader=self.path,
                    error=error,
                ) from error
            except OSError as error:
                self._offline(f"the NFC reader at {self.path} failed: {error}")
                raise ReaderError(
                    "the NFC reader {reader} failed: {error}", reader=self.path, error=error
                ) from error
            if answer is None or len(answer) < 2:
                raise ReaderError(
                    "the card on {reader} answered {size} bytes, not an APDU answer",
                    reader=self.path,
                    size=0 if answer is None else len(answer),
                )
            log.debug(
                "apdu reader=%s uid=%s ins=%s sw=%s",
                self.path,
                uid_tail(uid),
                apdu[1:2].hex(),
                bytes(answer[-2:]).hex(),
            )
            return bytes(answer)


class _SwallowedError(logging.Handler):
    """Keeps the text of the device error nfcpy's ``connect`` logs (in this thread) and swallows."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.text = record.getMessage()


class _PollWatch:
    """nfcpy's callbacks for one connect call: stop at the deadline, and forget the held card
    as soon as one poll finds the field empty."""

    def __init__(self, reader: NfcReader, deadline: float) -> None:
        self.reader = reader
        self.deadline = deadline
        self.polls = 0
        self.seen = False

    def discovered(self, target: Any) -> bool:
        self.seen = True
        sel_res = target.sel_res
        return not (sel_res and sel_res[0] & 0x40)  # a phone offering peer-to-peer: not a card

    def terminate(self) -> bool:
        if self.polls and not self.seen:
            self.reader._held_uid = None
        self.polls += 1
        self.seen = False
        if self.reader._closed.is_set():
            return True
        return self.polls > 1 and time.monotonic() >= self.deadline
