"""The tap simulator's terminal side: make the card a newcomer picked and put it on a reader.

The cards are emulated chips carrying the school's application, keyed with the school's own
master key, so a simulated tap runs the same card check as a real reader. The other kinds show
what a terminal does with a card it must refuse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from emp_edge.domain.taps import CardRecord, SimulatedCard
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.taps import card_by_id
from emp_edge.terminal.authenticity import CardKeys
from emp_edge.terminal.desfire import RECORD_FILE
from emp_edge.terminal.desfire.card import EmulatedDesfireCard, clone, school_card
from emp_edge.terminal.readers.simulated import SimulatedReader

#: the made-up school whose cards the simulator offers as "another school's card"
OTHER_SCHOOL_CODE = "290000000"


def _random_uid() -> bytes:
    return b"\x04" + os.urandom(6)


class TapSimulator:
    """Puts cards on the simulated readers of this box."""

    def __init__(self, store: Store, keys: CardKeys, readers: Mapping[str, SimulatedReader]):
        self.store = store
        self.keys = keys
        self.readers = dict(readers)

    def terminals(self) -> list[str]:
        return sorted(self.readers)

    def tap(self, terminal: str, card_id: int | None, kind: SimulatedCard) -> None:
        reader = self.readers.get(terminal)
        if reader is None:
            raise InputError("there is no simulated terminal {name!r}", name=terminal)
        if not reader.present(self.make(card_id, kind)):
            raise InputError("terminal {name} is busy: too many taps wait", name=terminal)

    def make(self, card_id: int | None, kind: SimulatedCard) -> EmulatedDesfireCard:
        """The emulated chip for this kind of card (of this card on file, where it has one)."""
        if kind is SimulatedCard.UNKNOWN:
            return EmulatedDesfireCard(_random_uid())
        if card_id is None:
            raise InputError("pick a card for the tap")
        card = card_by_id(self.store.conn, card_id)
        if card is None or not card.chip_uid:
            raise InputError("card {card} has no chip on file", card=card_id)
        uid = bytes.fromhex(card.chip_uid)
        record = CardRecord(
            card_id=card.card_id,
            pupil_id=card.pupil_id,
            valid_until=card.valid_until or date(2000, 1, 1),
            issue_counter=card.issue_counter or 0,
        )
        if kind is SimulatedCard.OTHER_SCHOOL:
            other = CardKeys(os.urandom(16), self.keys.aid, OTHER_SCHOOL_CODE)
            return school_card(_random_uid(), other, record)
        genuine = school_card(uid, self.keys, record)
        if kind is SimulatedCard.CLONE:
            return clone(genuine)
        if kind is SimulatedCard.ALTERED:
            return altered(uid, self.keys, record)
        return genuine


def altered(uid: bytes, keys: CardKeys, record: CardRecord) -> EmulatedDesfireCard:
    """A genuine chip whose record someone changed by one byte: valid a year longer."""
    card = school_card(uid, keys, record)
    data = card.file(keys.aid, RECORD_FILE).data
    data[9] = (data[9] + 1) % 256  # the year of the last valid day
    return card
