"""A tap at a terminal: why a card is accepted or refused, and the card record on its chip.

The chip of an EMP card carries the school's application with a 32-byte *card record*: which card
it is, whose, until when it is valid, and how many cards the pupil has had. The record ends with a
MAC made with a key only the school's boxes hold, so a record changed by a single byte is caught
even when the chip's own keys have leaked. This module knows the layout; the keys and the MAC are
computed by the terminal, which hands them in as bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from emp_edge.errors import InputError

from .cards import CardVerdict


class TapReason(StrEnum):
    """The one reason a tap ended as it did; a terminal shows it, the tap's event keeps it."""

    OK = "ok"
    # the chip
    READ_FAILED = "read_failed"  # the card was pulled away, or the reader answered garbage
    NO_APPLICATION = "no_application"  # the chip carries no school application (aes mode)
    OTHER_SCHOOL = "other_school"  # the card belongs to another school
    NOT_GENUINE = "not_genuine"  # the chip does not hold its key: a clone or a forgery
    RECORD_INVALID = "record_invalid"  # the card record is malformed or its MAC is wrong
    RECORD_MISMATCH = "record_mismatch"  # the record disagrees with the school's database
    # the card in the database
    UNKNOWN_CARD = "unknown_card"
    NOT_ISSUED = "not_issued"
    NO_VALIDITY = "no_validity"
    EXPIRED = "expired"
    RETURNED = "returned"
    REPLACED = "replaced"
    DESTROYED = "destroyed"
    CANCELLED = "cancelled"
    PUPIL_LEFT = "pupil_left"  # the pupil is no longer at the school
    # the canteen till
    NOTE_PENDING = "note_pending"  # staff have not yet acknowledged the last pupil's diet note
    NO_SERVING_NOW = "no_serving_now"  # the tap is outside every meal's serving window
    NOTHING_PICKED = "nothing_picked"  # nothing picked, and the meal has no default item
    ITEM_UNAVAILABLE = "item_unavailable"  # a picked item is no longer sold
    ITEM_NOT_ALLOWED = "item_not_allowed"  # a parent asked the till not to sell this item
    ALREADY_SERVED = "already_served"  # the free meal was already served today
    DAILY_LIMIT = "daily_limit"  # the sale would pass the pupil's daily spend limit
    LOW_BALANCE = "low_balance"  # the sale would take the balance below the overdraft limit
    # the club room
    NO_SESSION = "no_session"  # no session of any group is open at this terminal now
    NOT_IN_GROUP = "not_in_group"  # the pupil is not in the open session's group: not counted
    ALREADY_MARKED = "already_marked"  # the pupil was already marked present in this session


def reason_of(verdict: CardVerdict) -> TapReason:
    """The tap reason for the card's state verdict (§45)."""
    return TapReason(verdict.value)


class TapResult(StrEnum):
    ACCEPTED = "accepted"
    DENIED = "denied"


# ---------------------------------------------------------------- the card record

RECORD_FORMAT: Final = 1
RECORD_SIZE: Final = 32
RECORD_MAC_SIZE: Final = 8
_BODY = struct.Struct(">BIIBBBH10x")  # format, card, pupil, valid-until y-2000/m/d, counter
assert _BODY.size == RECORD_SIZE - RECORD_MAC_SIZE


@dataclass(frozen=True)
class CardRecord:
    """What the chip says about itself: card number, pupil, last valid day, issue counter."""

    card_id: int
    pupil_id: int
    valid_until: date
    issue_counter: int

    def body(self) -> bytes:
        """The 24 bytes the record MAC covers (with the UID and the application id)."""
        if not (0 < self.card_id < 2**32 and 0 < self.pupil_id < 2**32):
            raise InputError("card and pupil numbers must fit in 32 bits")
        if not 2000 <= self.valid_until.year <= 2255:
            raise InputError(
                "a card record holds years 2000–2255, not {year}", year=self.valid_until.year
            )
        if not 0 <= self.issue_counter < 2**16:
            raise InputError("the issue counter must fit in 16 bits")
        day = self.valid_until
        return _BODY.pack(
            RECORD_FORMAT,
            self.card_id,
            self.pupil_id,
            day.year - 2000,
            day.month,
            day.day,
            self.issue_counter,
        )


def parse_record_body(body: bytes) -> CardRecord:
    """The record in 24 bytes, or an InputError saying what is wrong with them."""
    if len(body) != _BODY.size:
        raise InputError(
            "a card record body is {size} bytes, not {got}", size=_BODY.size, got=len(body)
        )
    fmt, card_id, pupil_id, year, month, day, counter = _BODY.unpack(body)
    if fmt != RECORD_FORMAT:
        raise InputError("unknown card record format {fmt}", fmt=fmt)
    if body[14:] != bytes(10):
        raise InputError("the reserved bytes of the card record are not zero")
    try:
        valid_until = date(2000 + year, month, day)
    except ValueError:
        raise InputError("the card record's last valid day is not a date") from None
    if card_id == 0 or pupil_id == 0:
        raise InputError("the card record names no card or no pupil")
    return CardRecord(card_id, pupil_id, valid_until, counter)


# ---------------------------------------------------------------- the issuer file

ISSUER_MAGIC: Final = b"EMP"
ISSUER_FORMAT: Final = 1
ISSUER_SIZE: Final = 16


def issuer_file(school_code: str) -> bytes:
    """The freely readable file naming the school that issued the card (16 bytes)."""
    code = school_code.encode("ascii")
    if not code.isdigit() or len(code) > ISSUER_SIZE - 4:
        raise InputError("a school code is up to 12 digits, not {code!r}", code=school_code)
    return (ISSUER_MAGIC + bytes([ISSUER_FORMAT]) + code).ljust(ISSUER_SIZE, b"\0")


def issuer_school(data: bytes) -> str:
    """The school code in an issuer file, or an InputError when the bytes are not one."""
    if len(data) != ISSUER_SIZE or data[:3] != ISSUER_MAGIC or data[3] != ISSUER_FORMAT:
        raise InputError("the card's issuer file is not an EMP issuer file")
    code = data[4:].rstrip(b"\0")
    if not code.isdigit():
        raise InputError("the card's issuer file names no school")
    return code.decode("ascii")


class SimulatedCard(StrEnum):
    """What the tap simulator puts on a simulated reader, so a newcomer sees every answer."""

    GENUINE = "genuine"  # the pupil's card as the card station made it
    CLONE = "clone"  # same UID and same file bytes, but not the key
    ALTERED = "altered"  # the pupil's card with one byte of its record changed
    OTHER_SCHOOL = "other_school"  # a card another school made
    UNKNOWN = "unknown"  # a chip the school never saw (a bank card, a bus ticket)
