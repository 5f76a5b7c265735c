"""A virtual card on a virtual reader: our stand-in for a pupil holding a card to a PC/SC reader.

pcscd's vpcd driver offers each virtual reader slot as a TCP port. Connecting to that port is
putting a card on the reader; closing the connection is taking it away. Every message either
way is a 2-byte big-endian length and a payload. A 1-byte payload from the reader is a control
byte (power off, power on, reset, or "send your ATR"); a longer one is a command APDU, answered
with data ‖ SW1 SW2. The card's behaviour lives in a card object (``uid``, ``atr``,
``respond(apdu)``); the slot only carries bytes, records every APDU it was sent, and can be told
to misbehave: answer garbage, or drop the connection after some APDUs, as a card pulled away in
the middle of a read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Protocol

POWER_OFF = 0
POWER_ON = 1
RESET = 2
GET_ATR = 4

DESFIRE_ATR = bytes.fromhex("3B8180018080")
"""What an ACR122U reports as the ATR of a DESFire card."""


class VirtualCard(Protocol):
    """The chip: answers command APDUs as a card (and, on vpcd, as the reader's firmware) would."""

    @property
    def uid(self) -> bytes: ...

    @property
    def atr(self) -> bytes: ...

    def respond(self, apdu: bytes) -> bytes: ...


@dataclass
class UidCard:
    """The smallest card: it knows its UID and answers the reader's GET UID, nothing else.

    It answers the ACR122U LED/buzzer command as that reader does (90 00), so feedback can be
    seen in a slot's log.
    """

    uid: bytes
    atr: bytes = DESFIRE_ATR

    def respond(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes.fromhex("FFCA0000"):
            return self.uid + b"\x90\x00"
        if apdu[:3] == bytes.fromhex("FF0040"):
            return b"\x90\x00"
        return b"\x6d\x00"


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class VpcdSlot:
    """One slot of a vpcd reader, seen from the card's side: put a card on it, take it away.

    ``apdus`` lists every command APDU the card was sent since the last ``insert``.
    """

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def inserted(self) -> bool:
        """Whether a card is connected (it may have dropped itself after ``drop_after``)."""
        return self._thread is not None and self._thread.is_alive()

    def insert(
        self,
        card: VirtualCard,
        *,
        garbage: bytes | None = None,
        garbage_after: int = 0,
        drop_after: int | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Put ``card`` on the reader.

        ``garbage``: from APDU number ``garbage_after`` (0 = the first) on, answer these bytes
        instead of the card's answer. ``drop_after``: after answering that many APDUs, close the
        connection when the next one comes, as a card pulled away in the middle of a read.
        An empty answer is refused: vpcd waits for ever on one, and pcscd with it.
        """
        if garbage == b"":
            raise ValueError("an empty answer hangs vpcd; give at least one byte of garbage")
        self.remove()
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.apdus = []
            self._sock = sock
        self._thread = threading.Thread(
            target=self._serve,
            args=(sock, card, garbage, garbage_after, drop_after),
            name=f"vpcd-card-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def remove(self) -> None:
        """Take the card away (nothing happens when there is none)."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _serve(
        self,
        sock: socket.socket,
        card: VirtualCard,
        garbage: bytes | None,
        garbage_after: int,
        drop_after: int | None,
    ) -> None:
        answered = 0
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    return
                message = _recv_exact(sock, int.from_bytes(header, "big"))
                if message is None:
                    return
                if len(message) == 1:
                    if message[0] == GET_ATR:
                        self._send(sock, card.atr)
                    continue  # power off / on / reset need no answer
                if drop_after is not None and answered >= drop_after:
                    return
                with self._lock:
                    self.apdus.append(message)
                answer = card.respond(message)
                if garbage is not None and answered >= garbage_after:
                    answer = garbage
                self._send(sock, answer)
                answered += 1
        except OSError:
            return  # removed while talking
        finally:
            with self._lock:
                if self._sock is sock:
                    self._sock = None
            sock.close()

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(len(payload).to_bytes(2, "big") + payload)
