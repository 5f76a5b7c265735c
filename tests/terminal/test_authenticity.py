"""The card check a terminal runs on every tap: genuine cards pass, clones and forgeries do not.

Cards are emulated DESFire chips written as the card station writes them; the terminal talks to
them through an in-memory channel, which tests make truncate, garble or lose the card.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emp_edge.domain.taps import CardRecord, TapReason, issuer_file
from emp_edge.errors import ConfigError, ReaderError
from emp_edge.terminal.authenticity import (
    CardKeys,
    CardRead,
    application_id,
    create_master_key,
    load_master_key,
    read_school_card,
    read_uid_only,
)
from emp_edge.terminal.desfire import RECORD_FILE
from emp_edge.terminal.desfire.card import EmulatedDesfireCard, clone, school_card
from emp_edge.terminal.desfire.crypto import record_mac
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import SimulatedReader

h = bytes.fromhex
UID = h("04782E21801D80")
OTHER_UID = h("04112233445566")
KEYS = CardKeys(h("00112233445566778899AABBCCDDEEFF"), h("F5EE01"), "190000000")
RECORD = CardRecord(card_id=1234, pupil_id=42, valid_until=date(2030, 8, 31), issue_counter=1)
STEPS = 5  # select, read issuer, authenticate (2 frames), read record


class Channel:
    """The in-memory link to a card; ``fail_after`` APDUs and the card is gone."""

    def __init__(self, card: EmulatedDesfireCard, fail_after: int | None = None) -> None:
        self.card = card
        self.fail_after = fail_after
        self.sent = 0

    def transmit(self, apdu: bytes) -> bytes:
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise ReaderError("the card left the field")
        self.sent += 1
        return self.card.respond(apdu)


class Garbling(Channel):
    """Hands the answer to the ``at``-th APDU to ``change`` before the terminal sees it."""

    def __init__(self, card: EmulatedDesfireCard, at: int, change: object) -> None:
        super().__init__(card)
        self.at = at
        self.change = change

    def transmit(self, apdu: bytes) -> bytes:
        answer = super().transmit(apdu)
        if self.sent - 1 == self.at:
            assert callable(self.change)
            answer = self.change(answer)
        return answer


def check(card: EmulatedDesfireCard, channel: Channel | None = None, uid: bytes = UID) -> CardRead:
    read = read_school_card(Tap("reader", uid, channel or Channel(card)), KEYS)
    assert read.uid == uid
    assert uid.hex() not in read.detail.lower()  # never the full UID
    if read.refusal is not None:
        assert read.record is None
        assert read.detail
    return read


# ---------------------------------------------------------------- genuine and forged cards


def test_a_genuine_card_proves_itself() -> None:
    read = check(school_card(UID, KEYS, RECORD))
    assert read == CardRead(UID, record=RECORD)


def test_a_genuine_card_through_the_simulated_reader() -> None:
    reader = SimulatedReader("valgykla-1")
    assert reader.present(school_card(UID, KEYS, RECORD))
    tap = reader.next_tap(timeout=5)
    assert tap is not None
    assert read_school_card(tap, KEYS).record == RECORD


def test_a_clone_with_the_same_uid_and_file_bytes_is_not_genuine() -> None:
    genuine = school_card(UID, KEYS, RECORD)
    copy = clone(genuine)
    assert copy.uid == genuine.uid
    for no in (1, 2):
        assert copy.file(KEYS.aid, no).data == genuine.file(KEYS.aid, no).data
    read = check(copy)
    assert read.refusal is TapReason.NOT_GENUINE
    assert "authenticating" in read.detail


def test_a_card_keyed_for_another_uid_is_not_genuine() -> None:
    assert check(school_card(UID, KEYS, RECORD, keyed_for=OTHER_UID)).refusal is (
        TapReason.NOT_GENUINE
    )
    # and the genuine card of that other UID, read with a UID that is not its own
    other = school_card(OTHER_UID, KEYS, RECORD)
    assert check(other, uid=UID).refusal is TapReason.NOT_GENUINE


@pytest.mark.parametrize("at", range(32))
def test_a_record_changed_by_one_byte_is_invalid(at: int) -> None:
    card = school_card(UID, KEYS, RECORD)
    card.file(KEYS.aid, RECORD_FILE).data[at] ^= 0x01
    read = check(card)
    assert read.refusal is TapReason.RECORD_INVALID
    assert "MAC" in read.detail


def test_a_record_with_a_good_mac_but_a_bad_layout_is_invalid() -> None:
    card = school_card(UID, KEYS, RECORD)
    body = bytearray(RECORD.body())
    body[0] = 9  # an unknown record format
    mac = record_mac(KEYS.master, UID, KEYS.aid, bytes(body))
    card.file(KEYS.aid, RECORD_FILE).data[:] = bytes(body) + mac
    read = check(card)
    assert read.refusal is TapReason.RECORD_INVALID
    assert "format 9" in read.detail


def test_a_card_of_another_school_is_refused_as_such() -> None:
    other = CardKeys(h("FFEEDDCCBBAA99887766554433221100"), KEYS.aid, "290000000")
    read = check(school_card(UID, other, RECORD))
    assert read.refusal is TapReason.OTHER_SCHOOL
    assert "290000000" in read.detail


def test_a_card_without_the_application() -> None:
    read = check(EmulatedDesfireCard(UID))
    assert read.refusal is TapReason.NO_APPLICATION
    assert "F5EE01" in read.detail


def test_an_application_of_someone_else_under_our_aid() -> None:
    card = EmulatedDesfireCard(UID)
    card.add_application(KEYS.aid, [bytes(16), bytes(16)])
    assert check(card).refusal is TapReason.NO_APPLICATION  # no issuer file
    card.add_file(KEYS.aid, 1, b"something else..")
    assert check(card).refusal is TapReason.NO_APPLICATION  # not an issuer file
    card.file(KEYS.aid, 1).data[:] = issuer_file(KEYS.school_code)
    assert check(card).refusal is TapReason.NOT_GENUINE  # our school's file, not our key


def test_a_genuine_card_missing_its_record_file() -> None:
    card = school_card(UID, KEYS, RECORD)
    del card.applications[KEYS.aid].files[RECORD_FILE]
    assert check(card).refusal is TapReason.RECORD_INVALID


def test_a_chip_that_is_no_desfire_has_no_application() -> None:
    class BankCard:
        def transmit(self, apdu: bytes) -> bytes:
            return h("6E00")

    read = read_school_card(Tap("reader", UID, BankCard()), KEYS)
    assert read.refusal is TapReason.NO_APPLICATION


# ---------------------------------------------------------------- readers and cards failing


@pytest.mark.parametrize("after", range(STEPS))
def test_a_card_pulled_away_mid_read(after: int) -> None:
    channel = Channel(school_card(UID, KEYS, RECORD), fail_after=after)
    read = check(channel.card, channel)
    assert read.refusal is TapReason.READ_FAILED
    assert "left the field" in read.detail


CUTS = {
    "status-cut": lambda a: a[:-1],
    "data-halved": lambda a: a[: (len(a) - 2) // 2] + a[-2:],
    "one-byte": lambda a: a[:1],
}


@pytest.mark.parametrize("at", range(STEPS))
@pytest.mark.parametrize("cut", CUTS)
def test_truncated_answers_fail_the_read(at: int, cut: str) -> None:
    card = school_card(UID, KEYS, RECORD)
    read = check(card, Garbling(card, at, CUTS[cut]))
    if at == 0 and cut == "data-halved":
        assert read.refusal is None  # the select's answer has no data to halve
    else:
        assert read.refusal is TapReason.READ_FAILED


@settings(max_examples=150)
@given(at=st.integers(0, STEPS - 1), garbage=st.binary(max_size=80))
def test_garbage_answers_never_pass_and_never_raise(at: int, garbage: bytes) -> None:
    assume(not (at == 0 and garbage == h("9100")))  # that is the select's true answer
    card = school_card(UID, KEYS, RECORD)
    read = check(card, Garbling(card, at, lambda _: garbage))
    assert read.refusal is not None
    framed = len(garbage) >= 2 and garbage[-2] == 0x91
    iso_status = len(garbage) == 2 and 0x62 <= garbage[0] <= 0x6F
    if not framed and not (at == 0 and iso_status):
        assert read.refusal is TapReason.READ_FAILED


def test_a_uid_of_an_impossible_length_fails_the_read() -> None:
    card = school_card(UID, KEYS, RECORD)
    assert check(card, uid=bytes(2)).refusal is TapReason.READ_FAILED


def test_uid_mode_trusts_the_uid() -> None:
    tap = Tap("reader", UID, Channel(EmulatedDesfireCard(UID)))
    assert read_uid_only(tap) == CardRead(UID)


# ---------------------------------------------------------------- keys and settings


def test_card_keys_never_show_the_master_key() -> None:
    shown = repr(KEYS)
    assert "master" not in shown
    assert "00112233" not in shown.upper()
    assert "190000000" in shown


@pytest.mark.parametrize(
    ("master", "aid", "code"),
    [
        (bytes(15), h("F5EE01"), "190000000"),
        (bytes(16), h("F5EE"), "190000000"),
        (bytes(16), bytes(3), "190000000"),
        (bytes(16), h("F5EE01"), "19A"),
    ],
)
def test_card_keys_refuse_bad_values(master: bytes, aid: bytes, code: str) -> None:
    with pytest.raises(ConfigError):
        CardKeys(master, aid, code)


def test_application_id_setting() -> None:
    assert application_id("F5EE01") == h("F5EE01")
    for bad in ("F5EE0", "F5EE011", "000000", "XYZ123"):
        with pytest.raises(ConfigError, match="6 hex digits"):
            application_id(bad)


def write_key(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="ascii")
    path.chmod(mode)
    return path


def test_load_master_key(tmp_path: Path) -> None:
    key = "00112233445566778899aabbccddeeff"
    assert load_master_key(write_key(tmp_path / "a.key", key + "\n")) == h(key)
    assert load_master_key(write_key(tmp_path / "b.key", key.upper())) == h(key)
    assert load_master_key(write_key(tmp_path / "c.key", key, 0o400)) == h(key)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_key(tmp_path / "card.key", "00" * 16 + "\n", mode)
    with pytest.raises(ConfigError, match="owner only") as refused:
        load_master_key(path)
    assert str(path) in str(refused.value)
    assert "0000000000" not in str(refused.value)


@pytest.mark.parametrize(
    "text", ["", "00" * 15, "00" * 17, "zz" * 16, "00" * 16 + "\n\n", " " + "00" * 16]
)
def test_a_key_file_without_32_hex_digits_is_refused(tmp_path: Path, text: str) -> None:
    path = write_key(tmp_path / "card.key", text)
    with pytest.raises(ConfigError, match="32 hex digits") as refused:
        load_master_key(path)
    assert str(path) in str(refused.value)


def test_a_missing_or_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing") as refused:
        load_master_key(tmp_path / "none.key")
    assert str(tmp_path / "none.key") in str(refused.value)
    folder = tmp_path / "folder.key"
    folder.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_master_key(folder)
    blocker = write_key(tmp_path / "file", "x")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_master_key(blocker / "card.key")


def test_create_master_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "card-master.key"
    create_master_key(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    key = load_master_key(path)
    assert len(key) == 16
    other = tmp_path / "other" / "card-master.key"
    create_master_key(other)
    assert load_master_key(other) != key


def test_create_never_overwrites_a_key(tmp_path: Path) -> None:
    path = tmp_path / "card-master.key"
    create_master_key(path)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="never overwritten"):
        create_master_key(path)
    assert path.read_bytes() == before
    junk = write_key(tmp_path / "junk.key", "not a key at all", 0o644)
    with pytest.raises(ConfigError, match="never overwritten"):
        create_master_key(junk)
    assert junk.read_text(encoding="ascii") == "not a key at all"


def test_create_leaves_an_existing_folder_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    create_master_key(folder / "card-master.key")
    assert (folder.stat().st_mode & 0o777) == 0o755
