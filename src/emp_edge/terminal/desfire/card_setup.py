"""The card's side of the card station's commands, as a factory-fresh DESFire EV1 answers them.

Mixed into ``EmulatedDesfireCard``: CreateApplication on the card level (free while the card's
key settings allow it, as a fresh card's 0F do), and in an application ChangeKey, CreateStdDataFile
and WriteData with the access checks, CRC32s and CMACs a real card makes. Layouts: ``setup.py``.

- CreateApplication: a new AES application, keys all zero, version 00; an AID taken is DE.
- ChangeKey: needs the authentication the application's KS1 asks for (AE otherwise, 9D when
  frozen); the cryptogram is deciphered with the session key from the current IV and must be
  exactly what the reader should have sent (CRC32s and padding) — otherwise 1E, and the key stays.
- CreateStdDataFile: needs key 0 unless KS1 allows free creation; a file number taken is DE.
- WriteData: the file's write or read&write key (9D when both are DENIED, AE without that
  authentication); in MACed mode the CMAC the reader appended must check out (1E otherwise).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Final

from . import APPLICATION_MASTER_KEY
from .crypto import BLOCK, cbc_decrypt, desfire_cmac, xor
from .session import CMAC_SIZE, Ins, Status
from .setup import AES_KEYS, DENIED, FREE, AccessRights, CommMode, change_key_cryptogram

if TYPE_CHECKING:
    from .card import Application, DataFile, _Auth

SETUP_COMMANDS: Final = frozenset(
    {Ins.CREATE_APPLICATION, Ins.CHANGE_KEY, Ins.CREATE_STD_DATA_FILE, Ins.WRITE_DATA}
)
FRESH_KEY_SETTINGS: Final = 0x0F
"""Key settings of a factory-fresh card: applications may be created without authentication."""
FREE_CREATE: Final = 0x04
"""Key settings bit 2: creating applications (card) or files (application) needs no key."""
MASTER_KEY_CHANGEABLE: Final = 0x01
"""Key settings bit 0: the master key may be changed."""
SAME_KEY: Final = 0xE
"""KS1's upper nibble: a key is changed by authenticating with that key itself."""
FROZEN: Final = 0xF
"""KS1's upper nibble: keys other than key 0 are frozen."""
MEMORY: Final = 4096
"""The bytes a 4 kB card holds for files (the emulation ignores the file system's overhead)."""


class SetupCommands:
    """CreateApplication, ChangeKey, CreateStdDataFile and WriteData for the emulated card."""

    if TYPE_CHECKING:  # what the card class provides
        applications: dict[bytes, Application]
        picc_key_settings: int
        _selected: Application | None
        _auth: _Auth | None

        def add_application(self, aid: bytes, keys: list[bytes]) -> Application: ...
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
        ) -> DataFile: ...
        def _fail(self, status: int) -> tuple[int, bytes]: ...
        def _reply(self, data: bytes, cuts: tuple[int, ...] = ()) -> tuple[int, bytes]: ...

    def _setup_command(self, ins: int, data: bytes) -> tuple[int, bytes]:
        """Answer one of ``SETUP_COMMANDS``. ChangeKey and WriteData move the CMAC chain
        themselves (their data are enciphered or carry the CMAC); the others as any command."""
        if ins == Ins.CHANGE_KEY:
            return self._change_key(data)
        if ins == Ins.WRITE_DATA:
            return self._write_data(data)
        if self._auth is not None:
            self._auth.iv = desfire_cmac(self._auth.session_key, self._auth.iv, bytes([ins]) + data)
        if ins == Ins.CREATE_APPLICATION:
            return self._create_application(data)
        return self._create_file(data)

    # ------------------------------------------------------------------ the card level
    def _create_application(self, data: bytes) -> tuple[int, bytes]:
        if self._selected is not None:
            return self._fail(Status.ILLEGAL_COMMAND)  # a command of the card level
        if len(data) != 5:
            return self._fail(Status.LENGTH_ERROR)
        if not self.picc_key_settings & FREE_CREATE:
            return self._fail(Status.AUTHENTICATION_ERROR)  # the card's key is not emulated
        aid, key_settings, ks2 = data[2::-1], data[3], data[4]
        count = ks2 & 0x0F
        if aid == bytes(3) or ks2 & 0xF0 != AES_KEYS or not 1 <= count <= 14:
            return self._fail(Status.PARAMETER_ERROR)
        if aid in self.applications:
            return self._fail(Status.DUPLICATE_ERROR)
        app = self.add_application(aid, [bytes(BLOCK)] * count)
        app.key_settings = key_settings
        return self._reply(b"")

    # ------------------------------------------------------------------ in an application
    def _change_key(self, data: bytes) -> tuple[int, bytes]:
        app, auth = self._selected, self._auth
        if app is None or auth is None:
            return self._fail(Status.AUTHENTICATION_ERROR)
        if len(data) != 1 + 2 * BLOCK:
            return self._fail(Status.LENGTH_ERROR)
        key_no, sent = data[0], data[1:]
        if key_no >= len(app.keys):
            return self._fail(Status.NO_SUCH_KEY)
        allowed = _may_change(app.key_settings, key_no, auth.key_no)
        if allowed is not None:
            return self._fail(allowed)
        plain = cbc_decrypt(auth.session_key, auth.iv, sent)
        auth.iv = sent[-BLOCK:]
        own = key_no == auth.key_no
        old = app.keys[key_no]
        new_key = plain[:BLOCK] if own else xor(plain[:BLOCK], old)
        version = plain[BLOCK]
        expected = change_key_cryptogram(key_no, new_key, version, None if own else old)
        if not hmac.compare_digest(plain, expected):
            return self._fail(Status.INTEGRITY_ERROR)
        app.keys[key_no] = new_key
        app.versions[key_no] = version
        if own:
            self._auth = None  # the key that authenticated is gone: bare status
            return Status.OK, b""
        return self._reply(b"")

    def _create_file(self, data: bytes) -> tuple[int, bytes]:
        app, auth = self._selected, self._auth
        if app is None:
            return self._fail(Status.ILLEGAL_COMMAND)  # no files on the card level
        if len(data) != 7:
            return self._fail(Status.LENGTH_ERROR)
        master = auth is not None and auth.key_no == APPLICATION_MASTER_KEY
        if not master and not app.key_settings & FREE_CREATE:
            return self._fail(Status.AUTHENTICATION_ERROR)
        file_no, comm, size = data[0], data[1], int.from_bytes(data[4:7], "little")
        if file_no > 31 or comm not in set(CommMode) or size < 1:
            return self._fail(Status.PARAMETER_ERROR)
        if file_no in app.files:
            return self._fail(Status.DUPLICATE_ERROR)
        used = sum(len(f.data) for a in self.applications.values() for f in a.files.values())
        if used + size > MEMORY:
            return self._fail(Status.OUT_OF_EEPROM)
        access = AccessRights.decode(data[2:4])
        aid = next(aid for aid, known in self.applications.items() if known is app)
        self.add_file(
            aid,
            file_no,
            bytes(size),
            comm=CommMode(comm),
            read=access.read,
            write=access.write,
            read_write=access.read_write,
            change=access.change,
        )
        return self._reply(b"")

    def _write_data(self, data: bytes) -> tuple[int, bytes]:
        app, auth = self._selected, self._auth
        if len(data) < 8:
            return self._fail(Status.LENGTH_ERROR)
        file = app.files.get(data[0]) if app is not None else None
        if file is None:
            return self._fail(Status.FILE_NOT_FOUND)
        keys = {file.write, file.read_write}
        free = FREE in keys
        if not free and keys == {DENIED}:
            return self._fail(Status.PERMISSION_DENIED)
        if not free and (auth is None or auth.key_no not in keys):
            return self._fail(Status.AUTHENTICATION_ERROR)
        header, payload = data[:7], data[7:]
        offset = int.from_bytes(header[1:4], "little")
        length = int.from_bytes(header[4:7], "little")
        maced = auth is not None and file.comm == CommMode.MACED and not free
        if len(payload) != length + (CMAC_SIZE if maced else 0) or not length:
            return self._fail(Status.LENGTH_ERROR)
        if offset + length > len(file.data):
            return self._fail(Status.BOUNDARY_ERROR)
        if auth is not None:  # the command moves the CMAC chain; MACed, it carries the CMAC
            payload, sent_mac = payload[:length], payload[length:]
            mac = desfire_cmac(
                auth.session_key, auth.iv, bytes([Ins.WRITE_DATA]) + header + payload
            )
            if maced and not hmac.compare_digest(sent_mac, mac[:CMAC_SIZE]):
                return self._fail(Status.INTEGRITY_ERROR)
            auth.iv = mac
        file.data[offset : offset + length] = payload
        return self._reply(b"")


def _may_change(key_settings: int, key_no: int, auth_key_no: int) -> int | None:
    """None when the key that authenticated may change ``key_no``; else the status refusing it."""
    if key_no == APPLICATION_MASTER_KEY:
        if not key_settings & MASTER_KEY_CHANGEABLE:
            return Status.PERMISSION_DENIED
        needed = APPLICATION_MASTER_KEY
    else:
        rule = key_settings >> 4
        if rule == FROZEN:
            return Status.PERMISSION_DENIED
        needed = key_no if rule == SAME_KEY else rule
    return None if auth_key_no == needed else Status.AUTHENTICATION_ERROR
