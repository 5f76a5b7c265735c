"""The cryptography of the school's card application, on top of AES.

Everything a terminal and the emulated card compute to trust each other:

- AES-CBC with an explicit IV, as DESFire chains it through a whole session;
- the DESFire CMAC: RFC 4493 AES-CMAC whose CBC chain starts from the session's IV (the full
  16 bytes become the next IV; only the first 8 travel);
- AN10922 AES-128 key diversification, which pads the diversification input to 32 bytes and so
  differs from a library CMAC for short input;
- the DESFire CRC32 (no final XOR);
- the card record's MAC, made with a key derived from the school's master key and never stored
  on a card, so a record changed by a single byte is caught even when a chip's keys leak.
"""

from __future__ import annotations

import zlib
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode

BLOCK: Final = 16
ZERO_IV: Final = bytes(BLOCK)
RECORD_KEY_LABEL: Final = b"EMP card record MAC"
"""The label of the record key's derivation (NIST SP 800-108 counter mode, AES-CMAC)."""
KEY0_PREFIX: Final = b"A"
"""Put before the school code in the system id of key 0, so key 0 and key 1 never coincide."""

_RB: Final = 0x87  # the constant of RFC 4493 for 128-bit blocks


def _check_key(key: bytes) -> None:
    if len(key) != BLOCK:
        raise ValueError(f"an AES-128 key is 16 bytes, not {len(key)}")


# ---------------------------------------------------------------- AES


def aes_block(key: bytes, block: bytes) -> bytes:
    """One AES-128 block enciphered with ``key`` (ECB of exactly one block)."""
    _check_key(key)
    if len(block) != BLOCK:
        raise ValueError("aes_block takes exactly one 16-byte block")
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 — one block only
    return enc.update(block) + enc.finalize()


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128-CBC without padding; ``data`` is whole blocks."""
    _check_key(key)
    if len(data) % BLOCK:
        raise ValueError("CBC data must be whole 16-byte blocks")
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128-CBC decryption without padding; ``data`` is whole blocks."""
    _check_key(key)
    if len(data) % BLOCK:
        raise ValueError("CBC data must be whole 16-byte blocks")
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def rotate_left(data: bytes) -> bytes:
    """The bytes rotated left by one (RndB → RndB′ in the authentication)."""
    return data[1:] + data[:1]


def xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two strings of the same length."""
    if len(a) != len(b):
        raise ValueError("xor needs two strings of the same length")
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- CMAC


def _double(block: bytes) -> bytes:
    """Multiplication by x in GF(2^128), as RFC 4493 derives its subkeys."""
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ _RB
    return value.to_bytes(BLOCK, "big")


def cmac_subkeys(key: bytes) -> tuple[bytes, bytes]:
    """The CMAC subkeys K1 and K2 of an AES-128 key (RFC 4493 §2.3)."""
    k1 = _double(aes_block(key, ZERO_IV))
    return k1, _double(k1)


def _pad_last(key: bytes, data: bytes, size: int) -> bytes:
    """``data`` padded with 80 00 … to ``size`` bytes, the last block XORed with K1 or K2."""
    k1, k2 = cmac_subkeys(key)
    if data and len(data) == size:
        subkey, padded = k1, data
    else:
        subkey, padded = k2, (data + b"\x80").ljust(size, b"\0")
    return padded[:-BLOCK] + xor(padded[-BLOCK:], subkey)


def desfire_cmac(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CMAC of ``data`` with the CBC chain started from ``iv``; all 16 bytes.

    With ``iv`` all zero this is RFC 4493 AES-CMAC. In a DESFire session the result is the
    next IV, and its first 8 bytes are what travels.
    """
    if len(iv) != BLOCK:
        raise ValueError("the CMAC IV is 16 bytes")
    size = max(BLOCK, -(-len(data) // BLOCK) * BLOCK)
    return cbc_encrypt(key, iv, _pad_last(key, data, size))[-BLOCK:]


# ---------------------------------------------------------------- AN10922


def an10922_aes128(master: bytes, m: bytes) -> bytes:
    """The AES-128 key AN10922 diversifies from ``master`` with the input ``m`` (1–31 bytes).

    D = 01 ‖ M, padded to 32 bytes with 80 00 … and its last block XORed with K2, or taken as
    is with K1 when it already is 32 bytes; the key is the last block of AES-CBC(IV=0, D).
    """
    if not 1 <= len(m) <= 31:
        raise ValueError(f"AN10922 input is 1 to 31 bytes, not {len(m)}")
    return cbc_encrypt(master, ZERO_IV, _pad_last(master, b"\x01" + m, 2 * BLOCK))[-BLOCK:]


def diversification_input(uid: bytes, aid: bytes, system_id: bytes) -> bytes:
    """UID ‖ AID (as written, most significant byte first) ‖ system id."""
    if len(aid) != 3:
        raise ValueError("a DESFire AID is 3 bytes")
    return uid + aid + system_id


def read_key(master: bytes, uid: bytes, aid: bytes, school_code: str) -> bytes:
    """Key 1 of the school application on the card with this UID: the key the terminal uses."""
    system_id = school_code.encode("ascii")
    return an10922_aes128(master, diversification_input(uid, aid, system_id))


def application_master_key(master: bytes, uid: bytes, aid: bytes, school_code: str) -> bytes:
    """Key 0 of the school application (changes the application; only the card station needs it)."""
    system_id = KEY0_PREFIX + school_code.encode("ascii")
    return an10922_aes128(master, diversification_input(uid, aid, system_id))


# ---------------------------------------------------------------- CRC32


def crc32(data: bytes) -> bytes:
    """The DESFire CRC32: reflected poly EDB88320, preset FFFFFFFF, no final XOR, 4 bytes LE."""
    return ((~zlib.crc32(data)) & 0xFFFFFFFF).to_bytes(4, "little")


# ---------------------------------------------------------------- the card record MAC


def record_key(master: bytes) -> bytes:
    """K_rec: the 16-byte key of the record MAC, derived from the school's master key.

    NIST SP 800-108 KDF in counter mode with AES-CMAC as the PRF: a 4-byte counter before the
    fixed input, label ``EMP card record MAC``, no context, a 4-byte length in bits. It is
    computed where it is needed and never written to a card.
    """
    _check_key(master)
    kdf = KBKDFCMAC(
        algorithm=algorithms.AES,
        mode=Mode.CounterMode,
        length=BLOCK,
        rlen=4,
        llen=4,
        location=CounterLocation.BeforeFixed,
        label=RECORD_KEY_LABEL,
        context=b"",
        fixed=None,
    )
    return kdf.derive(master)


def record_mac(master: bytes, uid: bytes, aid: bytes, body: bytes) -> bytes:
    """The 8-byte record MAC: AES-CMAC(K_rec, UID ‖ AID ‖ body), first 8 bytes."""
    if len(aid) != 3:
        raise ValueError("a DESFire AID is 3 bytes")
    mac = CMAC(algorithms.AES(record_key(master)))
    mac.update(uid + aid + body)
    return mac.finalize()[:8]
