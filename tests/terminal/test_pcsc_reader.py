"""The pcsc reader against a real pcscd, with virtual cards on its two vpcd readers.

pcscd is one per machine, so every test here runs in one xdist worker (group "pcscd").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from emp_edge.domain.taps import CardRecord, TapReason
from emp_edge.errors import ConfigError, ReaderError
from emp_edge.terminal.authenticity import CardKeys, read_school_card
from emp_edge.terminal.desfire.card import clone, school_card
from emp_edge.terminal.readers.pcsc import (
    ACR122_ACCEPTED,
    ACR122_REFUSED,
    PcscReader,
    list_reader_names,
    reader_matches,
)
from emp_edge.terminal.readers.port import ReaderHealth, Tap
from rigs.pcscd import PcscdRig, reader_names
from rigs.vpcd_card import UidCard, VirtualCard, VpcdSlot

pytestmark = pytest.mark.xdist_group("pcscd")

KEYS = CardKeys(master=bytes(range(16)), aid=bytes.fromhex("F5EE01"), school_code="190000000")
RECORD = CardRecord(card_id=4021, pupil_id=77, valid_until=date(2027, 8, 31), issue_counter=1)
SELECT = bytes.fromhex("905A00000301EEF500")
WAIT = 8.0  # generous: pcscd looks at its readers about every 0.4 s


@pytest.fixture
def readers(rig: PcscdRig) -> Iterator[list[PcscReader]]:
    made = [PcscReader(name, feedback="none", reconnect_interval=0.1) for name in rig.readers]
    yield made
    for reader in made:
        reader.close()


def tap_of(reader: PcscReader, within: float = WAIT) -> Tap:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        tap = reader.next_tap(0.5)
        if tap is not None:
            return tap
    raise AssertionError(f"no tap on {reader.name} in {within} s ({reader.health()})")


def put_back(rig: PcscdRig, slot: VpcdSlot, reader: str, card: VirtualCard) -> None:
    """Take the card away, wait until pcscd has seen the reader empty, and put ``card`` on."""
    slot.remove()
    rig.wait_empty(reader)
    slot.insert(card)


def test_a_card_on_the_reader_is_a_tap_with_its_uid(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    reader = readers[0]
    assert reader.health().online
    assert reader.name == rig.readers[0]
    uid = bytes.fromhex("04A1B2C3D4E5F6")
    rig.slots[0].insert(UidCard(uid))
    tap = tap_of(reader)
    assert tap.uid == uid
    assert tap.reader == rig.readers[0]
    assert tap.channel.transmit(bytes.fromhex("FFCA000000")) == uid + b"\x90\x00"
    reader.done(tap, accepted=True)
    with pytest.raises(ReaderError, match="no longer on"):
        tap.channel.transmit(SELECT)


def test_a_genuine_school_card_proves_itself_through_pcscd(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    uid = bytes.fromhex("04112233445566")
    rig.slots[0].insert(school_card(uid, KEYS, RECORD))
    tap = tap_of(readers[0])
    read = read_school_card(tap, KEYS)
    readers[0].done(tap, accepted=True)
    assert read.refusal is None, read.detail
    assert read.record == RECORD
    assert read.uid == uid

    put_back(rig, rig.slots[0], rig.readers[0], clone(school_card(uid, KEYS, RECORD)))
    tap = tap_of(readers[0])
    read = read_school_card(tap, KEYS)
    readers[0].done(tap, accepted=False)
    assert read.refusal is TapReason.NOT_GENUINE


def test_a_card_held_on_the_reader_is_one_tap_and_put_back_is_another(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    reader = readers[0]
    card = UidCard(bytes.fromhex("04010203040506"))
    rig.slots[0].insert(card)
    first = tap_of(reader)
    reader.done(first, accepted=True)
    assert reader.next_tap(1.5) is None  # still held: more than three looks of pcscd

    put_back(rig, rig.slots[0], rig.readers[0], card)
    second = tap_of(reader)
    assert second.uid == first.uid
    reader.done(second, accepted=True)


def test_two_readers_are_two_independent_terminals(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    till, club = readers
    assert till.name != club.name
    rig.slots[1].insert(UidCard(bytes.fromhex("04BBBBBBBBBB02")))
    assert till.next_tap(1.0) is None
    on_club = tap_of(club)
    assert on_club.uid.hex() == "04bbbbbbbbbb02"
    rig.slots[0].insert(UidCard(bytes.fromhex("04AAAAAAAAAA01")))
    on_till = tap_of(till)
    assert on_till.uid.hex() == "04aaaaaaaaaa01"
    assert on_till.reader == rig.readers[0]
    assert on_club.reader == rig.readers[1]
    assert on_club.channel.transmit(bytes.fromhex("FFCA000000"))[:-2] == on_club.uid
    till.done(on_till, accepted=True)
    club.done(on_club, accepted=False)


def test_a_pattern_finds_its_reader_by_part_or_glob(rig: PcscdRig) -> None:
    assert reader_matches("PCD 00 01", rig.readers[1])
    assert reader_matches("Virtual*01", rig.readers[1])
    assert not reader_matches("virtual pcd", rig.readers[0])  # names are matched as written
    assert set(rig.readers) <= set(list_reader_names())
    reader = PcscReader("Virtual * 00 01", feedback="none")
    try:
        assert reader.health().online
        assert reader.name == rig.readers[1]
    finally:
        reader.close()
    missing = PcscReader("ACR122", reconnect_interval=0.1)
    try:
        assert missing.next_tap(0.3) is None
        assert not missing.health().online
        assert missing.health().detail == "no reader matching 'ACR122'"
    finally:
        missing.close()


def test_pcscd_stopped_and_started_again_the_reader_comes_back_by_itself(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    reader = readers[0]
    assert reader.health().online
    rig.stop()
    assert reader.next_tap(0.5) is None
    assert reader.health().online is False
    assert reader.health().detail == "pcscd is not running"
    with pytest.raises(ReaderError, match="pcscd is not running"):
        list_reader_names()
    assert rig.running is False
    assert reader_names() == []
    late = PcscReader(rig.readers[1], feedback="none", reconnect_interval=0.1)
    assert late.health() == ReaderHealth(online=False, detail="pcscd is not running")

    rig.start()
    try:
        uid = bytes.fromhex("04C0FFEE000001")
        rig.slots[0].insert(UidCard(uid))
        started = time.monotonic()
        tap = tap_of(reader, within=5.0)
        assert tap.uid == uid
        assert time.monotonic() - started < 5.0
        assert reader.health().online
        reader.done(tap, accepted=True)

        rig.slots[1].insert(UidCard(bytes.fromhex("04C0FFEE000002")))
        tap = tap_of(late, within=5.0)
        assert late.health().online
        late.done(tap, accepted=True)
    finally:
        late.close()


def test_pcscd_stopping_during_a_wait_puts_the_reader_offline(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    """pcscd going away while the reader waits in SCardGetStatusChange ends the wait at once."""
    reader = readers[1]
    stopper = threading.Timer(0.3, rig.stop)
    stopper.start()
    assert reader.next_tap(1.0) is None
    stopper.join()
    assert reader.health().detail == "pcscd is not running"
    rig.start()
    rig.slots[1].insert(UidCard(bytes.fromhex("04000000000002")))
    reader.done(tap_of(reader), accepted=True)


def test_garbage_from_the_card_is_a_reader_error_and_the_next_card_is_read(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    reader = readers[0]
    rig.slots[0].insert(UidCard(bytes.fromhex("04DEAD00000001")), garbage=b"\x6f", garbage_after=1)
    tap = tap_of(reader)
    with pytest.raises(ReaderError, match="answered 1 bytes"):
        tap.channel.transmit(SELECT)
    reader.done(tap, accepted=False)

    good = bytes.fromhex("04600D00000002")
    put_back(rig, rig.slots[0], rig.readers[0], UidCard(good))
    tap = tap_of(reader)
    assert tap.uid == good
    reader.done(tap, accepted=True)


def test_a_card_pulled_away_mid_read_is_a_reader_error_and_a_failed_read(
    rig: PcscdRig, readers: list[PcscReader]
) -> None:
    reader = readers[0]
    uid = bytes.fromhex("04771234567801")
    rig.slots[0].insert(UidCard(uid), drop_after=1)  # the UID, then gone
    tap = tap_of(reader)
    with pytest.raises(ReaderError):
        tap.channel.transmit(SELECT)
    with pytest.raises(ReaderError):
        tap.channel.transmit(SELECT)
    reader.done(tap, accepted=False)

    put_back(rig, rig.slots[0], rig.readers[0], school_card(uid, KEYS, RECORD))
    tap = tap_of(reader)
    assert tap.uid == uid
    rig.slots[0].remove()  # pulled away before the terminal reads it
    read = read_school_card(tap, KEYS)
    assert read.refusal is TapReason.READ_FAILED
    reader.done(tap, accepted=False)

    put_back(rig, rig.slots[0], rig.readers[0], school_card(uid, KEYS, RECORD))
    tap = tap_of(reader)
    assert read_school_card(tap, KEYS).record == RECORD
    reader.done(tap, accepted=True)


def test_acr122_feedback_is_sent_to_the_reader_with_the_decision(rig: PcscdRig) -> None:
    reader = PcscReader(rig.readers[1], feedback="acr122")
    try:
        card = school_card(bytes.fromhex("04FEEDBEEF0001"), KEYS, RECORD)
        rig.slots[1].insert(card)
        tap = tap_of(reader)
        reader.done(tap, accepted=True)
        assert rig.slots[1].apdus[-1] == ACR122_ACCEPTED
        assert card.reader_signals == [ACR122_ACCEPTED]

        put_back(rig, rig.slots[1], rig.readers[1], UidCard(bytes.fromhex("04FEEDBEEF0002")))
        tap = tap_of(reader)
        reader.done(tap, accepted=False)
        assert rig.slots[1].apdus[-1] == ACR122_REFUSED
    finally:
        reader.close()


def test_no_feedback_where_the_reader_is_not_an_acr122(rig: PcscdRig) -> None:
    reader = PcscReader(rig.readers[1])  # "auto": the name does not say ACR122
    try:
        rig.slots[1].insert(UidCard(bytes.fromhex("04000000FEED03")))
        reader.done(tap_of(reader), accepted=True)
        assert [apdu[:3].hex() for apdu in rig.slots[1].apdus] == ["ffca00"]
    finally:
        reader.close()


def test_close_wakes_a_waiting_reader_and_lets_go_of_pcscd(rig: PcscdRig) -> None:
    reader = PcscReader(rig.readers[0], feedback="none")
    result: list[Tap | None] = []
    waiter = threading.Thread(target=lambda: result.append(reader.next_tap(30.0)))
    waiter.start()
    time.sleep(0.3)
    reader.close()
    waiter.join(timeout=5.0)
    assert not waiter.is_alive()
    assert result == [None]
    assert reader.health().detail == "closed"
    assert reader.next_tap(0.1) is None


def test_unknown_feedback_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="feedback"):
        PcscReader("ACR122", feedback="loud")
