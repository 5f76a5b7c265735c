"""An ISO-DEP card on nfcpy's udp driver: our stand-in for a pupil holding a card to an NFC reader.

nfcpy's udp driver carries the radio frames of a reader ("106A <hex>") as UDP datagrams. The
rig listens on a loopback port as a Type 4A card (ATQA 44 03, a 7-byte UID, SAK 20), answers
the reader's RATS with the ATS of a DESFire EV1, and then speaks ISO 14443-4 block by block:
I-blocks carry command APDUs to the card object and its answers back with the same block
number, R(NAK)/R(ACK) blocks (the reader's presence checks) are answered as ISO 14443-4 says,
and S(DESELECT) ends the session.

A card that is not on the reader keeps silent, which is all a reader can notice. The card's
behaviour lives in a card object (``uid``, ``respond(apdu)``); the rig only carries frames,
records the APDUs, and can be told to misbehave: answer garbage frames, or vanish after some
APDUs, as a card pulled away in the middle of a read.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import nfc
import nfc.clf

SENS_RES = bytes.fromhex("4403")
"""ATQA of a DESFire EV1 (double-size UID), as sent on air (least significant byte first)."""
SEL_RES = bytes.fromhex("20")
"""SAK: ISO 14443-4 compliant."""
DESFIRE_ATS = bytes.fromhex("067577810280")
"""ATS of a DESFire EV1: FSCI 5 (64-byte frames), FWI 8 (a frame waits ~77 ms), SFGI 1."""
SLICE = 0.1
"""How long the rig waits for a frame before it looks whether the card is still there."""
LISTEN = 1.0
"""How long one listen for a reader's poll lasts. nfcpy's udp driver rebinds the card's socket
for every listen, and a listen that ends in the middle of an anticollision loses the reader's
next frame (the reader then retries after a second), so a listen is long rather than short."""


class EmulatedCard(Protocol):
    """The chip behind the antenna: it answers command APDUs with data ‖ SW1 SW2."""

    @property
    def uid(self) -> bytes: ...

    def respond(self, apdu: bytes) -> bytes: ...


class UidCard:
    """The smallest ISO-DEP card: it has a UID and knows no application (SELECT → 6A 82)."""

    def __init__(self, uid: bytes) -> None:
        self.uid = uid

    def respond(self, apdu: bytes) -> bytes:
        if apdu[1:2] == b"\xa4":
            return b"\x6a\x82"
        return b"\x6d\x00"


def free_udp_port() -> int:
    """A UDP port nobody uses now (the driver binds the card side to all addresses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))  # the address nfcpy's udp driver binds the card side to
        return int(probe.getsockname()[1])


@dataclass(eq=False)
class _Placement:
    """One card on the reader, with the ways it is told to misbehave."""

    card: EmulatedCard
    garbage: bytes | None
    garbage_after: int
    vanish_after: int | None
    answered: int = 0


class NfcCardRig:
    """The card side of one udp "reader" at ``udp:127.0.0.1:<port>``: put cards on it, take away.

    ``apdus`` lists every command APDU the cards were sent since the last ``present``.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port if port is not None else free_udp_port()
        self.path = f"udp:127.0.0.1:{self.port}"
        self.apdus: list[bytes] = []
        self.sessions = 0
        """How many times a reader activated a card (RATS answered)."""
        self._placed: _Placement | None = None
        self._busy = False
        self._stopping = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"nfc-card-{self.port}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the test's side
    def present(
        self,
        card: EmulatedCard,
        *,
        garbage: bytes | None = None,
        garbage_after: int = 0,
        vanish_after: int | None = None,
    ) -> None:
        """Put ``card`` on the reader (taking away any card that is there).

        ``garbage``: from APDU number ``garbage_after`` on (0 = the first), answer this frame
        instead of the card's I-block. ``vanish_after``: after that many APDUs the card leaves
        and the next frame gets no answer, as a card pulled away in the middle of a read.
        """
        self.take_away()
        with self._cond:
            self.apdus = []
            self._placed = _Placement(card, garbage, garbage_after, vanish_after)
            self._cond.notify_all()
        deadline = time.monotonic() + 2.0
        while not self._listening() and time.monotonic() < deadline:
            time.sleep(0.001)  # a poll sent before the card listens is lost (a 1 s retry)

    def take_away(self, timeout: float = 5.0) -> None:
        """Take the card away; when this returns, nothing more is answered."""
        with self._cond:
            self._placed = None
            self._cond.notify_all()
            if self._busy:
                self._poke()
            self._cond.wait_for(lambda: not self._busy, timeout)

    def _listening(self) -> bool:
        """Whether the card's socket is bound (Linux lists bound UDP ports in /proc/net/udp)."""
        suffix = f":{self.port:04X}"
        with open("/proc/net/udp") as table:
            return any(line.split()[1].endswith(suffix) for line in list(table)[1:])

    @property
    def card_on_reader(self) -> bool:
        """Whether a card is there (a card that vanished by itself is not)."""
        with self._cond:
            return self._placed is not None

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._placed = None
            self._cond.notify_all()
            if self._busy:
                self._poke()
        self._thread.join(timeout=5)

    def _poke(self) -> None:
        """Wake a listening card at once: a frame that is no poll ends nfcpy's listen."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as poke:
            poke.sendto(b"106A 00", ("127.0.0.1", self.port))

    # ------------------------------------------------------------------ the card's side
    def _still(self, placed: _Placement) -> bool:
        with self._cond:
            return self._placed is placed and not self._stopping

    def _run(self) -> None:
        clf: Any = None
        try:
            while True:
                with self._cond:
                    if self._placed is None and clf is not None:
                        clf.close()  # no card, no socket: the reader's frames go nowhere
                        clf = None
                    self._busy = False
                    self._cond.notify_all()
                    self._cond.wait_for(lambda: self._stopping or self._placed is not None)
                    if self._stopping:
                        return
                    placed = self._placed
                    self._busy = True
                assert placed is not None
                if clf is None:
                    clf = nfc.ContactlessFrontend(self.path)
                self._session(clf, placed)
        finally:
            if clf is not None:
                clf.close()

    def _session(self, clf: Any, placed: _Placement) -> None:
        target = nfc.clf.LocalTarget("106A")
        target.sens_res = bytearray(SENS_RES)
        target.sdd_res = bytearray(placed.card.uid)
        target.sel_res = bytearray(SEL_RES)
        activated = clf.listen(target, LISTEN)
        if activated is None or not self._still(placed):
            return
        rats = activated.tt4_cmd
        if not rats or rats[0] != 0xE0:
            return  # a frame left over from an earlier session
        self.sessions += 1
        link = _IsoDepCard(self, placed)
        answer: bytes | None = DESFIRE_ATS
        while True:
            try:
                command = clf.exchange(answer, SLICE)
            except nfc.clf.BrokenLinkError:
                return  # the reader switched its field off
            except nfc.clf.CommunicationError:
                command = None
            if not self._still(placed):
                return
            if command is None:
                answer = None
                continue
            answer = link.answer(bytes(command))
            if link.deselected:
                clf.exchange(answer, 0)
                return
            if link.vanished:
                with self._cond:
                    if self._placed is placed:
                        self._placed = None
                return


class _IsoDepCard:
    """The card's half of ISO 14443-4 (no CID, no NAD), one session long."""

    def __init__(self, rig: NfcCardRig, placed: _Placement) -> None:
        self.rig = rig
        self.placed = placed
        self.block = 1  # the card's block number starts at 1 (ISO 14443-4, rule C)
        self.last: bytes | None = None
        self.chain = b""
        self.deselected = False
        self.vanished = False

    def answer(self, frame: bytes) -> bytes | None:
        pcb = frame[0]
        if pcb & 0xE2 == 0x02:  # I-block
            self.block = pcb & 1
            if pcb & 0x10:  # the reader chains: acknowledge and wait for the rest
                self.chain += frame[1:]
                return bytes([0xA2 | self.block])
            apdu, self.chain = self.chain + frame[1:], b""
            return self._apdu(apdu)
        if pcb & 0xE6 == 0xA2:  # R(ACK) or R(NAK)
            if pcb & 1 == self.block and self.last is not None:
                return self.last  # our answer was lost: send it again
            return bytes([0xA2 | self.block])
        if pcb & 0xF7 == 0xC2:  # S(DESELECT)
            self.deselected = True
            return bytes([0xC2])
        return None  # unknown frame: a card keeps silent

    def _apdu(self, apdu: bytes) -> bytes | None:
        placed = self.placed
        if placed.vanish_after is not None and placed.answered >= placed.vanish_after:
            self.vanished = True
            return None
        self.rig.apdus.append(apdu)
        garbage = placed.garbage is not None and placed.answered >= placed.garbage_after
        placed.answered += 1
        if garbage:
            assert placed.garbage is not None
            self.last = placed.garbage
        else:
            self.last = bytes([0x02 | self.block]) + placed.card.respond(apdu)
        return self.last
