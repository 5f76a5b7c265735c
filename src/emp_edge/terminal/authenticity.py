"""Whether the card on the reader is one of the school's genuine cards, and what its record says.

In ``aes`` mode (SPEC §4.3) the terminal runs, on every tap::

    SelectApplication (missing → no_application)
    ──▶ read the issuer file, free (another school's code → other_school)
    ──▶ AuthenticateAES with key 1, diversified from the master key and the UID
        (the card does not hold it → not_genuine)
    ──▶ read the card record over the session, its CMAC checked (wrong → not_genuine)
    ──▶ check the record's MAC and layout (→ record_invalid)

so a clone with the same UID and the same file bytes fails at the key, and a record changed by
a single byte fails at the record MAC. A reader or card failing on the way is ``read_failed``.
In ``uid`` mode the bare UID is trusted (legacy cards only: clones pass).

The master key lives in a file of its own (mode 0600), never in the settings or the database.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from emp_edge.domain.taps import (
    ISSUER_SIZE,
    RECORD_MAC_SIZE,
    RECORD_SIZE,
    CardRecord,
    TapReason,
    issuer_file,
    issuer_school,
    parse_record_body,
)
from emp_edge.errors import ConfigError, InputError, ReaderError
from emp_edge.terminal.readers.port import Tap, uid_tail

from .desfire import ISSUER_FILE, READ_KEY, RECORD_FILE
from .desfire.crypto import read_key, record_mac
from .desfire.session import (
    DesfireIntegrityError,
    DesfireSession,
    DesfireStatus,
    NotDesfireError,
    Status,
)

log = logging.getLogger(__name__)

KEY_SIZE: Final = 16
_KEY_TEXT: Final = re.compile(r"[0-9A-Fa-f]{32}")
_AID_TEXT: Final = re.compile(r"[0-9A-Fa-f]{6}")
_UID_SIZES: Final = range(4, 11)  # ISO 14443 UIDs are 4, 7 or 10 bytes


@dataclass(frozen=True)
class CardKeys:
    """What a terminal needs to check the school's cards; its repr never shows the master key."""

    master: bytes = field(repr=False)
    aid: bytes
    school_code: str

    def __post_init__(self) -> None:
        if len(self.master) != KEY_SIZE:
            raise ConfigError("the card master key is 16 bytes, not {size}", size=len(self.master))
        if len(self.aid) != 3 or self.aid == bytes(3):
            raise ConfigError("the card application id is 3 bytes other than 000000")
        try:
            issuer_file(self.school_code)
        except InputError as err:
            raise ConfigError(err.template, **err.params) from None


@dataclass(frozen=True)
class CardRead:
    """What the card check found: the UID, and the record, or why the card was refused."""

    uid: bytes
    record: CardRecord | None = None
    refusal: TapReason | None = None  # None = the card proved itself
    detail: str = ""  # English, for the tap's event; no personal data, no full UID


def application_id(text: str) -> bytes:
    """The AID of the setting ``terminal.application_id`` (6 hex digits, as written)."""
    if not _AID_TEXT.fullmatch(text) or text.strip("0") == "":
        raise ConfigError(
            "the card application id is 6 hex digits other than 000000, not {text!r}",
            where="terminal.application_id",
            text=text,
        )
    return bytes.fromhex(text)


# ---------------------------------------------------------------- checking a card


def read_uid_only(tap: Tap) -> CardRead:
    """``uid`` mode: the UID the reader saw is taken as the card's word."""
    return CardRead(uid=tap.uid)


class _Refused(Exception):  # noqa: N818 — a verdict carried out of the steps, not an error
    def __init__(self, reason: TapReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@contextmanager
def _step(
    what: str,
    statuses: Mapping[int, TapReason],
    not_desfire: TapReason = TapReason.READ_FAILED,
) -> Iterator[None]:
    """Turn what the card or reader does wrong during one step into the tap's refusal.

    A native status listed in ``statuses`` gives its reason, any other ``read_failed``; a
    cryptographic answer that does not check out is ``not_genuine``.
    """
    try:
        yield
    except DesfireStatus as err:
        raise _Refused(statuses.get(err.status, TapReason.READ_FAILED), f"{what}: {err}") from None
    except DesfireIntegrityError as err:
        raise _Refused(TapReason.NOT_GENUINE, f"{what}: {err}") from None
    except NotDesfireError as err:
        raise _Refused(not_desfire, f"{what}: {err}") from None
    except ReaderError as err:
        raise _Refused(TapReason.READ_FAILED, f"{what}: {err}") from None


_NOT_OURS: Final = (
    Status.FILE_NOT_FOUND,
    Status.AUTHENTICATION_ERROR,
    Status.PERMISSION_DENIED,
    Status.BOUNDARY_ERROR,
)


def read_school_card(tap: Tap, keys: CardKeys) -> CardRead:
    """``aes`` mode: the card proves it holds its key, and its record is checked.

    Never raises for a bad card or a failing reader: every failure is a refusal with a detail.
    """
    try:
        record = _prove(tap, keys)
    except _Refused as refused:
        log.info(
            "card refused uid=%s reason=%s detail=%s",
            uid_tail(tap.uid),
            refused.reason,
            refused.detail,
        )
        return CardRead(tap.uid, refusal=refused.reason, detail=refused.detail)
    return CardRead(tap.uid, record=record)


def _prove(tap: Tap, keys: CardKeys) -> CardRecord:
    uid = tap.uid
    if len(uid) not in _UID_SIZES:
        raise _Refused(TapReason.READ_FAILED, f"the reader gave a UID of {len(uid)} bytes")
    session = DesfireSession(tap.channel)
    application = f"application {keys.aid.hex().upper()}"

    no_app = TapReason.NO_APPLICATION
    with _step("selecting the application", {Status.APPLICATION_NOT_FOUND: no_app}, no_app):
        session.select_application(keys.aid)

    with _step("reading the issuer file", dict.fromkeys(_NOT_OURS, no_app)):
        issuer = session.read_data(ISSUER_FILE, 0, ISSUER_SIZE)
    try:
        school = issuer_school(issuer)
    except InputError:
        raise _Refused(no_app, f"{application} holds no EMP issuer file") from None
    if school != keys.school_code:
        raise _Refused(TapReason.OTHER_SCHOOL, f"the card was issued by school {school}")

    key = read_key(keys.master, uid, keys.aid, keys.school_code)
    refused = (Status.AUTHENTICATION_ERROR, Status.NO_SUCH_KEY)
    with _step("authenticating the card", dict.fromkeys(refused, TapReason.NOT_GENUINE)):
        session.authenticate_aes(READ_KEY, key)

    with _step("reading the card record", dict.fromkeys(_NOT_OURS, TapReason.RECORD_INVALID)):
        data = session.read_data(RECORD_FILE, 0, RECORD_SIZE)
    body, mac = data[:-RECORD_MAC_SIZE], data[-RECORD_MAC_SIZE:]
    if not hmac.compare_digest(mac, record_mac(keys.master, uid, keys.aid, body)):
        raise _Refused(TapReason.RECORD_INVALID, "the card record's MAC is wrong")
    try:
        return parse_record_body(body)
    except InputError as err:
        raise _Refused(TapReason.RECORD_INVALID, f"the card record is malformed: {err}") from None


# ---------------------------------------------------------------- the master key file


def load_master_key(path: Path) -> bytes:
    """The school's card master key from its file: 32 hex digits, the file readable by its owner
    only. Any problem is a ConfigError naming the file (never showing the key)."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError("the card master key file is missing", where=where) from None
    except OSError as err:
        raise ConfigError(
            "the card master key file cannot be read: {error}", where=where, error=err.strerror
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("the card master key file is not a regular file", where=where)
        if info.st_mode & 0o077:
            raise ConfigError(
                "the card master key file must be readable by its owner only (0600), not {mode}",
                where=where,
                mode=f"{stat.S_IMODE(info.st_mode):04o}",
            )
        raw = os.read(fd, 64)
    except OSError as err:
        raise ConfigError(
            "the card master key file cannot be read: {error}", where=where, error=err.strerror
        ) from None
    finally:
        os.close(fd)
    text = raw.decode("ascii", errors="replace").removesuffix("\n").removesuffix("\r")
    if not _KEY_TEXT.fullmatch(text):
        raise ConfigError("the card master key file must hold 32 hex digits", where=where)
    return bytes.fromhex(text)


def create_master_key(path: Path) -> None:
    """Write a new random master key to a new file (mode 0600); an existing key is never replaced.

    A missing folder is made, readable by its owner only (0700).
    """
    where = str(path)
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise ConfigError(
            "a card master key file already exists; it is never overwritten", where=where
        ) from None
    except OSError as err:
        raise ConfigError(
            "the card master key file cannot be created: {error}", where=where, error=err.strerror
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(os.urandom(KEY_SIZE).hex().upper() + "\n")
        file.flush()
        os.fsync(file.fileno())
    log.info("card master key created file=%s", where)
