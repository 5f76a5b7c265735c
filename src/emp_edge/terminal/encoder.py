"""The card station's encoder: a blank DESFire chip becomes one of the school's cards.

``encode_chip`` writes the chip through any ``CardChannel``::

    select the card level (000000)
    ──▶ CreateApplication(AID, KS1 09, 2 AES keys)        (taken: "use a new blank")
    ──▶ select the application ──▶ AuthenticateAES key 0 (the blank's zero key)
    ──▶ ChangeKey 1 to the read key (AN10922, from the master key, the UID and the AID)
    ──▶ CreateStdDataFile 1 (16 bytes, plain, read free, write key 0)
    ──▶ CreateStdDataFile 2 (32 bytes, MACed, read key 1, write key 0)
    ──▶ WriteData 1 = the issuer file ──▶ WriteData 2 = record body ‖ record MAC (MACed)
    ──▶ ChangeKey 0 to the application master key (last: it ends the session)

and then reads the chip back exactly as a terminal does (``read_school_card``, a new tap on
the same chip): it must prove its key and hold the record just written, or the chip is refused.

``PcscEncoder`` is the station's PC/SC reader (through pcscd); ``SimulatedEncoder`` writes
fresh emulated blanks for the demo and the tests. Both run ``encode_chip``. Failures are
``ReaderError`` (subclasses below for the cases the station tells apart); a full chip UID is
never logged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Final, Protocol

from emp_edge.domain.taps import ISSUER_SIZE, RECORD_SIZE, CardRecord, issuer_file
from emp_edge.errors import ReaderError
from emp_edge.terminal.authenticity import CardKeys, read_school_card
from emp_edge.terminal.desfire import APPLICATION_MASTER_KEY, ISSUER_FILE, READ_KEY, RECORD_FILE
from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.desfire.crypto import application_master_key, read_key, record_mac
from emp_edge.terminal.desfire.session import DesfireSession, DesfireStatus, Status
from emp_edge.terminal.desfire.setup import (
    BLANK_KEY,
    ISSUER_ACCESS,
    RECORD_ACCESS,
    SCHOOL_KEY_COUNT,
    SCHOOL_KEY_SETTINGS,
    SCHOOL_KEY_VERSION,
    CommMode,
    change_key,
    create_application,
    create_std_data_file,
    write_data,
)
from emp_edge.terminal.readers.pcsc import PcscReader
from emp_edge.terminal.readers.port import CardChannel, Tap, uid_tail
from emp_edge.terminal.readers.simulated import EmulatedChannel

log = logging.getLogger(__name__)

CARD_LEVEL: Final = bytes(3)
"""The AID that selects the card itself (the PICC)."""
ENCODER: Final = "encoder"
"""The reader name of the read-back tap."""


class ChipAlreadyEncodedError(ReaderError):
    """The chip already holds the school application: it was encoded before."""

    def __init__(self) -> None:
        super().__init__("the chip already holds the school application: use a new blank")


class ChipNotBlankError(ReaderError):
    """The chip does not let an application be created without its own key."""

    def __init__(self, status: int) -> None:
        super().__init__(
            "the chip refuses a new application (status {status}): it is not a blank card",
            status=f"{status:02X}",
        )


class ChipReadBackError(ReaderError):
    """The chip written does not read back as the card it should now be."""


class NoCardOnEncoderError(ReaderError):
    """No card came to the encoder in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__("no card was laid on the encoder in {seconds} s", seconds=f"{seconds:g}")


class EncoderOfflineError(ReaderError):
    """The encoder's reader is not there (pcscd stopped, reader unplugged)."""

    def __init__(self, reader: str) -> None:
        super().__init__("the encoder reader {reader!r} is not connected", reader=reader)


class CardEncoder(Protocol):
    """Writes the school application and a card's record onto the chip of a printed card."""

    def encode(self, record: CardRecord) -> bytes:
        """The UID of the chip written and read back verified; ReaderError (or a subclass)
        saying why when no card came, the chip already holds the application, a write failed
        or the read-back failed."""
        ...


# ---------------------------------------------------------------- writing one chip


def encode_chip(channel: CardChannel, uid: bytes, keys: CardKeys, record: CardRecord) -> None:
    """Make the blank chip behind ``channel`` (with this UID) the school's card holding
    ``record``, then read it back as a terminal does. ReaderError when anything fails."""
    body = record.body()  # a record that cannot be written fails before the chip is touched
    master_key = application_master_key(keys.master, uid, keys.aid, keys.school_code)
    session = DesfireSession(channel)
    session.select_application(CARD_LEVEL)
    try:
        create_application(session, keys.aid, SCHOOL_KEY_SETTINGS, SCHOOL_KEY_COUNT)
    except DesfireStatus as err:
        if err.status == Status.DUPLICATE_ERROR:
            raise ChipAlreadyEncodedError() from None
        if err.status in (Status.AUTHENTICATION_ERROR, Status.PERMISSION_DENIED):
            raise ChipNotBlankError(err.status) from None
        raise
    session.select_application(keys.aid)
    session.authenticate_aes(APPLICATION_MASTER_KEY, BLANK_KEY)
    new_read_key = read_key(keys.master, uid, keys.aid, keys.school_code)
    change_key(session, READ_KEY, new_read_key, SCHOOL_KEY_VERSION, old_key=BLANK_KEY)
    create_std_data_file(session, ISSUER_FILE, CommMode.PLAIN, ISSUER_ACCESS, ISSUER_SIZE)
    create_std_data_file(session, RECORD_FILE, CommMode.MACED, RECORD_ACCESS, RECORD_SIZE)
    write_data(session, ISSUER_FILE, issuer_file(keys.school_code))
    mac = record_mac(keys.master, uid, keys.aid, body)
    write_data(session, RECORD_FILE, body + mac, comm=CommMode.MACED)
    change_key(session, APPLICATION_MASTER_KEY, master_key, SCHOOL_KEY_VERSION)
    verify_chip(channel, uid, keys, record)
    log.info("chip encoded uid=%s card=%s", uid_tail(uid), record.card_id)


def verify_chip(channel: CardChannel, uid: bytes, keys: CardKeys, record: CardRecord) -> None:
    """Read the chip as a terminal does; ChipReadBackError unless it proves itself and holds
    ``record``."""
    read = read_school_card(Tap(reader=ENCODER, uid=uid, channel=channel), keys)
    if read.refusal is not None:
        raise ChipReadBackError(
            "the chip written does not read back as a school card ({reason})",
            reason=read.refusal.value,
        )
    if read.record != record:
        raise ChipReadBackError("the chip read back holds another record than the one written")


# ---------------------------------------------------------------- the station's PC/SC reader


class PcscEncoder:
    """The card station's PC/SC reader (found by a part of its name), writing one card at a time.

    Each ``encode`` waits up to ``wait_s`` seconds for a card newly laid on the reader (the card
    of the last encode, still lying there, does not count again), writes and verifies it, and
    lets it go (an ACR122-type reader beeps green or red). pcscd is reached on first use and
    found again by itself after a restart.
    """

    def __init__(self, reader_pattern: str, keys: CardKeys, wait_s: float) -> None:
        self.reader_pattern = reader_pattern
        self.keys = keys
        self.wait_s = wait_s
        self._reader: PcscReader | None = None
        self._lock = threading.Lock()

    def encode(self, record: CardRecord) -> bytes:
        record.body()  # a record that cannot be written fails before waiting for a card
        with self._lock:
            if self._reader is None:
                self._reader = PcscReader(self.reader_pattern, reconnect_interval=0.5)
            reader = self._reader
            tap = self._next_card(reader)
            written = False
            try:
                encode_chip(tap.channel, tap.uid, self.keys, record)
                written = True
            finally:
                reader.done(tap, written)
            return tap.uid

    def _next_card(self, reader: PcscReader) -> Tap:
        deadline = time.monotonic() + self.wait_s
        while (left := deadline - time.monotonic()) > 0:
            tap = reader.next_tap(left)
            if tap is not None:
                return tap
        health = reader.health()
        if not health.online:
            log.warning("encoder offline pattern=%r detail=%r", self.reader_pattern, health.detail)
            raise EncoderOfflineError(self.reader_pattern)
        raise NoCardOnEncoderError(self.wait_s)

    def close(self) -> None:
        """Let go of the reader and pcscd."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()


# ---------------------------------------------------------------- the demo's emulated chips


class SimulatedEncoder:
    """Writes a fresh emulated blank chip for every card, through the same ``encode_chip``.

    The chips it wrote stay in ``cards`` (by UID), so the demo can lay them on a simulated
    terminal reader.
    """

    def __init__(self, keys: CardKeys) -> None:
        self.keys = keys
        self.cards: dict[bytes, EmulatedDesfireCard] = {}
        self._lock = threading.Lock()

    def encode(self, record: CardRecord) -> bytes:
        with self._lock:
            uid = self._new_uid()
            chip = EmulatedDesfireCard(uid)
            encode_chip(EmulatedChannel(chip), uid, self.keys, record)
            self.cards[uid] = chip
            return uid

    def _new_uid(self) -> bytes:
        """A random 7-byte NXP UID (04 …) no chip of this encoder has."""
        while (uid := b"\x04" + os.urandom(6)) in self.cards:
            continue
        return uid
