"""Known-answer vectors of the DESFire EV1 AES crypto, and properties that must hold for any input.

Vectors: NXP AN10922 §2.2.1 (diversification), AN10957 via libfreefare (short input), and
real-card traces (authentication, CMAC, CRC32). The authentications are replayed through the
terminal's session against the emulated card, with the randoms of the trace injected.
"""

from __future__ import annotations

import zlib

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC
from hypothesis import given
from hypothesis import strategies as st

from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.desfire.crypto import (
    RECORD_KEY_LABEL,
    ZERO_IV,
    an10922_aes128,
    application_master_key,
    cbc_decrypt,
    cbc_encrypt,
    cmac_subkeys,
    crc32,
    desfire_cmac,
    read_key,
    record_key,
    record_mac,
    rotate_left,
    xor,
)
from emp_edge.terminal.desfire.session import DesfireSession

h = bytes.fromhex
keys16 = st.binary(min_size=16, max_size=16)


def library_cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


class RecordingChannel:
    """Hands APDUs to the card and keeps both sides of the conversation."""

    def __init__(self, card: EmulatedDesfireCard) -> None:
        self.card = card
        self.log: list[tuple[bytes, bytes]] = []

    def transmit(self, apdu: bytes) -> bytes:
        answer = self.card.respond(apdu)
        self.log.append((apdu, answer))
        return answer


# ---------------------------------------------------------------- AN10922


def test_an10922_official_vector() -> None:
    master = h("00112233445566778899AABBCCDDEEFF")
    k1, k2 = cmac_subkeys(master)
    assert k1 == h("FBC9F75C9413C041DFEE452D3F0706D1")
    assert k2 == h("F793EEB928278083BFDC8A5A7E0E0D25")
    m = h("04782E21801D80") + h("3042F5") + h("4E585020416275")
    assert b"\x01" + m == h("0104782E21801D803042F54E585020416275")
    assert an10922_aes128(master, m) == h("A8DD63A3B89D54B37CA802473FDA9175")


def test_an10922_official_vector_through_the_read_key_helper() -> None:
    # the AID goes in as written, most significant byte first; the system id is ASCII
    master = h("00112233445566778899AABBCCDDEEFF")
    uid, aid = h("04782E21801D80"), h("3042F5")
    expected = h("A8DD63A3B89D54B37CA802473FDA9175")
    assert read_key(master, uid, aid, "NXP Abu") == expected


def test_an10922_short_input_pads_to_32_bytes_with_k2() -> None:
    master = h("F3F9377698707B688EAF84ABE39E3791")
    m = h("04DEADBEEFFEED")
    assert an10922_aes128(master, m) == h("0BB408BAFF98B6EE9F2E1585777F6A51")
    # a plain library CMAC pads to 16 bytes only and gives the wrong key
    assert library_cmac(master, b"\x01" + m) == h("721E2C01E81AF85D815633969CEA2607")


@given(master=keys16, m=st.binary(min_size=16, max_size=31))
def test_an10922_equals_a_library_cmac_for_long_input(master: bytes, m: bytes) -> None:
    assert an10922_aes128(master, m) == library_cmac(master, b"\x01" + m)


@given(master=keys16, uid=st.binary(min_size=7, max_size=7), aid=st.binary(min_size=3, max_size=3))
def test_key_0_and_key_1_differ_and_depend_on_the_uid(
    master: bytes, uid: bytes, aid: bytes
) -> None:
    k1 = read_key(master, uid, aid, "190000000")
    assert k1 != application_master_key(master, uid, aid, "190000000")
    assert k1 != read_key(master, xor(uid, b"\0" * 6 + b"\x01"), aid, "190000000")
    assert k1 != read_key(master, uid, aid, "290000000")


# ---------------------------------------------------------------- CMAC


def test_cmac_vector_c1_chains_the_command_into_the_answer() -> None:
    session_key = h("90F7A20191036845EC63DECD544B9931")
    command_mac = desfire_cmac(session_key, ZERO_IV, h("6400"))
    assert command_mac == h("257FC538618A944A3A20967B6F314348")
    answer_mac = desfire_cmac(session_key, command_mac, h("1000"))
    assert answer_mac == h("8A8FA36F55CD210DD8054658AC70D99A")
    assert answer_mac[:8] == h("8A8FA36F55CD210D")  # what travelled after the data 10


def test_rfc4493_vectors() -> None:
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    assert desfire_cmac(key, ZERO_IV, b"") == h("BB1D6929E95937287FA37D129B756746")
    block = h("6BC1BEE22E409F96E93D7E117393172A")
    assert desfire_cmac(key, ZERO_IV, block) == h("070A16B46B4D4144F79BDD9DD04A287C")


@given(key=keys16, data=st.binary(max_size=100))
def test_cmac_with_zero_iv_is_aes_cmac(key: bytes, data: bytes) -> None:
    assert desfire_cmac(key, ZERO_IV, data) == library_cmac(key, data)


@given(key=keys16, iv=keys16, data=st.binary(min_size=16, max_size=100))
def test_cmac_with_an_iv_chains_it_into_the_first_block(key: bytes, iv: bytes, data: bytes) -> None:
    assert desfire_cmac(key, iv, data) == library_cmac(key, xor(data[:16], iv) + data[16:])


# ---------------------------------------------------------------- CRC32


def test_crc32_vector_of_a_change_key_cryptogram() -> None:
    new_key = h("00102030405060708090A0B0B0A09080")
    assert crc32(h("C400") + new_key + b"\x10") == h("D2C6E66B")


@given(st.binary(max_size=200))
def test_crc32_is_zlib_without_the_final_xor(data: bytes) -> None:
    assert int.from_bytes(crc32(data), "little") == zlib.crc32(data) ^ 0xFFFFFFFF


# ---------------------------------------------------------------- AES helpers


@given(key=keys16, iv=keys16, blocks=st.integers(1, 6), seed=st.binary(min_size=96, max_size=96))
def test_cbc_round_trip(key: bytes, iv: bytes, blocks: int, seed: bytes) -> None:
    data = seed[: 16 * blocks]
    assert cbc_decrypt(key, iv, cbc_encrypt(key, iv, data)) == data


@given(st.binary(min_size=1, max_size=32))
def test_rotate_left_sixteen_times_is_identity_for_a_block(data: bytes) -> None:
    rotated = data
    for _ in range(len(data)):
        rotated = rotate_left(rotated)
    assert rotated == data


# ---------------------------------------------------------------- authentication vectors


def _replay(key: bytes, key_no: int, rnd_b: bytes, rnd_a: bytes) -> RecordingChannel:
    card = EmulatedDesfireCard(h("04112233445566"), rnd=lambda n: rnd_b[:n])
    keys = [bytes(16)] * (key_no + 1)
    keys[key_no] = key
    card.add_application(h("F5EE01"), keys)
    return RecordingChannel(card)


def test_authentication_vector_a1() -> None:
    key = bytes(16)
    channel = _replay(
        key, 0, h("C05DDD714FD788A6B7B754F3C4D066E8"), h("F44B26F5686F3A391CD38EBD10772281")
    )
    session = DesfireSession(channel)
    session.select_application(h("F5EE01"))
    session.authenticate_aes(0, key, rnd_a=h("F44B26F5686F3A391CD38EBD10772281"))
    assert session.session_key == h("F44B26F5C05DDD7110772281C4D066E8")
    assert session.iv == ZERO_IV
    select, first, second = channel.log
    assert select == (h("905A00000301EEF500"), h("9100"))
    assert first == (h("90AA0000010000"), h("B969FDFE56FD91FC9DE6F6F213B8FD1E91AF"))
    msg2 = h("36AAD7DF6E436BA08D18613830A70D5AD43E3D3F4A8D47541EEE623A934E4774")
    assert second == (
        h("90AF000020") + msg2 + b"\0",
        h("800DB680BC146BD121D6578F2D2E2059") + h("9100"),
    )


def test_authentication_vector_a2() -> None:
    key = h("10182028303840485058606870788088")
    channel = _replay(
        key, 1, h("626FFBD45CAF334ACCA45599304F5B17"), h("40E7D27174CBA675E8EFBAB99C530E3D")
    )
    session = DesfireSession(channel)
    session.select_application(h("F5EE01"))
    session.authenticate_aes(1, key, rnd_a=h("40E7D27174CBA675E8EFBAB99C530E3D"))
    assert session.session_key == h("40E7D271626FFBD49C530E3D304F5B17")
    _, first, second = channel.log
    assert first == (h("90AA0000010100"), h("B351CB2465D4F33AC627FD6E87A168F2") + h("91AF"))
    msg2 = h("044B6CAC343A0865895149649CA8DDE1F5AC4EC67BD208900AF02F049E05F0B0")
    assert second[0] == h("90AF000020") + msg2 + b"\0"
    assert second[1] == h("A2EE144B1012FBEB7B2F11132D95A454") + h("9100")


# ---------------------------------------------------------------- the record MAC


def test_record_key_is_sp800_108_counter_mode_with_aes_cmac() -> None:
    master = h("000102030405060708090A0B0C0D0E0F")
    fixed = b"\x00\x00\x00\x01" + RECORD_KEY_LABEL + b"\x00" + b"\x00\x00\x00\x80"
    assert record_key(master) == library_cmac(master, fixed)
    assert record_key(bytes(16)) == h("4D37A6970EE6BDB4AE7516EC12BE584A")  # pinned


@given(
    master=keys16,
    uid=st.binary(min_size=7, max_size=7),
    body=st.binary(min_size=24, max_size=24),
    at=st.integers(0, 33),
    flip=st.integers(1, 255),
)
def test_record_mac_catches_any_changed_byte(
    master: bytes, uid: bytes, body: bytes, at: int, flip: int
) -> None:
    aid = h("F5EE01")
    mac = record_mac(master, uid, aid, body)
    assert len(mac) == 8
    assert mac == library_cmac(record_key(master), uid + aid + body)[:8]
    signed = bytearray(uid + aid + body)
    signed[at] ^= flip
    changed = bytes(signed)
    assert record_mac(master, changed[:7], changed[7:10], changed[10:]) != mac
