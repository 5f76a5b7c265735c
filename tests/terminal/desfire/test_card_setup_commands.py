"""The card station's commands, session against the emulated card: a blank chip is set up, and
every refusal a real card makes is made (and leaves the card as it was).

Both sides keep their own IV chain; a command after a ChangeKey or a MACed WriteData only
checks out when both moved in step.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.desfire.session import DesfireSession, DesfireStatus, Status
from emp_edge.terminal.desfire.setup import (
    DENIED,
    FREE,
    RECORD_ACCESS,
    AccessRights,
    CommMode,
    change_key,
    create_application,
    create_std_data_file,
    write_data,
)

h = bytes.fromhex
UID = h("04A1B2C3D4E5F6")
AID = h("F5EE01")
ZERO = bytes(16)
KEY0 = h("000102030405060708090A0B0C0D0E0F")
KEY1 = h("F0E0D0C0B0A090807060504030201000")
OTHER = h("11111111111111111111111111111111")


class Channel:
    """The in-memory link; ``tamper`` may change an APDU on its way to the card."""

    def __init__(self, card: EmulatedDesfireCard) -> None:
        self.card = card
        self.tamper: Callable[[bytes], bytes] = lambda apdu: apdu

    def transmit(self, apdu: bytes) -> bytes:
        return self.card.respond(self.tamper(apdu))


def blank() -> tuple[EmulatedDesfireCard, Channel, DesfireSession]:
    card = EmulatedDesfireCard(UID)
    channel = Channel(card)
    return card, channel, DesfireSession(channel)


def with_app(key_settings: int = 0x09) -> tuple[EmulatedDesfireCard, Channel, DesfireSession]:
    """A blank with a new application (keys zero), selected, authenticated with key 0."""
    card, channel, session = blank()
    session.select_application(bytes(3))
    create_application(session, AID, key_settings, 2)
    session.select_application(AID)
    session.authenticate_aes(0, ZERO)
    return card, channel, session


def refused(call: Callable[[], object]) -> int:
    with pytest.raises(DesfireStatus) as err:
        call()
    return err.value.status


def authenticates(card: EmulatedDesfireCard, key_no: int, key: bytes) -> bool:
    session = DesfireSession(Channel(card))
    session.select_application(AID)
    try:
        session.authenticate_aes(key_no, key)
    except DesfireStatus:
        return False
    return True


# ---------------------------------------------------------------- CreateApplication


def test_a_blank_takes_an_aes_application_with_zero_keys() -> None:
    card, _, session = blank()
    assert card.applications == {}
    session.select_application(bytes(3))
    create_application(session, AID, 0x09, 2)
    app = card.applications[AID]
    assert (app.keys, app.versions, app.key_settings, app.files) == ([ZERO, ZERO], {}, 0x09, {})
    assert authenticates(card, 0, ZERO)
    assert authenticates(card, 1, ZERO)


def test_creating_an_application_twice_is_a_duplicate_and_keeps_the_first() -> None:
    card, _, session = with_app()
    change_key(session, 1, KEY1, 1, old_key=ZERO)
    session.select_application(bytes(3))
    assert refused(lambda: create_application(session, AID, 0x0F, 5)) == Status.DUPLICATE_ERROR
    assert card.applications[AID].keys == [ZERO, KEY1]
    assert card.applications[AID].key_settings == 0x09


def test_create_application_refusals() -> None:
    card, _, session = blank()
    session.select_application(bytes(3))
    bad_type = lambda: session.command(0xCA, AID[::-1] + h("0942"))  # noqa: E731 — 3K3DES keys
    assert refused(bad_type) == Status.PARAMETER_ERROR
    no_keys = lambda: session.command(0xCA, AID[::-1] + h("0980"))  # noqa: E731
    assert refused(no_keys) == Status.PARAMETER_ERROR
    card.picc_key_settings = 0x0B  # creating applications needs the card's master key
    assert refused(lambda: create_application(session, AID, 0x09, 2)) == Status.AUTHENTICATION_ERROR
    card.picc_key_settings = 0x0F
    create_application(session, AID, 0x09, 2)
    session.select_application(AID)  # a command of the card level, not of an application
    other = h("123456")
    assert refused(lambda: create_application(session, other, 0x09, 2)) == Status.ILLEGAL_COMMAND
    assert list(card.applications) == [AID]


# ---------------------------------------------------------------- ChangeKey


def test_changing_another_key_keeps_the_session_in_step() -> None:
    card, _, session = with_app()
    change_key(session, 1, KEY1, 0x01, old_key=ZERO)
    assert session.authenticated
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 32)  # CMAC chain in step
    assert card.applications[AID].keys[1] == KEY1
    assert card.applications[AID].versions == {1: 0x01}
    assert authenticates(card, 1, KEY1)
    assert not authenticates(card, 1, ZERO)


def test_changing_the_authenticating_key_ends_the_session_on_both_sides() -> None:
    card, _, session = with_app()
    change_key(session, 0, KEY0, 0x01)
    assert not session.authenticated
    assert card._auth is None
    file = lambda: create_std_data_file(session, 1, CommMode.PLAIN, RECORD_ACCESS, 16)  # noqa: E731
    assert refused(file) == Status.AUTHENTICATION_ERROR
    assert authenticates(card, 0, KEY0)
    assert not authenticates(card, 0, ZERO)


def test_a_wrong_old_key_is_refused_and_the_key_stays() -> None:
    card, _, session = with_app()
    change_key(session, 1, KEY1, 0x01, old_key=ZERO)
    wrong = lambda: change_key(session, 1, OTHER, 0x02, old_key=KEY0)  # noqa: E731
    assert refused(wrong) == Status.INTEGRITY_ERROR
    assert not session.authenticated
    assert card._auth is None
    assert card.applications[AID].keys[1] == KEY1
    assert card.applications[AID].versions[1] == 0x01


def test_a_changed_cryptogram_is_refused() -> None:
    card, channel, session = with_app()

    def flip(apdu: bytes) -> bytes:
        return apdu[:-2] + bytes([apdu[-2] ^ 1]) + apdu[-1:] if apdu[1] == 0xC4 else apdu

    channel.tamper = flip
    assert refused(lambda: change_key(session, 0, KEY0, 1)) == Status.INTEGRITY_ERROR
    assert card.applications[AID].keys == [ZERO, ZERO]


@pytest.mark.parametrize(
    ("key_settings", "auth_key", "key_no", "status"),
    [
        (0x09, 1, 1, Status.AUTHENTICATION_ERROR),  # 0x: only key 0 changes keys
        (0x09, 1, 0, Status.AUTHENTICATION_ERROR),
        (0xE9, 1, 1, Status.OK),  # Ex: each key changes itself
        (0xE9, 0, 1, Status.AUTHENTICATION_ERROR),
        (0x19, 1, 0, Status.AUTHENTICATION_ERROR),  # 1x: key 1 changes keys, but not key 0
        (0x19, 1, 1, Status.OK),
        (0xF9, 0, 1, Status.PERMISSION_DENIED),  # Fx: frozen
        (0x08, 0, 0, Status.PERMISSION_DENIED),  # bit 0 clear: key 0 cannot change
        (0x09, 0, 2, Status.NO_SUCH_KEY),
    ],
)
def test_who_may_change_which_key(
    key_settings: int, auth_key: int, key_no: int, status: int
) -> None:
    card, _, session = with_app(key_settings)
    session.authenticate_aes(auth_key, ZERO)
    if status == Status.OK:
        change_key(session, key_no, KEY1, 1, old_key=None if key_no == auth_key else ZERO)
        assert card.applications[AID].keys[key_no] == KEY1
    else:
        call = lambda: change_key(session, key_no, KEY1, 1, old_key=ZERO)  # noqa: E731
        assert refused(call) == status
        assert card.applications[AID].keys == [ZERO, ZERO]


def test_change_key_needs_an_authentication() -> None:
    card, _, session = with_app()
    session.select_application(AID)
    with pytest.raises(ValueError, match="authenticated"):
        change_key(session, 1, KEY1, 1, old_key=ZERO)
    assert card.respond(h("90C4000021") + b"\x01" + bytes(32) + b"\x00") == h("91AE")


# ---------------------------------------------------------------- CreateStdDataFile


def test_a_file_is_created_with_its_settings_and_zeros() -> None:
    card, _, session = with_app()
    rights = AccessRights(read=1, write=0, read_write=DENIED, change=0)
    create_std_data_file(session, 2, CommMode.MACED, rights, 32)
    file = card.file(AID, 2)
    assert (bytes(file.data), file.comm) == (bytes(32), CommMode.MACED)
    assert (file.read, file.write, file.read_write, file.change) == (1, 0, DENIED, 0)
    again = lambda: create_std_data_file(session, 2, CommMode.PLAIN, rights, 8)  # noqa: E731
    assert refused(again) == Status.DUPLICATE_ERROR
    assert len(card.file(AID, 2).data) == 32


def test_create_file_refusals() -> None:
    card, _, session = with_app()
    enciphered = lambda: session.command(0xCD, h("03030000100000"))  # noqa: E731
    assert refused(enciphered) == Status.PARAMETER_ERROR
    session.authenticate_aes(0, ZERO)
    too_big = lambda: create_std_data_file(session, 3, CommMode.PLAIN, RECORD_ACCESS, 5000)  # noqa: E731
    assert refused(too_big) == Status.OUT_OF_EEPROM
    session.authenticate_aes(1, ZERO)  # key 1 may not create files (KS1 09)
    by_key1 = lambda: create_std_data_file(session, 3, CommMode.PLAIN, RECORD_ACCESS, 16)  # noqa: E731
    assert refused(by_key1) == Status.AUTHENTICATION_ERROR
    assert card.applications[AID].files == {}


def test_free_file_creation_when_the_key_settings_allow_it() -> None:
    card, _, session = with_app(0x0D)
    session.select_application(AID)  # not authenticated
    create_std_data_file(session, 4, CommMode.PLAIN, RECORD_ACCESS, 16)
    assert 4 in card.applications[AID].files


# ---------------------------------------------------------------- WriteData


def test_plain_and_maced_writes_read_back() -> None:
    card, _, session = with_app()
    change_key(session, 1, KEY1, 1, old_key=ZERO)
    issuer = AccessRights(read=FREE, write=0, read_write=DENIED, change=0)
    create_std_data_file(session, 1, CommMode.PLAIN, issuer, 16)
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 32)
    write_data(session, 1, b"issuer file 16 b")
    write_data(session, 2, bytes(range(32)), comm=CommMode.MACED)
    write_data(session, 2, b"\xff\xfe", offset=30, comm=CommMode.MACED)
    assert session.read_data(1, 0, 16) == b"issuer file 16 b"  # still in step
    reader = DesfireSession(Channel(card))
    reader.select_application(AID)
    reader.authenticate_aes(1, KEY1)
    assert reader.read_data(2, 0, 32) == bytes(range(30)) + b"\xff\xfe"


def test_a_wrong_cmac_on_a_maced_write_is_refused_and_nothing_written() -> None:
    card, channel, session = with_app()
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 32)

    def flip_mac(apdu: bytes) -> bytes:
        return apdu[:-2] + bytes([apdu[-2] ^ 0x80]) + apdu[-1:] if apdu[1] == 0x3D else apdu

    channel.tamper = flip_mac
    write = lambda: write_data(session, 2, bytes(range(32)), comm=CommMode.MACED)  # noqa: E731
    assert refused(write) == Status.INTEGRITY_ERROR
    assert bytes(card.file(AID, 2).data) == bytes(32)
    assert card._auth is None
    assert not session.authenticated


def test_a_maced_write_without_its_cmac_is_refused() -> None:
    card, _, session = with_app()
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 32)
    plain = lambda: write_data(session, 2, bytes(range(32)))  # noqa: E731 — the CMAC left off
    assert refused(plain) == Status.LENGTH_ERROR
    assert bytes(card.file(AID, 2).data) == bytes(32)


def test_write_access_is_checked() -> None:
    card, _, session = with_app()
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 32)
    never = AccessRights(read=FREE, write=DENIED, read_write=DENIED, change=0)
    create_std_data_file(session, 3, CommMode.PLAIN, never, 16)
    anyone = AccessRights(read=FREE, write=FREE, read_write=DENIED, change=0)
    create_std_data_file(session, 4, CommMode.MACED, anyone, 16)
    beyond = lambda: write_data(session, 2, b"x" * 8, offset=30, comm=CommMode.MACED)  # noqa: E731
    assert refused(beyond) == Status.BOUNDARY_ERROR
    session.authenticate_aes(0, ZERO)
    assert refused(lambda: write_data(session, 3, b"x")) == Status.PERMISSION_DENIED
    session.authenticate_aes(1, ZERO)  # key 1 reads the record, it does not write it
    write1 = lambda: write_data(session, 2, b"x" * 8, comm=CommMode.MACED)  # noqa: E731
    assert refused(write1) == Status.AUTHENTICATION_ERROR
    session.select_application(AID)  # free access: plain, no authentication needed
    write_data(session, 4, b"free")
    assert bytes(card.file(AID, 4).data[:4]) == b"free"
    assert bytes(card.file(AID, 2).data) == bytes(32)
    assert refused(lambda: write_data(session, 9, b"x")) == Status.FILE_NOT_FOUND


writes = st.lists(
    st.tuples(st.sampled_from([1, 2]), st.integers(0, 63), st.binary(min_size=1, max_size=100)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(writes)
def test_any_run_of_writes_stays_in_step_and_reads_back(run: list[tuple[int, int, bytes]]) -> None:
    card, _, session = with_app()
    create_std_data_file(session, 1, CommMode.PLAIN, RECORD_ACCESS, 164)
    create_std_data_file(session, 2, CommMode.MACED, RECORD_ACCESS, 164)
    expected = {1: bytearray(164), 2: bytearray(164)}
    for file_no, offset, data in run:
        write_data(session, file_no, data, offset=offset, comm=CommMode(file_no - 1))
        expected[file_no][offset : offset + len(data)] = data
    change_key(session, 0, KEY0, 1)  # the last command of a session, as at the station
    assert {n: bytes(card.file(AID, n).data) for n in (1, 2)} == {
        n: bytes(v) for n, v in expected.items()
    }
