"""The card station's side of setting up a DESFire EV1 chip, and the words both sides share.

The commands that make a blank chip one of the school's cards, each sent through a
``DesfireSession`` (native command in an ISO 7816 APDU; ``‖`` joins bytes, LE = least
significant byte first)::

    CreateApplication  CA  AID (3, LE) ‖ KS1 ‖ KS2 = 80 | number of keys (AES)
    ChangeKey          C4  keyNo ‖ E(session key, IV, cryptogram padded with 00 to 32 bytes)
                           the key that authenticated:  new key ‖ version ‖ CRC32(C4 ‖ keyNo ‖
                           new key ‖ version); another key: (new ⊕ old) ‖ version ‖ CRC32(C4 ‖
                           keyNo ‖ new ⊕ old ‖ version) ‖ CRC32(new key)
    CreateStdDataFile  CD  fileNo ‖ comm mode ‖ access rights (2, LE) ‖ size (3, LE)
    WriteData          3D  fileNo ‖ offset (3, LE) ‖ length (3, LE) ‖ data [‖ CMAC8 when MACed]

The IV chain: a plain command moves it with its CMAC (not sent), a MACed WriteData with the
CMAC it carries, an enciphered ChangeKey with its last ciphertext block; the card's answer
``00 ‖ CMAC8`` (CMAC over its data ‖ 00) moves it again. ChangeKey of the key that
authenticated is answered with a bare status and ends the authentication.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from . import APPLICATION_MASTER_KEY, READ_KEY
from .crypto import BLOCK, crc32, xor
from .session import CMAC_SIZE, DesfireSession, Ins

FREE: Final = 0xE
"""Access nibble: free access."""
DENIED: Final = 0xF
"""Access nibble: never."""
AES_KEYS: Final = 0x80
"""KS2's key type bits for AES keys."""
MAX_FRAME_DATA: Final = 59
"""The most data bytes one native command frame carries (after its INS byte)."""
_WRITE_HEADER: Final = 7


class CommMode(IntEnum):
    """How a file's data travel: plain, or with a CMAC (enciphered is not used by the school)."""

    PLAIN = 0x00
    MACED = 0x01


@dataclass(frozen=True)
class AccessRights:
    """A file's access rights: for each of read, write, read&write and change, the key number
    that allows it, FREE or DENIED."""

    read: int
    write: int
    read_write: int
    change: int

    def __post_init__(self) -> None:
        if not all(0 <= n <= 0xF for n in (self.read, self.write, self.read_write, self.change)):
            raise ValueError("an access right is a key number 0 to 13, FREE or DENIED")

    def encode(self) -> bytes:
        """The 2 bytes of CreateStdDataFile: ``read<<12 | write<<8 | rw<<4 | change``, LE."""
        value = self.read << 12 | self.write << 8 | self.read_write << 4 | self.change
        return value.to_bytes(2, "little")

    @classmethod
    def decode(cls, raw: bytes) -> AccessRights:
        if len(raw) != 2:
            raise ValueError("access rights are 2 bytes")
        value = int.from_bytes(raw, "little")
        return cls(value >> 12, value >> 8 & 0xF, value >> 4 & 0xF, value & 0xF)


# ---------------------------------------------------------------- the school application

SCHOOL_KEY_SETTINGS: Final = 0x09
"""KS1 of the school application. Bit 0 = 1: key 0 may be changed (authenticated with key 0);
bit 1 = 0: listing files and their settings needs key 0; bit 2 = 0: creating and deleting files
needs key 0; bit 3 = 1: these settings may be changed with key 0; bits 4–7 = 0: changing any key
needs key 0. So only the card station, which alone can derive key 0, can change the
application; a terminal with key 1 can only read."""
SCHOOL_KEY_COUNT: Final = 2
"""Key 0 (the application master key) and key 1 (the read key)."""
SCHOOL_KEY_VERSION: Final = 0x01
"""The version the school's diversified keys are written with (a new application's are 00)."""
BLANK_KEY: Final = bytes(BLOCK)
"""Every key of a new AES application: all zero."""
ISSUER_ACCESS: Final = AccessRights(
    read=FREE, write=APPLICATION_MASTER_KEY, read_write=DENIED, change=APPLICATION_MASTER_KEY
)
"""File 1, the issuer file: anyone reads it; only key 0 writes it or changes its settings."""
RECORD_ACCESS: Final = AccessRights(
    read=READ_KEY, write=APPLICATION_MASTER_KEY, read_write=DENIED, change=APPLICATION_MASTER_KEY
)
"""File 2, the card record: read with key 1; only key 0 writes it or changes its settings."""


# ---------------------------------------------------------------- commands


def _le3(value: int, what: str) -> bytes:
    if not 0 <= value < 1 << 24:
        raise ValueError(f"the {what} must fit in 3 bytes")
    return value.to_bytes(3, "little")


def create_application(
    session: DesfireSession, aid: bytes, key_settings: int, key_count: int
) -> None:
    """Create an AES application (AID as written) on the card; the card level must be
    selected. Its keys are all zero, version 00."""
    if len(aid) != 3 or aid == bytes(3):
        raise ValueError("an application AID is 3 bytes, not 000000")
    if not 0 <= key_settings <= 0xFF or not 1 <= key_count <= 14:
        raise ValueError("KS1 is one byte and an application has 1 to 14 keys")
    params = aid[::-1] + bytes([key_settings, AES_KEYS | key_count])
    name = f"CreateApplication {aid.hex().upper()}"
    session.command(Ins.CREATE_APPLICATION, params, name=name, size=0)


def change_key_cryptogram(
    key_no: int, new_key: bytes, version: int, old_key: bytes | None = None
) -> bytes:
    """The plain cryptogram of ChangeKey, padded to 32 bytes: for the key that authenticated
    when ``old_key`` is None, otherwise for another key (whose current key is ``old_key``)."""
    if len(new_key) != BLOCK or (old_key is not None and len(old_key) != BLOCK):
        raise ValueError("AES keys are 16 bytes")
    if not 0 <= version <= 0xFF or not 0 <= key_no <= 13:
        raise ValueError("a key version is one byte and a key number 0 to 13")
    head = bytes([Ins.CHANGE_KEY, key_no])
    if old_key is None:
        body = new_key + bytes([version])
        body += crc32(head + body)
    else:
        body = xor(new_key, old_key) + bytes([version])
        body += crc32(head + body) + crc32(new_key)
    return body.ljust(2 * BLOCK, b"\0")


def change_key(
    session: DesfireSession,
    key_no: int,
    new_key: bytes,
    version: int,
    old_key: bytes | None = None,
) -> None:
    """Change key ``key_no`` of the selected application to ``new_key``.

    Changing the key the session authenticated with needs no ``old_key`` and ends the
    authentication; changing another key needs its current key (a wrong one: the card
    answers 1E and keeps its key).
    """
    if not session.authenticated:
        raise ValueError("ChangeKey needs an authenticated session")
    own = key_no == session.key_no
    if not own and old_key is None:
        raise ValueError("changing another key needs its current key")
    cryptogram = change_key_cryptogram(key_no, new_key, version, None if own else old_key)
    name = f"ChangeKey of key {key_no}"
    sent = bytes([key_no]) + session.encipher(cryptogram)
    session.transceive(Ins.CHANGE_KEY, sent, name=name, size=0, ends_session=own)


def create_std_data_file(
    session: DesfireSession, file_no: int, comm: CommMode, access: AccessRights, size: int
) -> None:
    """Create a standard data file of ``size`` bytes (all zero) in the selected application."""
    if not 0 <= file_no <= 31 or size < 1:
        raise ValueError("a file number is 0 to 31 and a file holds at least one byte")
    params = bytes([file_no, comm]) + access.encode() + _le3(size, "file size")
    name = f"CreateStdDataFile {file_no}"
    session.command(Ins.CREATE_STD_DATA_FILE, params, name=name, size=0)


def write_data(
    session: DesfireSession,
    file_no: int,
    data: bytes,
    *,
    offset: int = 0,
    comm: CommMode = CommMode.PLAIN,
) -> None:
    """Write ``data`` into a standard data file from ``offset``, in the file's comm mode.

    Data longer than one frame holds go as several WriteData commands, one after the other
    (as a real reader library does); MACed, each carries its own CMAC.
    """
    if not 0 <= file_no <= 31 or not data:
        raise ValueError("a file number is 0 to 31, and there must be data to write")
    if comm == CommMode.MACED and not session.authenticated:
        raise ValueError("a MACed write needs an authenticated session")
    chunk = MAX_FRAME_DATA - _WRITE_HEADER - (CMAC_SIZE if comm == CommMode.MACED else 0)
    for start in range(0, len(data), chunk):
        part = data[start : start + chunk]
        at = offset + start
        header = bytes([file_no]) + _le3(at, "offset") + _le3(len(part), "length")
        name = f"WriteData of file {file_no}"
        if comm == CommMode.MACED:
            mac = session.chain_mac(bytes([Ins.WRITE_DATA]) + header + part)
            session.transceive(Ins.WRITE_DATA, header + part + mac, name=name, size=0)
        else:
            session.command(Ins.WRITE_DATA, header + part, name=name, size=0)
