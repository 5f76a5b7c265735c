"""The card's side: an emulated DESFire EV1 chip that speaks the same protocol as a real one.

The simulated reader puts one on the reader for the demo and the tap simulator, and the tests
build genuine cards, clones and forgeries with it. It holds applications with AES keys and
standard data files, and answers, inside ISO 7816 APDUs, SelectApplication, AuthenticateAES,
ReadData and GetVersion exactly as the terminal's session expects of a real card — including
the CMAC chain after authentication, so a card that does not hold its key is caught. A card made
with no applications is a factory-fresh blank: the card station's encoder sets it up with
CreateApplication, ChangeKey, CreateStdDataFile and WriteData (``card_setup.py``).

Besides the card, it answers what a PC/SC reader answers for itself: the UID pseudo-APDU
``FF CA 00 00 00`` and the ACR122-type buzzer/LED command ``FF 00 40 …``, which it keeps in
``reader_signals`` so a test can see what the terminal signalled.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from emp_edge.domain.taps import CardRecord, issuer_file

from . import APPLICATION_MASTER_KEY, ISSUER_FILE, READ_KEY, RECORD_FILE
from .card_setup import FRESH_KEY_SETTINGS, SETUP_COMMANDS, SetupCommands
from .crypto import (
    BLOCK,
    ZERO_IV,
    application_master_key,
    cbc_decrypt,
    cbc_encrypt,
    desfire_cmac,
    read_key,
    record_mac,
    rotate_left,
)
from .session import CMAC_SIZE, Ins, Status
from .setup import DENIED as DENIED
from .setup import FREE as FREE
from .setup import (
    ISSUER_ACCESS,
    RECORD_ACCESS,
    SCHOOL_KEY_SETTINGS,
    SCHOOL_KEY_VERSION,
    AccessRights,
)
from .setup import CommMode as CommMode

DEFAULT_ATR: Final = bytes.fromhex("3B8180018080")
FRAME_SIZE: Final = 59
"""The most data bytes a DESFire EV1 answer frame carries."""
HARDWARE: Final = bytes.fromhex("04010101001805")  # NXP, DESFire, EV1, 4 kB, ISO 14443-2/3
SOFTWARE: Final = bytes.fromhex("04010101041805")
BATCH: Final = bytes.fromhex("BA45193001")
PRODUCED: Final = bytes.fromhex("4026")  # week 40 of 2026, in BCD

SW_OK: Final = b"\x90\x00"
SW_WRONG_LENGTH: Final = b"\x67\x00"
SW_WRONG_P1P2: Final = b"\x6a\x86"
SW_NO_INS: Final = b"\x6d\x00"
SW_NO_CLASS: Final = b"\x6e\x00"

Random = Callable[[int], bytes]


@dataclass
class DataFile:
    """A standard data file; ``read``, ``write``, ``read_write`` and ``change`` are its access
    nibbles (key number, FREE or DENIED).

    Reads answer alike in plain and MACed mode (with a CMAC whenever a session is
    authenticated); enciphered mode is not emulated.
    """

    data: bytearray
    comm: CommMode = CommMode.PLAIN
    read: int = FREE
    write: int = DENIED
    read_write: int = DENIED
    change: int = DENIED


@dataclass
class Application:
    """An AES application: its keys (index = key number), their versions (00 unless set), its
    key settings (KS1) and its files."""

    keys: list[bytes]
    files: dict[int, DataFile] = field(default_factory=dict)
    key_settings: int = FRESH_KEY_SETTINGS
    versions: dict[int, int] = field(default_factory=dict)


@dataclass
class _Auth:
    key_no: int
    session_key: bytes
    iv: bytes


@dataclass
class _Challenge:
    key_no: int
    key: bytes
    rnd_b: bytes
    rnd_b_enc: bytes


class EmulatedDesfireCard(SetupCommands):
    """A DESFire EV1 chip with AES applications, answering ISO 7816-wrapped native commands."""

    def __init__(self, uid: bytes, atr: bytes = DEFAULT_ATR, *, rnd: Random = os.urandom) -> None:
        self.uid = uid
        self.atr = atr
        self.rnd = rnd
        self.applications: dict[bytes, Application] = {}
        self.picc_key_settings = FRESH_KEY_SETTINGS
        self.reader_signals: list[bytes] = []
        self._lock = threading.Lock()
        self._selected: Application | None = None
        self._auth: _Auth | None = None
        self._challenge: _Challenge | None = None
        self._frames: list[bytes] = []

    # ------------------------------------------------------------------ building
    def add_application(self, aid: bytes, keys: list[bytes]) -> Application:
        """A new application (AID as written) with these AES keys."""
        if len(aid) != 3 or aid == bytes(3):
            raise ValueError("an application AID is 3 bytes, not 000000")
        if not 1 <= len(keys) <= 14 or any(len(k) != BLOCK for k in keys):
            raise ValueError("an AES application has 1 to 14 keys of 16 bytes")
        app = Application(list(keys))
        self.applications[aid] = app
        return app

    def add_file(
        self,
        aid: bytes,
        file_no: int,
        data: bytes,
        *,
        comm: CommMode = CommMode.PLAIN,
        read: int = FREE,
        write: int = DENIED,
        read_write: int = DENIED,
        change: int = DENIED,
    ) -> DataFile:
        """A standard data file holding ``data`` in the application ``aid``."""
        access = (read, write, read_write, change)
        if not 0 <= file_no <= 31 or not all(0 <= n <= 0xF for n in access):
            raise ValueError("file numbers are 0 to 31 and access nibbles 0 to F")
        file = DataFile(bytearray(data), comm, *access)
        self.applications[aid].files[file_no] = file
        return file

    def file(self, aid: bytes, file_no: int) -> DataFile:
        return self.applications[aid].files[file_no]

    # ------------------------------------------------------------------ answering
    def respond(self, apdu: bytes) -> bytes:
        """The card's (or the reader's) answer to one APDU: data ‖ SW1 SW2."""
        with self._lock:
            if len(apdu) < 5:
                return SW_WRONG_LENGTH
            if apdu[0] == 0xFF:
                return self._reader_command(apdu)
            if apdu[0] != 0x90:
                return SW_NO_CLASS
            if apdu[2:4] != b"\0\0":
                return SW_WRONG_P1P2
            lc = apdu[4] if len(apdu) > 5 else 0
            if len(apdu) != (6 + lc if lc else 5):
                return SW_WRONG_LENGTH
            status, data = self._native(apdu[1], apdu[5 : 5 + lc])
            return data + bytes([0x91, status])

    def _reader_command(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xCA:
            return self.uid + SW_OK if apdu[2] == 0 else SW_WRONG_P1P2
        if apdu[1] == 0x00 and apdu[2] == 0x40:
            self.reader_signals.append(bytes(apdu))
            return SW_OK
        return SW_NO_INS

    def _native(self, ins: int, data: bytes) -> tuple[int, bytes]:
        if ins == Ins.MORE:
            if self._challenge is not None:
                return self._authenticate_answer(data)
            if self._frames:
                return self._next_frame()
            return self._fail(Status.ILLEGAL_COMMAND)
        self._challenge = None
        self._frames = []
        if ins in SETUP_COMMANDS:
            return self._setup_command(ins, data)
        if ins == Ins.SELECT_APPLICATION:
            return self._select(data)
        if ins == Ins.AUTHENTICATE_AES:
            return self._authenticate(data)
        if self._auth is not None:  # the card follows the reader's CMAC chain
            self._auth.iv = desfire_cmac(self._auth.session_key, self._auth.iv, bytes([ins]) + data)
        if ins == Ins.READ_DATA:
            return self._read_data(data)
        if ins == Ins.GET_VERSION:
            return self._get_version(data)
        return self._fail(Status.ILLEGAL_COMMAND)

    def _fail(self, status: int) -> tuple[int, bytes]:
        """An error status: bare, and the authentication is over."""
        self._auth = None
        self._challenge = None
        self._frames = []
        return status, b""

    def _reply(self, data: bytes, cuts: tuple[int, ...] = ()) -> tuple[int, bytes]:
        """A successful answer: CMAC appended when authenticated, cut into frames."""
        if self._auth is not None:
            mac = desfire_cmac(self._auth.session_key, self._auth.iv, data + b"\x00")
            self._auth.iv = mac
            data += mac[:CMAC_SIZE]
        frames: list[bytes] = []
        for cut in cuts:
            frames.append(data[:cut])
            data = data[cut:]
        while len(data) > FRAME_SIZE:
            frames.append(data[:FRAME_SIZE])
            data = data[FRAME_SIZE:]
        frames.append(data)
        self._frames = frames
        return self._next_frame()

    def _next_frame(self) -> tuple[int, bytes]:
        frame = self._frames.pop(0)
        return (Status.ADDITIONAL_FRAME if self._frames else Status.OK), frame

    # ------------------------------------------------------------------ commands
    def _select(self, data: bytes) -> tuple[int, bytes]:
        self._auth = None
        if len(data) != 3:
            return self._fail(Status.LENGTH_ERROR)
        aid = data[::-1]
        if aid == bytes(3):
            self._selected = None
            return Status.OK, b""
        self._selected = self.applications.get(aid)
        if self._selected is None:
            return self._fail(Status.APPLICATION_NOT_FOUND)
        return Status.OK, b""

    def _authenticate(self, data: bytes) -> tuple[int, bytes]:
        self._auth = None
        if len(data) != 1:
            return self._fail(Status.LENGTH_ERROR)
        keys = self._selected.keys if self._selected is not None else []
        key_no = data[0]
        if key_no >= len(keys):
            return self._fail(Status.NO_SUCH_KEY)
        rnd_b = self.rnd(BLOCK)
        if len(rnd_b) != BLOCK:
            raise ValueError("the card's random source gave the wrong length")
        rnd_b_enc = cbc_encrypt(keys[key_no], ZERO_IV, rnd_b)
        self._challenge = _Challenge(key_no, keys[key_no], rnd_b, rnd_b_enc)
        return Status.ADDITIONAL_FRAME, rnd_b_enc

    def _authenticate_answer(self, data: bytes) -> tuple[int, bytes]:
        challenge, self._challenge = self._challenge, None
        assert challenge is not None
        if len(data) != 2 * BLOCK:
            return self._fail(Status.LENGTH_ERROR)
        plain = cbc_decrypt(challenge.key, challenge.rnd_b_enc, data)
        rnd_a, rnd_b_rotated = plain[:BLOCK], plain[BLOCK:]
        if rnd_b_rotated != rotate_left(challenge.rnd_b):
            return self._fail(Status.AUTHENTICATION_ERROR)
        rnd_b = challenge.rnd_b
        session_key = rnd_a[:4] + rnd_b[:4] + rnd_a[12:] + rnd_b[12:]
        self._auth = _Auth(challenge.key_no, session_key, ZERO_IV)
        return Status.OK, cbc_encrypt(challenge.key, data[-BLOCK:], rotate_left(rnd_a))

    def _read_data(self, data: bytes) -> tuple[int, bytes]:
        if len(data) != 7:
            return self._fail(Status.LENGTH_ERROR)
        app = self._selected
        file = app.files.get(data[0]) if app is not None else None
        if file is None:
            return self._fail(Status.FILE_NOT_FOUND)
        keys = {file.read, file.read_write}
        if keys == {DENIED}:
            return self._fail(Status.PERMISSION_DENIED)
        if FREE not in keys and (self._auth is None or self._auth.key_no not in keys):
            return self._fail(Status.AUTHENTICATION_ERROR)
        offset = int.from_bytes(data[1:4], "little")
        length = int.from_bytes(data[4:7], "little")
        size = len(file.data)
        if offset >= size or offset + length > size:
            return self._fail(Status.BOUNDARY_ERROR)
        end = offset + length if length else size
        return self._reply(bytes(file.data[offset:end]))

    def _get_version(self, data: bytes) -> tuple[int, bytes]:
        if data:
            return self._fail(Status.LENGTH_ERROR)
        production = self.uid.ljust(7, b"\0")[:7] + BATCH + PRODUCED
        return self._reply(HARDWARE + SOFTWARE + production, cuts=(7, 7))


# ---------------------------------------------------------------- the school's cards


class SchoolKeys(Protocol):
    """What a card is keyed with: the school's master key, application id and school code."""

    @property
    def master(self) -> bytes: ...
    @property
    def aid(self) -> bytes: ...
    @property
    def school_code(self) -> str: ...


def school_card(
    uid: bytes,
    keys: SchoolKeys,
    record: CardRecord,
    *,
    keyed_for: bytes | None = None,
    rnd: Random = os.urandom,
) -> EmulatedDesfireCard:
    """A genuine card of the school as the card station writes it, on a chip with this UID.

    ``keyed_for`` writes keys and record MAC made for another UID (a genuine card's content
    copied onto another chip): a forgery the terminal must refuse.
    """
    made_for = uid if keyed_for is None else keyed_for
    card = EmulatedDesfireCard(uid, rnd=rnd)
    key0 = application_master_key(keys.master, made_for, keys.aid, keys.school_code)
    key1 = read_key(keys.master, made_for, keys.aid, keys.school_code)
    slots = [bytes(BLOCK)] * 2
    slots[APPLICATION_MASTER_KEY], slots[READ_KEY] = key0, key1
    app = card.add_application(keys.aid, slots)
    app.key_settings = SCHOOL_KEY_SETTINGS
    app.versions = dict.fromkeys(range(len(slots)), SCHOOL_KEY_VERSION)
    _add_school_file(card, keys.aid, ISSUER_FILE, issuer_file(keys.school_code), ISSUER_ACCESS)
    body = record.body()
    mac = record_mac(keys.master, made_for, keys.aid, body)
    _add_school_file(card, keys.aid, RECORD_FILE, body + mac, RECORD_ACCESS, CommMode.MACED)
    return card


def _add_school_file(
    card: EmulatedDesfireCard,
    aid: bytes,
    file_no: int,
    data: bytes,
    access: AccessRights,
    comm: CommMode = CommMode.PLAIN,
) -> None:
    card.add_file(
        aid,
        file_no,
        data,
        comm=comm,
        read=access.read,
        write=access.write,
        read_write=access.read_write,
        change=access.change,
    )


def clone(card: EmulatedDesfireCard, *, rnd: Random = os.urandom) -> EmulatedDesfireCard:
    """What a copier makes of a card: same UID, same file bytes, keys it could not read."""
    copy = EmulatedDesfireCard(card.uid, card.atr, rnd=rnd)
    for aid, app in card.applications.items():
        copy.add_application(aid, [rnd(BLOCK) for _ in app.keys])
        for no, file in app.files.items():
            copy.add_file(
                aid,
                no,
                bytes(file.data),
                comm=file.comm,
                read=file.read,
                write=file.write,
                read_write=file.read_write,
                change=file.change,
            )
    return copy
