"""The terminal's side of a DESFire EV1 conversation: native commands in ISO 7816 APDUs.

A session lives while one card stays on the reader. After ``authenticate_aes`` it holds the
session key and the IV chain: every command the terminal sends moves the chain with the
command's CMAC (not sent: commands travel plain), and every successful answer carries the first
8 bytes of the CMAC of its data, which the session checks and chains on. An error status, a
SelectApplication or a failed check ends the authentication.

Errors: a native error status is ``DesfireStatus`` (with ``.status``); an answer whose
cryptography does not check out is ``DesfireIntegrityError``; an answer that is not DESFire at
all is ``NotDesfireError`` when it is a bare ISO 7816 error status word, otherwise a plain
``ReaderError`` like every truncated or garbled answer.
"""

from __future__ import annotations

import hmac
import os
from enum import IntEnum
from typing import Final

from emp_edge.errors import ReaderError
from emp_edge.terminal.readers.port import CardChannel

from .crypto import BLOCK, ZERO_IV, cbc_decrypt, cbc_encrypt, desfire_cmac, rotate_left

CMAC_SIZE: Final = 8
MAX_FRAMES: Final = 64
"""More continuation frames than this is a card talking nonsense, not a long file."""


class Ins(IntEnum):
    """The native commands this project uses."""

    SELECT_APPLICATION = 0x5A
    GET_VERSION = 0x60
    AUTHENTICATE_AES = 0xAA
    READ_DATA = 0xBD
    MORE = 0xAF  # the continuation frame
    # the card station's (setup.py)
    CREATE_APPLICATION = 0xCA
    CHANGE_KEY = 0xC4
    CREATE_STD_DATA_FILE = 0xCD
    WRITE_DATA = 0x3D


class Status(IntEnum):
    """Native DESFire status codes (SW2 after SW1 = 91)."""

    OK = 0x00
    NO_CHANGES = 0x0C
    OUT_OF_EEPROM = 0x0E
    ILLEGAL_COMMAND = 0x1C
    INTEGRITY_ERROR = 0x1E
    NO_SUCH_KEY = 0x40
    LENGTH_ERROR = 0x7E
    PERMISSION_DENIED = 0x9D
    PARAMETER_ERROR = 0x9E
    APPLICATION_NOT_FOUND = 0xA0
    AUTHENTICATION_ERROR = 0xAE
    ADDITIONAL_FRAME = 0xAF
    BOUNDARY_ERROR = 0xBE
    DUPLICATE_ERROR = 0xDE
    FILE_NOT_FOUND = 0xF0


class DesfireStatus(ReaderError):  # noqa: N818 — the name the terminal speaks of
    """The card refused a command with a native error status."""

    def __init__(self, command: str, status: int) -> None:
        super().__init__(
            "the card refused {command} with status {status}",
            command=command,
            status=f"{status:02X}",
        )
        self.status = status


class DesfireIntegrityError(ReaderError):
    """The card's cryptographic answer does not check out: it does not hold the key."""


class NotDesfireError(ReaderError):
    """The chip answered a DESFire command with an ISO 7816 error status: it is no DESFire."""

    def __init__(self, command: str, sw: int) -> None:
        super().__init__(
            "the chip answered {command} with status {sw}: not a DESFire card",
            command=command,
            sw=f"{sw:04X}",
        )
        self.sw = sw


def wrap(ins: int, data: bytes = b"") -> bytes:
    """A native command in an ISO 7816-4 APDU: ``90 INS 00 00 [Lc data] 00``."""
    if len(data) > 255:
        raise ValueError("a native command carries at most 255 bytes")
    body = bytes([len(data)]) + data if data else b""
    return bytes([0x90, ins, 0x00, 0x00]) + body + b"\x00"


def _le3(value: int, what: str) -> bytes:
    if not 0 <= value < 1 << 24:
        raise ValueError(f"the {what} must fit in 3 bytes")
    return value.to_bytes(3, "little")


class DesfireSession:
    """One conversation with one DESFire card on the reader."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel
        self._key: bytes | None = None
        self._iv = ZERO_IV
        self.key_no: int | None = None

    # ------------------------------------------------------------------ state
    @property
    def authenticated(self) -> bool:
        return self._key is not None

    @property
    def session_key(self) -> bytes | None:
        """The key of the running authentication (None when not authenticated)."""
        return self._key

    @property
    def iv(self) -> bytes:
        """The current IV of the session's CMAC chain."""
        return self._iv

    def _end(self) -> None:
        self._key = None
        self._iv = ZERO_IV
        self.key_no = None

    # ------------------------------------------------------------------ frames
    def _transmit(self, ins: int, data: bytes, name: str) -> tuple[int, bytes]:
        """Send one frame; the native status and the answer's data."""
        try:
            answer = self.channel.transmit(wrap(ins, data))
        except ReaderError:
            self._end()
            raise
        if len(answer) < 2 or answer[-2] != 0x91:
            self._end()
            if len(answer) == 2 and 0x62 <= answer[0] <= 0x6F:
                raise NotDesfireError(name, int.from_bytes(answer, "big"))
            raise ReaderError("the card answered {command} with no DESFire status", command=name)
        return answer[-1], answer[:-2]

    def _frames(self, ins: int, data: bytes, name: str) -> bytes:
        """Send a command, fetch every continuation frame, and return all their data."""
        status, payload = self._transmit(ins, data, name)
        collected = bytearray(payload)
        frames = 1
        while status == Status.ADDITIONAL_FRAME:
            if frames >= MAX_FRAMES:
                self._end()
                raise ReaderError("the card's answer to {command} never ends", command=name)
            status, payload = self._transmit(Ins.MORE, b"", name)
            collected += payload
            frames += 1
        if status != Status.OK:
            self._end()
            raise DesfireStatus(name, status)
        return bytes(collected)

    def command(
        self, ins: int, params: bytes = b"", *, name: str = "", size: int | None = None
    ) -> bytes:
        """Send a command plain; when authenticated, check the CMAC of the answer.

        The answer's data comes back without its CMAC; ``size``, when given, is how many bytes
        of data it must hold (a shorter or longer answer is a ReaderError, not a forgery). This
        is how DESFire EV1 runs every command in plain mode, also reads of MACed files.
        """
        if self._key is not None:
            self._iv = desfire_cmac(self._key, self._iv, bytes([ins]) + params)
        return self.transceive(ins, params, name=name, size=size)

    def transceive(
        self,
        ins: int,
        data: bytes = b"",
        *,
        name: str = "",
        size: int | None = None,
        ends_session: bool = False,
    ) -> bytes:
        """Send ``data`` as it is and check the answer as ``command`` does.

        For commands whose CMAC or cryptogram the caller made (``chain_mac``, ``encipher``),
        so the IV already moved with them. ``ends_session``: the card answers with a bare
        status and the authentication is over (ChangeKey of the key that authenticated).
        """
        name = name or f"command {ins:02X}"
        key = self._key
        answer = self._frames(ins, data, name)
        if ends_session:
            self._end()
            if answer:
                raise ReaderError("the card answered {command} with data", command=name)
            return answer
        mac_size = 0 if key is None else CMAC_SIZE
        if len(answer) < mac_size or (size is not None and len(answer) != size + mac_size):
            self._end()
            raise ReaderError(
                "the card's answer to {command} is {got} bytes long, not {wanted}",
                command=name,
                got=len(answer),
                wanted=mac_size if size is None else size + mac_size,
            )
        if key is None:
            return answer
        body, mac = answer[:-CMAC_SIZE], answer[-CMAC_SIZE:]
        expected = desfire_cmac(key, self._iv, body + bytes([Status.OK]))
        if not hmac.compare_digest(mac, expected[:CMAC_SIZE]):
            self._end()
            raise DesfireIntegrityError(
                "the CMAC of the answer to {command} is wrong", command=name
            )
        self._iv = expected
        return body

    def chain_mac(self, message: bytes) -> bytes:
        """The CMAC of a command sent MACed: the chain moves with it, its first 8 bytes travel."""
        if self._key is None:
            raise ValueError("a MACed command needs an authenticated session")
        self._iv = desfire_cmac(self._key, self._iv, message)
        return self._iv[:CMAC_SIZE]

    def encipher(self, plain: bytes) -> bytes:
        """Encipher a command's data with the session key from the current IV (whole blocks);
        the IV becomes the last block sent."""
        if self._key is None:
            raise ValueError("an enciphered command needs an authenticated session")
        sent = cbc_encrypt(self._key, self._iv, plain)
        self._iv = sent[-BLOCK:]
        return sent

    # ------------------------------------------------------------------ commands
    def select_application(self, aid: bytes) -> None:
        """Select an application by its AID as written (sent least significant byte first)."""
        if len(aid) != 3:
            raise ValueError("a DESFire AID is 3 bytes")
        self._end()
        name = f"SelectApplication {aid.hex().upper()}"
        data = self._frames(Ins.SELECT_APPLICATION, aid[::-1], name)
        if data:
            raise ReaderError("the card answered {command} with data", command=name)

    def authenticate_aes(self, key_no: int, key: bytes, rnd_a: bytes | None = None) -> None:
        """Prove to each other that the terminal and the card hold the same AES key.

        Raises DesfireStatus (AE: the card does not hold it) or DesfireIntegrityError (the card
        answered, but not with our random rotated: it does not hold it either).
        """
        if not 0 <= key_no <= 13:
            raise ValueError("a DESFire key number is 0 to 13")
        rnd_a = os.urandom(BLOCK) if rnd_a is None else rnd_a
        if len(key) != BLOCK or len(rnd_a) != BLOCK:
            raise ValueError("AES keys and randoms are 16 bytes")
        self._end()
        name = f"AuthenticateAES of key {key_no}"
        status, rnd_b_enc = self._transmit(Ins.AUTHENTICATE_AES, bytes([key_no]), name)
        if status != Status.ADDITIONAL_FRAME:
            if status == Status.OK:
                raise ReaderError("the card skipped a step of {command}", command=name)
            raise DesfireStatus(name, status)
        if len(rnd_b_enc) != BLOCK:
            raise ReaderError("the card's challenge in {command} is not 16 bytes", command=name)
        rnd_b = cbc_decrypt(key, ZERO_IV, rnd_b_enc)
        message = cbc_encrypt(key, rnd_b_enc, rnd_a + rotate_left(rnd_b))
        status, rnd_a_enc = self._transmit(Ins.MORE, message, name)
        if status != Status.OK:
            raise DesfireStatus(name, status)
        if len(rnd_a_enc) != BLOCK:
            raise ReaderError("the card's answer in {command} is not 16 bytes", command=name)
        answer = cbc_decrypt(key, message[-BLOCK:], rnd_a_enc)
        if not hmac.compare_digest(answer, rotate_left(rnd_a)):
            raise DesfireIntegrityError("the card's answer in {command} is wrong", command=name)
        self._key = rnd_a[:4] + rnd_b[:4] + rnd_a[12:] + rnd_b[12:]
        self._iv = ZERO_IV
        self.key_no = key_no

    def read_data(self, file_no: int, offset: int = 0, length: int = 0) -> bytes:
        """Read a data file (length 0: to its end); exactly ``length`` bytes or an error."""
        if not 0 <= file_no <= 31:
            raise ValueError("a DESFire file number is 0 to 31")
        params = bytes([file_no]) + _le3(offset, "offset") + _le3(length, "length")
        name = f"ReadData of file {file_no}"
        return self.command(Ins.READ_DATA, params, name=name, size=length or None)

    def get_version(self) -> bytes:
        """The 28 bytes of GetVersion: hardware (7), software (7), UID, batch, week, year (14)."""
        return self.command(Ins.GET_VERSION, name="GetVersion", size=28)
