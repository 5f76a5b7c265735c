"""The terminal's DESFire session against the emulated card, and against a real card's trace.

The session and the card each keep their own CMAC chain; an answer checks out only when both
moved in step over every command since the authentication.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emp_edge.errors import ReaderError
from emp_edge.terminal.desfire.card import (
    DENIED,
    FRAME_SIZE,
    CommMode,
    EmulatedDesfireCard,
)
from emp_edge.terminal.desfire.session import (
    DesfireIntegrityError,
    DesfireSession,
    DesfireStatus,
    NotDesfireError,
    Status,
    wrap,
)

h = bytes.fromhex
UID = h("04A1B2C3D4E5F6")
AID = h("F5EE01")
KEY0 = h("000102030405060708090A0B0C0D0E0F")
KEY1 = h("F0E0D0C0B0A090807060504030201000")
BIG = bytes(range(256)) * 2  # 512 bytes: nine frames


class Channel:
    """The in-memory link: every APDU goes to the card; ``sent`` keeps them."""

    def __init__(self, card: EmulatedDesfireCard) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.card.respond(apdu)


def make_card() -> EmulatedDesfireCard:
    card = EmulatedDesfireCard(UID)
    card.add_application(AID, [KEY0, KEY1])
    card.add_file(AID, 1, b"free to read....")
    card.add_file(AID, 2, BIG, comm=CommMode.MACED, read=1)
    card.add_file(AID, 3, b"key zero only", comm=CommMode.MACED, read=0)
    card.add_file(AID, 4, b"nobody", read=DENIED)
    return card


@pytest.fixture
def channel() -> Channel:
    return Channel(make_card())


@pytest.fixture
def session(channel: Channel) -> DesfireSession:
    s = DesfireSession(channel)
    s.select_application(AID)
    return s


# ---------------------------------------------------------------- plain and authenticated reads


def test_select_sends_the_aid_least_significant_byte_first(channel: Channel) -> None:
    DesfireSession(channel).select_application(AID)
    assert channel.sent == [h("905A00000301EEF500")]


def test_plain_read_of_a_free_file(session: DesfireSession) -> None:
    assert session.read_data(1) == b"free to read...."
    assert session.read_data(1, 5, 2) == b"to"
    assert not session.authenticated


def test_multi_frame_read_is_joined_and_its_cmac_checked(
    session: DesfireSession, channel: Channel
) -> None:
    session.authenticate_aes(1, KEY1)
    before = len(channel.sent)
    assert session.read_data(2) == BIG
    frames = -(-(len(BIG) + 8) // FRAME_SIZE)
    assert channel.sent[before:] == [wrap(0xBD, h("02000000000000"))] + [h("90AF000000")] * (
        frames - 1
    )


def test_the_cmac_chain_runs_over_many_commands(session: DesfireSession) -> None:
    session.authenticate_aes(1, KEY1)
    ivs = {session.iv}
    for offset in range(0, 480, 60):
        assert session.read_data(2, offset, 60) == BIG[offset : offset + 60]
        ivs.add(session.iv)
    assert session.read_data(1) == b"free to read...."  # free files carry a CMAC too
    version = session.get_version()
    assert version[14:21] == UID
    ivs.add(session.iv)
    assert len(ivs) == 10  # every command moved the chain
    assert session.authenticated


def test_a_command_the_session_did_not_see_breaks_the_chain(
    session: DesfireSession, channel: Channel
) -> None:
    session.authenticate_aes(1, KEY1)
    channel.card.respond(wrap(0xBD, h("01000000040000")))  # the card's chain moves alone
    with pytest.raises(DesfireIntegrityError):
        session.read_data(1)
    assert not session.authenticated


def test_a_changed_answer_byte_fails_the_cmac(channel: Channel) -> None:
    class Flipping(Channel):
        def transmit(self, apdu: bytes) -> bytes:
            answer = super().transmit(apdu)
            return bytes([answer[0] ^ 1]) + answer[1:] if apdu[1] == 0xBD else answer

    session = DesfireSession(Flipping(channel.card))
    session.select_application(AID)
    assert session.read_data(1) == b"gree to read...."  # plain: nothing to check
    session.authenticate_aes(1, KEY1)
    with pytest.raises(DesfireIntegrityError):
        session.read_data(1)


def test_get_version_plain_is_three_frames(session: DesfireSession, channel: Channel) -> None:
    before = len(channel.sent)
    version = session.get_version()
    assert len(version) == 28
    assert version[:2] == h("0401")
    assert version[14:21] == UID
    assert len(channel.sent) - before == 3


@settings(max_examples=40)
@given(
    data=st.binary(min_size=1, max_size=300),
    key=st.binary(min_size=16, max_size=16),
    cut=st.tuples(st.integers(0, 299), st.integers(0, 300)),
)
def test_any_file_reads_back_over_a_session(data: bytes, key: bytes, cut: tuple[int, int]) -> None:
    card = EmulatedDesfireCard(UID)
    card.add_application(AID, [key])
    card.add_file(AID, 7, data, comm=CommMode.MACED, read=0)
    session = DesfireSession(Channel(card))
    session.select_application(AID)
    session.authenticate_aes(0, key)
    assert session.read_data(7) == data
    offset, length = cut
    if offset < len(data) and offset + length <= len(data):
        assert session.read_data(7, offset, length) == data[offset : offset + length or None]
    else:
        with pytest.raises(DesfireStatus) as refused:
            session.read_data(7, offset, length)
        assert refused.value.status == Status.BOUNDARY_ERROR


# ---------------------------------------------------------------- error statuses


def status_of(call: object) -> int:
    assert callable(call)
    with pytest.raises(DesfireStatus) as refused:
        call()
    return refused.value.status


def test_error_statuses(session: DesfireSession) -> None:
    assert status_of(lambda: DesfireSession(session.channel).select_application(h("ABCDEF"))) == (
        Status.APPLICATION_NOT_FOUND
    )
    session.select_application(AID)
    assert status_of(lambda: session.read_data(9)) == Status.FILE_NOT_FOUND
    assert status_of(lambda: session.read_data(2)) == Status.AUTHENTICATION_ERROR
    assert status_of(lambda: session.read_data(4)) == Status.PERMISSION_DENIED
    assert status_of(lambda: session.read_data(1, 10, 10)) == Status.BOUNDARY_ERROR
    assert status_of(lambda: session.read_data(1, 16)) == Status.BOUNDARY_ERROR
    assert status_of(lambda: session.authenticate_aes(5, KEY1)) == Status.NO_SUCH_KEY
    assert status_of(lambda: session.authenticate_aes(1, KEY0)) == Status.AUTHENTICATION_ERROR
    assert status_of(lambda: session.command(0x6F)) == Status.ILLEGAL_COMMAND
    assert status_of(lambda: session.command(0xBD, b"\x01")) == Status.LENGTH_ERROR
    assert status_of(lambda: session.command(0xAF)) == Status.ILLEGAL_COMMAND


def test_an_error_ends_the_authentication_on_both_sides(session: DesfireSession) -> None:
    session.authenticate_aes(1, KEY1)
    assert status_of(lambda: session.read_data(3)) == Status.AUTHENTICATION_ERROR  # key 0 file
    assert not session.authenticated
    assert session.read_data(1) == b"free to read...."  # bare again: no CMAC expected
    assert status_of(lambda: session.read_data(2)) == Status.AUTHENTICATION_ERROR


def test_select_ends_the_authentication(session: DesfireSession) -> None:
    session.authenticate_aes(1, KEY1)
    session.select_application(AID)
    assert not session.authenticated
    assert status_of(lambda: session.read_data(2)) == Status.AUTHENTICATION_ERROR


def test_a_card_that_answers_the_challenge_wrongly_is_caught(channel: Channel) -> None:
    class Liar(Channel):
        def transmit(self, apdu: bytes) -> bytes:
            answer = super().transmit(apdu)
            if apdu[1] == 0xAF:  # the card's proof: replace it with anything
                return bytes(16) + h("9100")
            return answer

    session = DesfireSession(Liar(channel.card))
    session.select_application(AID)
    with pytest.raises(DesfireIntegrityError):
        session.authenticate_aes(1, KEY1)
    assert not session.authenticated


# ---------------------------------------------------------------- malformed answers


class Scripted:
    """Answers from a list, whatever is asked."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)

    def transmit(self, apdu: bytes) -> bytes:
        return self.answers.pop(0) if self.answers else h("91AF")


@pytest.mark.parametrize("answer", [b"", b"\x91", h("9000"), h("DEADBEEF"), h("01029100")])
def test_malformed_answers_are_reader_errors(answer: bytes) -> None:
    with pytest.raises(ReaderError) as failed:
        DesfireSession(Scripted(answer)).select_application(AID)
    assert not isinstance(failed.value, DesfireStatus | DesfireIntegrityError)


def test_an_iso_error_status_means_no_desfire_card() -> None:
    with pytest.raises(NotDesfireError) as failed:
        DesfireSession(Scripted(h("6E00"))).select_application(AID)
    assert failed.value.sw == 0x6E00


def test_an_answer_that_never_ends_is_refused() -> None:
    with pytest.raises(ReaderError, match="never ends"):
        DesfireSession(Scripted()).read_data(1)


def test_short_reads_and_short_challenges_are_reader_errors() -> None:
    with pytest.raises(ReaderError, match="long"):
        DesfireSession(Scripted(h("0102039100"))).read_data(1, 0, 16)
    with pytest.raises(ReaderError, match="16 bytes"):
        DesfireSession(Scripted(h("010291AF"))).authenticate_aes(1, KEY1)


def test_a_pulled_card_ends_the_session(session: DesfireSession) -> None:
    class Gone:
        def transmit(self, apdu: bytes) -> bytes:
            raise ReaderError("the card left the field")

    session.authenticate_aes(1, KEY1)
    session.channel = Gone()
    with pytest.raises(ReaderError, match="left the field"):
        session.read_data(1)
    assert not session.authenticated


# ---------------------------------------------------------------- the card as a reader sees it


def test_reader_pseudo_apdus() -> None:
    card = make_card()
    assert card.respond(h("FFCA000000")) == UID + h("9000")
    signal = h("FF00400D0403000101")
    assert card.respond(signal) == h("9000")
    assert card.reader_signals == [signal]
    assert card.respond(h("FFCA010000")) == h("6A86")


@pytest.mark.parametrize(
    ("apdu", "answer"),
    [
        (h("905A0000"), h("6700")),  # too short
        (h("905A00000301EE00"), h("6700")),  # Lc says 3, 2 follow
        (h("005A000000"), h("6E00")),  # not the DESFire class
        (h("905A010000"), h("6A86")),  # P1 not zero
    ],
)
def test_the_card_refuses_malformed_apdus(apdu: bytes, answer: bytes) -> None:
    assert make_card().respond(apdu) == answer


# ---------------------------------------------------------------- a real card's trace (vector C2)

WRITE_1 = bytes(range(0x34)).hex()
WRITE_2 = bytes(range(0x34, 0x50)).hex()
READ_1 = bytes(range(0x30)).hex()
READ_2 = bytes(range(0x30, 0x50)).hex()
TRACE = [
    # AuthenticateAES key 0 with key 10182028…, RndA 40E7D271…, RndB 626FFBD4… (vector A2)
    ("90AA0000010000", "B351CB2465D4F33AC627FD6E87A168F2 91AF"),
    (
        "90AF000020 044B6CAC343A0865895149649CA8DDE1F5AC4EC67BD208900AF02F049E05F0B0 00",
        "A2EE144B1012FBEB7B2F11132D95A454 9100",
    ),
    ("90CD000007 05001100500000 00", "A75316AD1596B953 9100"),  # CreateStdDataFile 5
    ("906F000000", "05 2D5FF67FFEC9D2D3 9100"),  # GetFileIDs
    ("90F5000001 05 00", "00001100500000 2AAC7517024E09DC 9100"),  # GetFileSettings 5
    (f"903D00003B 05000000340000 {WRITE_1} 00", "765C9DAA50ECB62F 9100"),  # WriteData
    (f"903D000023 05340000 1C0000 {WRITE_2} 00", "3E0AED986B8B0F37 9100"),  # WriteData
    ("90BD000007 05000000300000 00", f"{READ_1} 4C65F1F842262BAC 9100"),  # ReadData
    ("90BD000007 05300000200000 00", f"{READ_2} F02205CF913C03C9 9100"),  # ReadData
    ("90DF000001 05 00", "1BEF0D32B6D1D7F9 9100"),  # DeleteFile 5
]


class Trace:
    """Plays a recorded conversation: each APDU must be exactly the recorded one."""

    def __init__(self) -> None:
        self.steps = [(h(apdu), h(answer)) for apdu, answer in TRACE]

    def transmit(self, apdu: bytes) -> bytes:
        expected, answer = self.steps.pop(0)
        assert apdu.hex().upper() == expected.hex().upper()
        return answer


def test_vector_c2_replays_a_real_cards_session() -> None:
    trace = Trace()
    session = DesfireSession(trace)
    session.authenticate_aes(
        0, h("10182028303840485058606870788088"), rnd_a=h("40E7D27174CBA675E8EFBAB99C530E3D")
    )
    assert session.session_key == h("40E7D271626FFBD49C530E3D304F5B17")
    assert session.command(0xCD, h("05001100500000")) == b""
    assert session.command(0x6F) == h("05")
    assert session.command(0xF5, h("05")) == h("00001100500000")
    assert session.command(0x3D, h("05000000340000") + bytes(range(0x34))) == b""
    assert session.command(0x3D, h("05340000") + h("1C0000") + bytes(range(0x34, 0x50))) == b""
    assert session.read_data(5, 0, 0x30) == bytes(range(0x30))
    assert session.read_data(5, 0x30, 0x20) == bytes(range(0x30, 0x50))
    assert session.command(0xDF, h("05")) == b""
    assert trace.steps == []
