"""Known-answer vectors of the card station's DESFire commands (setup.py).

Vectors: the ChangeKey CRC32 of NXP's examples, a real card's AES ChangeKey (Elmü's "DESFire
EV1 Communication Examples", right after authentication vector A1), the CreateApplication and
CreateStdDataFile layouts, and Elmü's trace of CreateStdDataFile + WriteData (vector C2's
session). MACed writes and enciphered key changes right after an authentication (IV 0) are
checked against a library AES-CMAC and a library AES-CBC.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.desfire.crypto import crc32
from emp_edge.terminal.desfire.session import DesfireSession
from emp_edge.terminal.desfire.setup import (
    DENIED,
    FREE,
    ISSUER_ACCESS,
    RECORD_ACCESS,
    AccessRights,
    CommMode,
    change_key,
    change_key_cryptogram,
    create_application,
    create_std_data_file,
    write_data,
)

h = bytes.fromhex
AID = h("F5EE01")
NEW_KEY = h("00102030405060708090A0B0B0A09080")
# authentication vector A1: key 0 all zero
RND_A = h("F44B26F5686F3A391CD38EBD10772281")
RND_B = h("C05DDD714FD788A6B7B754F3C4D066E8")
SESSION_KEY_A1 = h("F44B26F5C05DDD7110772281C4D066E8")


class Recording:
    """Hands APDUs to a card, or answers from a script when there is no card."""

    def __init__(self, card: EmulatedDesfireCard | None = None, *answers: bytes) -> None:
        self.card = card
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.card.respond(apdu) if self.card is not None else self.answers.pop(0)


def after_a1(keys: list[bytes] | None = None) -> tuple[DesfireSession, Recording]:
    """A session right after authentication vector A1 with an emulated card (IV 0)."""
    card = EmulatedDesfireCard(h("04112233445566"), rnd=lambda n: RND_B[:n])
    card.add_application(AID, keys or [bytes(16), bytes(16)])
    channel = Recording(card)
    session = DesfireSession(channel)
    session.select_application(AID)
    session.authenticate_aes(0, bytes(16), rnd_a=RND_A)
    assert session.session_key == SESSION_KEY_A1
    return session, channel


def library_cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def library_cbc(key: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return enc.update(data) + enc.finalize()


# ---------------------------------------------------------------- ChangeKey


def test_change_key_crc_vector() -> None:
    cryptogram = change_key_cryptogram(0, NEW_KEY, 0x10)
    assert crc32(h("C400") + NEW_KEY + b"\x10") == h("D2C6E66B")
    assert cryptogram == NEW_KEY + h("10") + h("D2C6E66B") + bytes(11)


def test_change_key_of_the_authenticating_key_matches_a_real_cards_trace() -> None:
    session, channel = after_a1()
    change_key(session, 0, NEW_KEY, 0x10)
    enciphered = h("E9F85E219496C2B58C1090DC3935FAE9E840CF61B383D9531946256B1F110C10")
    assert channel.sent[-1] == h("90C4000021") + b"\x00" + enciphered + b"\x00"
    assert not session.authenticated  # the key that authenticated is gone
    assert channel.card is not None
    app = channel.card.applications[AID]
    assert (app.keys[0], app.versions[0]) == (NEW_KEY, 0x10)


def test_change_key_of_another_key_layout() -> None:
    old = h("000102030405060708090A0B0C0D0E0F")
    cryptogram = change_key_cryptogram(1, NEW_KEY, 0x10, old)
    xored = bytes(a ^ b for a, b in zip(NEW_KEY, old, strict=True))
    crc_head = crc32(h("C401") + xored + h("10"))
    assert cryptogram == xored + h("10") + crc_head + crc32(NEW_KEY) + bytes(7)


def test_change_key_of_another_key_is_library_cbc_and_its_answer_chains() -> None:
    session, channel = after_a1()
    change_key(session, 1, NEW_KEY, 0x10, old_key=bytes(16))
    sent = library_cbc(SESSION_KEY_A1, change_key_cryptogram(1, NEW_KEY, 0x10, bytes(16)))
    assert channel.sent[-1] == h("90C4000021") + b"\x01" + sent + b"\x00"
    assert session.authenticated  # another key: the session goes on
    assert channel.card is not None
    assert channel.card.applications[AID].keys[1] == NEW_KEY


# ---------------------------------------------------------------- creating the application, files


def test_create_application_layout() -> None:
    channel = Recording(None, h("9100"))
    create_application(DesfireSession(channel), h("00AE16"), 0x0F, 2)
    assert channel.sent == [h("90CA000005") + h("16AE000F82") + b"\x00"]


def test_create_std_data_file_layout() -> None:
    channel = Recording(None, h("9100"))
    rights = AccessRights(read=0, write=0, read_write=1, change=1)
    create_std_data_file(DesfireSession(channel), 5, CommMode.PLAIN, rights, 0x50)
    assert channel.sent == [h("90CD000007") + h("05001100500000") + b"\x00"]


def test_the_school_files_access_rights() -> None:
    assert (FREE, DENIED) == (0xE, 0xF)
    assert ISSUER_ACCESS.encode() == h("F0E0")  # E0F0: read free, write 0, rw never, change 0
    assert RECORD_ACCESS.encode() == h("F010")  # 10F0: read 1, write 0, rw never, change 0
    assert AccessRights.decode(h("F0E0")) == ISSUER_ACCESS


@given(st.tuples(*[st.integers(0, 15)] * 4))
def test_access_rights_round_trip(nibbles: tuple[int, int, int, int]) -> None:
    rights = AccessRights(*nibbles)
    assert AccessRights.decode(rights.encode()) == rights
    assert int.from_bytes(rights.encode(), "little") >> 12 == rights.read


# ---------------------------------------------------------------- WriteData


def test_maced_write_right_after_authentication_carries_the_library_cmac() -> None:
    session, channel = after_a1()
    assert channel.card is not None
    channel.card.add_file(AID, 2, bytes(32), comm=CommMode.MACED, read=1, write=0)
    data = bytes(range(32))
    write_data(session, 2, data, comm=CommMode.MACED)  # IV 0: the CMAC is RFC 4493's
    command = h("3D") + h("02000000200000") + data
    mac = library_cmac(SESSION_KEY_A1, command)
    assert channel.sent[-1] == h("903D00002F") + command[1:] + mac[:8] + b"\x00"
    assert bytes(channel.card.file(AID, 2).data) == data
    assert session.iv != mac  # the answer's CMAC (over 00, from IV = mac) moved it on


WRITE_1 = bytes(range(0x34)).hex()
WRITE_2 = bytes(range(0x34, 0x50)).hex()
TRACE = [  # vector C2's session: AuthenticateAES key 0 (vector A2's key and randoms)
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
]


def test_create_file_and_a_long_plain_write_replay_a_real_cards_trace() -> None:
    steps = [(h(apdu), h(answer)) for apdu, answer in TRACE]

    class Trace:
        def transmit(self, apdu: bytes) -> bytes:
            expected, answer = steps.pop(0)
            assert apdu.hex().upper() == expected.hex().upper()
            return answer

    session = DesfireSession(Trace())
    session.authenticate_aes(
        0, h("10182028303840485058606870788088"), rnd_a=h("40E7D27174CBA675E8EFBAB99C530E3D")
    )
    rights = AccessRights(read=0, write=0, read_write=1, change=1)
    create_std_data_file(session, 5, CommMode.PLAIN, rights, 0x50)
    assert session.command(0x6F) == h("05")
    assert session.command(0xF5, h("05")) == h("00001100500000")
    write_data(session, 5, bytes(range(0x50)))  # 80 bytes: two WriteData of 52 and 28
    assert steps == []
