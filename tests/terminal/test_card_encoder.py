"""The card station's encoder: a blank chip becomes the school's card, read back and verified.

In memory: ``encode_chip`` and ``SimulatedEncoder`` against emulated chips, and chips that go
wrong. On the real PC/SC stack (pcscd + vpcd + our virtual card): ``PcscEncoder`` writes a
blank laid on one virtual reader, and the terminal — built as ``emp-edge run`` builds it —
accepts that card on the other reader.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from school_cards import KEYS, add_card, add_pupil

from emp_edge.app import build_terminals, card_keys
from emp_edge.config import load_settings
from emp_edge.domain.taps import CardRecord, TapReason, TapResult
from emp_edge.errors import InputError, ReaderError
from emp_edge.events import TapDecided
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.terminal.authenticity import CardKeys, read_school_card
from emp_edge.terminal.desfire import RECORD_FILE
from emp_edge.terminal.desfire.card import EmulatedDesfireCard, clone, school_card
from emp_edge.terminal.desfire.crypto import record_mac
from emp_edge.terminal.desfire.session import NotDesfireError
from emp_edge.terminal.encoder import (
    ChipAlreadyEncodedError,
    ChipNotBlankError,
    ChipReadBackError,
    EncoderOfflineError,
    NoCardOnEncoderError,
    PcscEncoder,
    SimulatedEncoder,
    encode_chip,
)
from emp_edge.terminal.readers.port import Tap
from rigs.pcscd import PcscdRig
from rigs.vpcd_card import UidCard

pytestmark = pytest.mark.xdist_group("pcscd")

h = bytes.fromhex
UID = h("04C0FFEE112233")
RECORD = CardRecord(card_id=4021, pupil_id=77, valid_until=date(2029, 8, 31), issue_counter=1)
WAIT = 10.0  # generous: pcscd looks at its readers about every 0.4 s


class Channel:
    """The in-memory link to an emulated chip; ``sent`` keeps every APDU."""

    def __init__(self, card: EmulatedDesfireCard) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.card.respond(apdu)


def reads_as(card: EmulatedDesfireCard, keys: CardKeys = KEYS) -> CardRecord | TapReason | None:
    """What a terminal makes of the card: its record, or why it refuses it."""
    read = read_school_card(Tap("durys", card.uid, Channel(card)), keys)
    return read.refusal if read.refusal is not None else read.record


# ---------------------------------------------------------------- encode_chip in memory


def test_a_blank_becomes_exactly_the_card_a_terminal_expects() -> None:
    chip = EmulatedDesfireCard(UID)
    channel = Channel(chip)
    encode_chip(channel, UID, KEYS, RECORD)
    assert reads_as(chip) == RECORD
    assert chip.applications == school_card(UID, KEYS, RECORD).applications
    # the first commands as they go over the air: card level, then CreateApplication F5EE01,
    # KS1 09, two AES keys
    assert channel.sent[:2] == [h("905A00000300000000"), h("90CA00000501EEF5098200")]
    assert reads_as(clone(chip)) is TapReason.NOT_GENUINE


def test_a_chip_already_encoded_is_refused_and_left_as_it_was() -> None:
    card = school_card(UID, KEYS, RECORD)
    before = card.applications[KEYS.aid].keys[:]
    other = CardRecord(card_id=5000, pupil_id=78, valid_until=date(2030, 8, 31), issue_counter=1)
    with pytest.raises(ChipAlreadyEncodedError, match="use a new blank"):
        encode_chip(Channel(card), UID, KEYS, other)
    assert card.applications[KEYS.aid].keys == before
    assert reads_as(card) == RECORD


def test_a_chip_that_refuses_new_applications_is_no_blank() -> None:
    chip = EmulatedDesfireCard(UID)
    chip.picc_key_settings = 0x0B  # its own card master key is needed to create applications
    with pytest.raises(ChipNotBlankError, match="not a blank card"):
        encode_chip(Channel(chip), UID, KEYS, RECORD)
    assert chip.applications == {}


def test_a_record_that_cannot_be_written_fails_before_the_chip_is_touched() -> None:
    chip = EmulatedDesfireCard(UID)
    channel = Channel(chip)
    bad = CardRecord(card_id=0, pupil_id=77, valid_until=date(2029, 8, 31), issue_counter=1)
    with pytest.raises(InputError):
        encode_chip(channel, UID, KEYS, bad)
    assert channel.sent == []


class CorruptingChip(EmulatedDesfireCard):
    """Takes the record write, but one bit of it goes wrong in the chip's memory."""

    def _write_data(self, data: bytes) -> tuple[int, bytes]:
        answer = super()._write_data(data)
        if data[0] == RECORD_FILE:
            self.file(KEYS.aid, RECORD_FILE).data[5] ^= 0x01
        return answer


class SubstitutingChip(EmulatedDesfireCard):
    """Keeps a genuine record of another card instead of the one written."""

    def _write_data(self, data: bytes) -> tuple[int, bytes]:
        answer = super()._write_data(data)
        if data[0] == RECORD_FILE:
            body = CardRecord(9999, 77, date(2029, 8, 31), 2).body()
            mac = record_mac(KEYS.master, self.uid, KEYS.aid, body)
            self.file(KEYS.aid, RECORD_FILE).data[:] = body + mac
        return answer


def test_the_read_back_catches_a_record_written_wrong() -> None:
    with pytest.raises(ChipReadBackError, match=r"does not read back .*record_invalid"):
        encode_chip(Channel(CorruptingChip(UID)), UID, KEYS, RECORD)
    with pytest.raises(ChipReadBackError, match="another record than the one written"):
        encode_chip(Channel(SubstitutingChip(UID)), UID, KEYS, RECORD)


def test_a_chip_pulled_away_mid_write_is_a_reader_error() -> None:
    chip = EmulatedDesfireCard(UID)

    class Pulled(Channel):
        def transmit(self, apdu: bytes) -> bytes:
            if len(self.sent) == 7:
                raise ReaderError("the card left the field")
            return super().transmit(apdu)

    with pytest.raises(ReaderError, match="left the field"):
        encode_chip(Pulled(chip), UID, KEYS, RECORD)
    with pytest.raises(ChipAlreadyEncodedError):  # half written: the blank is spoiled
        encode_chip(Channel(chip), UID, KEYS, RECORD)


# ---------------------------------------------------------------- the simulated encoder


def test_the_simulated_encoder_writes_fresh_chips_that_terminals_accept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    encoder = SimulatedEncoder(KEYS)
    second = CardRecord(card_id=4022, pupil_id=78, valid_until=date(2029, 8, 31), issue_counter=1)
    with caplog.at_level(logging.DEBUG):
        uids = [encoder.encode(RECORD), encoder.encode(second)]
    assert len(set(uids)) == 2
    assert all(len(uid) == 7 and uid[0] == 0x04 for uid in uids)
    assert list(encoder.cards) == uids
    first = encoder.cards[uids[0]]
    assert reads_as(first) == RECORD
    assert reads_as(encoder.cards[uids[1]]) == second
    assert reads_as(clone(first)) is TapReason.NOT_GENUINE
    other_school = CardKeys(os.urandom(16), KEYS.aid, KEYS.school_code)
    assert reads_as(first, other_school) is TapReason.NOT_GENUINE
    logged = " ".join(r.getMessage() for r in caplog.records).upper()
    assert "ENCODED" in logged
    assert not any(uid.hex().upper() in logged for uid in uids)  # never a full UID


# ---------------------------------------------------------------- on pcscd with vpcd


def write_key(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as key:
        key.write(KEYS.master.hex())


@pytest.fixture
def services(store: Store, rig: PcscdRig) -> Services:
    """A box whose terminal reads the second virtual reader; the first is the encoder."""
    assert store.path is not None
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(store.path.parent)}).replace(
        roles=["terminal"],
        terminal__readers=[f"durys-1 check pcsc:{rig.readers[1]}"],
        terminal__reconnect_ms=100,
    )
    write_key(settings.data_dir / "card-master.key")
    return Services(settings=settings, store=store, clock=store.clock)


@pytest.fixture
def encoder(rig: PcscdRig) -> Iterator[PcscEncoder]:
    made = PcscEncoder(rig.readers[0], KEYS, WAIT)
    yield made
    made.close()


def lay_later(rig: PcscdRig, card: EmulatedDesfireCard | UidCard, after: float = 0.3) -> None:
    """Lay the card on the encoder's reader while the encoder waits, as staff would."""
    threading.Timer(after, rig.slots[0].insert, args=(card,)).start()


def test_a_blank_encoded_at_the_station_is_accepted_by_a_terminal(
    services: Services, store: Store, rig: PcscdRig
) -> None:
    pupil = add_pupil(store, "Ona", "Žukauskaitė")
    on_file = add_card(store, pupil, UID.hex().upper(), valid_until=date(2029, 8, 31))
    encoder = PcscEncoder(rig.readers[0], card_keys(services.settings), WAIT)
    blank = EmulatedDesfireCard(UID)
    try:
        lay_later(rig, blank)
        assert encoder.encode(on_file.record) == UID
    finally:
        encoder.close()
    assert h("90CA00000501EEF5098200") in rig.slots[0].apdus  # it went through pcscd
    rig.slots[0].remove()
    rig.wait_empty(rig.readers[0])

    terminals = build_terminals(services)
    with services.bus.subscribe("durys-1") as inbox:
        terminals.start()
        try:
            rig.slots[1].insert(blank)
            deadline = time.monotonic() + WAIT
            while not isinstance(news := inbox.get(timeout=WAIT), TapDecided):
                assert news is not None
                assert time.monotonic() < deadline
        finally:
            terminals.stop()
    assert (news.result, news.pupil_name) == (TapResult.ACCEPTED, "Ona Žukauskaitė")
    rows = store.conn.execute("SELECT result, reason FROM taps").fetchall()
    assert rows == [("accepted", "ok")]


def test_the_encoder_refuses_a_card_already_encoded(rig: PcscdRig, encoder: PcscEncoder) -> None:
    card = school_card(UID, KEYS, RECORD)
    rig.slots[0].insert(card)
    other = CardRecord(card_id=5000, pupil_id=78, valid_until=date(2030, 8, 31), issue_counter=1)
    with pytest.raises(ChipAlreadyEncodedError, match="already holds the school application"):
        encoder.encode(other)
    assert reads_as(card) == RECORD


def test_no_card_on_the_encoder_in_time(rig: PcscdRig) -> None:
    encoder = PcscEncoder(rig.readers[0], KEYS, 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(NoCardOnEncoderError, match="no card was laid on the encoder in 1 s"):
            encoder.encode(RECORD)
    finally:
        encoder.close()
    assert 1.0 <= time.monotonic() - started < 5.0


def test_a_chip_that_is_no_desfire_is_refused(rig: PcscdRig, encoder: PcscEncoder) -> None:
    lay_later(rig, UidCard(UID))
    with pytest.raises(NotDesfireError, match="not a DESFire card"):
        encoder.encode(RECORD)


def test_a_card_pulled_mid_write_fails_and_the_next_blank_is_encoded(
    rig: PcscdRig, encoder: PcscEncoder
) -> None:
    pulled = EmulatedDesfireCard(UID)
    rig.slots[0].insert(pulled, drop_after=8)  # GET UID, select, create, select, auth ×2, …
    with pytest.raises(ReaderError) as failed:
        encoder.encode(RECORD)
    assert not isinstance(failed.value, ChipAlreadyEncodedError | NoCardOnEncoderError)
    assert str(failed.value).startswith(f"the card on {rig.readers[0]}")  # lost mid-command
    assert list(pulled.applications[KEYS.aid].files) == [1]  # half written: a spoiled blank
    rig.slots[0].remove()
    rig.wait_empty(rig.readers[0])
    fresh_uid = h("04C0FFEE112244")
    fresh = EmulatedDesfireCard(fresh_uid)
    lay_later(rig, fresh)
    assert encoder.encode(RECORD) == fresh_uid
    assert reads_as(fresh) == RECORD


def test_an_encoder_reader_that_is_not_there(rig: PcscdRig) -> None:
    encoder = PcscEncoder("No Such Reader", KEYS, 0.5)
    try:
        with pytest.raises(EncoderOfflineError, match="'No Such Reader' is not connected"):
            encoder.encode(RECORD)
    finally:
        encoder.close()
