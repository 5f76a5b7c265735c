"""The nfcpy reader over nfcpy's real udp driver, with our ISO-DEP card on the other end.

Each test has its own card rig on a free loopback port, so xdist workers never meet. What the
udp driver can and cannot show: opening ``udp:HOST:PORT`` only makes a socket, and a reader
polling a port where nobody listens gets silence (Linux does not report ICMP errors to an
unconnected UDP socket), which is "no card", not "reader gone". A reader whose device fails is
shown by what really makes nfcpy fail: a USB path with no such device, and the operating system
refusing the driver new sockets (the open-files limit, in a child process of its own).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from emp_edge.domain.taps import CardRecord, TapReason
from emp_edge.errors import ReaderError
from emp_edge.terminal.authenticity import CardKeys, read_school_card
from emp_edge.terminal.desfire.card import clone, school_card
from emp_edge.terminal.readers.nfc import NfcReader
from emp_edge.terminal.readers.port import GET_UID, ReaderHealth, Tap, sw
from rigs.nfc_card import NfcCardRig, UidCard

KEYS = CardKeys(master=bytes(range(16)), aid=bytes.fromhex("F5EE01"), school_code="190000000")
RECORD = CardRecord(card_id=4021, pupil_id=77, valid_until=date(2027, 8, 31), issue_counter=1)
UID_A = bytes.fromhex("04A1B2C3D4E5F6")
UID_B = bytes.fromhex("04778899AABBCC")
SELECT_NDEF = bytes.fromhex("00A4040007D276000085010100")
SELECT_SCHOOL_APP = bytes.fromhex("905A00000301EEF500")
WAIT = 10.0  # generous: a poll that misses the card retries after nfcpy's 1 s udp timeout
TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def rig() -> Iterator[NfcCardRig]:
    made = NfcCardRig()
    yield made
    made.close()


@pytest.fixture
def reader(rig: NfcCardRig) -> Iterator[NfcReader]:
    made = NfcReader(rig.path, reconnect_interval=0.05)
    yield made
    made.close()


def wait_tap(reader: NfcReader) -> Tap:
    tap = reader.next_tap(WAIT)
    assert tap is not None, f"no tap within {WAIT} s; health: {reader.health()}"
    return tap


def leave(rig: NfcCardRig, reader: NfcReader) -> None:
    """Take the card away and let the reader see the empty field."""
    rig.take_away()
    assert reader.next_tap(0.2) is None


class JunkCard(UidCard):
    """A card whose chip answers one byte to everything: not an APDU answer."""

    def respond(self, apdu: bytes) -> bytes:
        return b"\x01"


def test_a_card_gives_its_uid(rig: NfcCardRig, reader: NfcReader) -> None:
    assert reader.health().online
    rig.present(UidCard(UID_A))
    tap = wait_tap(reader)
    assert tap.uid == UID_A
    assert tap.reader == reader.name
    assert f"udp:127.0.0.1:{rig.port}" in tap.reader
    # the reader answers GET UID from the anticollision, as a PC/SC reader does
    assert tap.channel.transmit(GET_UID) == UID_A + b"\x90\x00"
    # everything else goes to the card as ISO-DEP blocks
    assert tap.channel.transmit(SELECT_NDEF) == b"\x6a\x82"
    assert rig.apdus == [SELECT_NDEF]
    reader.done(tap, accepted=True)


def test_a_genuine_school_card_is_read_and_verified(rig: NfcCardRig, reader: NfcReader) -> None:
    rig.present(school_card(UID_A, KEYS, RECORD))
    tap = wait_tap(reader)
    read = read_school_card(tap, KEYS)
    assert read.refusal is None, read.detail
    assert read.record == RECORD
    assert rig.apdus[0] == SELECT_SCHOOL_APP
    assert any(apdu[1] == 0xAA for apdu in rig.apdus)  # AuthenticateAES went over the air
    reader.done(tap, accepted=True)


def test_a_clone_fails_at_the_key(rig: NfcCardRig, reader: NfcReader) -> None:
    rig.present(clone(school_card(UID_A, KEYS, RECORD)))
    tap = wait_tap(reader)
    read = read_school_card(tap, KEYS)
    assert read.refusal is TapReason.NOT_GENUINE
    reader.done(tap, accepted=False)


def test_a_card_held_on_the_reader_is_one_tap(rig: NfcCardRig, reader: NfcReader) -> None:
    rig.present(UidCard(UID_A))
    tap = wait_tap(reader)
    reader.done(tap, accepted=True)
    for _ in range(3):
        assert reader.next_tap(0.5) is None
    assert rig.card_on_reader
    assert reader.health().online


def test_a_card_held_is_one_tap_even_before_done(rig: NfcCardRig, reader: NfcReader) -> None:
    rig.present(UidCard(UID_A))
    tap = wait_tap(reader)
    assert reader.next_tap(0.5) is None
    assert tap.channel.transmit(SELECT_NDEF) == b"\x6a\x82"  # still this tap's card
    reader.done(tap, accepted=True)


def test_taken_away_and_back_is_a_second_tap(rig: NfcCardRig, reader: NfcReader) -> None:
    card = UidCard(UID_A)
    rig.present(card)
    first = wait_tap(reader)
    reader.done(first, accepted=True)
    leave(rig, reader)

    rig.present(card)
    second = wait_tap(reader)
    assert second.uid == UID_A
    assert second.channel.transmit(SELECT_NDEF) == b"\x6a\x82"
    with pytest.raises(ReaderError, match="no longer on"):
        first.channel.transmit(SELECT_NDEF)
    reader.done(second, accepted=True)


def test_a_done_tap_answers_no_more(rig: NfcCardRig, reader: NfcReader) -> None:
    rig.present(UidCard(UID_A))
    tap = wait_tap(reader)
    reader.done(tap, accepted=True)
    with pytest.raises(ReaderError):
        tap.channel.transmit(SELECT_NDEF)


@pytest.mark.parametrize(
    ("card", "garbage"),
    [
        pytest.param(UidCard(UID_A), bytes.fromhex("5AA5"), id="not-an-iso-dep-block"),
        pytest.param(JunkCard(UID_A), None, id="one-byte-apdu-answer"),
    ],
)
def test_a_garbage_answer_is_a_reader_error_and_the_next_card_is_served(
    rig: NfcCardRig, reader: NfcReader, card: UidCard, garbage: bytes | None
) -> None:
    rig.present(card, garbage=garbage)
    tap = wait_tap(reader)
    with pytest.raises(ReaderError, match="card on udp"):
        tap.channel.transmit(SELECT_NDEF)
    reader.done(tap, accepted=False)
    leave(rig, reader)

    rig.present(school_card(UID_B, KEYS, RECORD))
    tap = wait_tap(reader)
    assert tap.uid == UID_B
    assert read_school_card(tap, KEYS).record == RECORD
    assert reader.health().online


def test_a_card_pulled_away_mid_read_and_the_next_card_is_served(
    rig: NfcCardRig, reader: NfcReader
) -> None:
    rig.present(school_card(UID_A, KEYS, RECORD), vanish_after=3)  # gone during the auth
    tap = wait_tap(reader)
    read = read_school_card(tap, KEYS)
    assert read.refusal is TapReason.READ_FAILED
    assert "did not answer" in read.detail
    with pytest.raises(ReaderError):
        tap.channel.transmit(SELECT_SCHOOL_APP)
    reader.done(tap, accepted=False)
    assert not rig.card_on_reader
    assert reader.next_tap(0.2) is None

    rig.present(school_card(UID_B, KEYS, RECORD))
    tap = wait_tap(reader)
    assert tap.uid == UID_B
    answer = tap.channel.transmit(SELECT_SCHOOL_APP)
    assert sw(answer) == 0x9100
    assert reader.health().online


def test_a_device_that_cannot_open_is_offline_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    path = "usb:ffff:ffff"  # no reader of that vendor and product on any machine
    with caplog.at_level(logging.INFO, logger="nfc.clf"):
        reader = NfcReader(path, reconnect_interval=0.05)
        try:
            health = reader.health()
            assert not health.online
            assert health.detail == f"cannot open the NFC reader at {path}: No such device"
            assert reader.next_tap(0.5) is None  # waits, never raises
            assert not reader.health().online
        finally:
            reader.close()
    attempts = [r for r in caplog.records if r.getMessage().startswith("searching for reader")]
    assert len(attempts) >= 3  # opened again every reconnect_interval while offline


OUTAGE = """
import json, logging, resource, sys
import nfc.clf.udp, nfc.tag.tt4  # imported first: importing opens files
from rigs.nfc_card import NfcCardRig, UidCard
from emp_edge.terminal.readers.nfc import NfcReader

offline = []
class Note(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("reader offline"):
            offline.append(record.args[1])
logging.getLogger("emp_edge.terminal.readers.nfc").addHandler(Note())
logging.getLogger("emp_edge.terminal.readers.nfc").setLevel(logging.INFO)

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
def starve(): resource.setrlimit(resource.RLIMIT_NOFILE, (0, hard))
def feed(): resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
seen = {}
rig = NfcCardRig()
seen["path"] = rig.path

starve()  # the device cannot be opened
reader = NfcReader(rig.path, reconnect_interval=0.05)
seen["at_start"] = reader.health().detail
seen["tap_while_closed"] = reader.next_tap(0.3) is None
feed()
rig.present(UidCard(bytes.fromhex("04A1B2C3D4E5F6")))
tap = reader.next_tap(10)
seen["recovered"] = [reader.health().online, tap.uid.hex() if tap else None]
reader.done(tap, True)
rig.take_away()
reader.next_tap(0.3)

starve()  # the device fails while polling
seen["tap_while_failing"] = reader.next_tap(0.3) is None
seen["failing"] = reader.health().detail
feed()
rig.present(UidCard(bytes.fromhex("04778899AABBCC")))
tap = reader.next_tap(10)
seen["back"] = [reader.health().online, tap.uid.hex() if tap else None]
seen["offline"] = offline
reader.close()
rig.close()
print(json.dumps(seen))
"""


def test_a_device_that_fails_goes_offline_and_comes_back_by_itself() -> None:
    """The OS refuses nfcpy's udp driver its socket (no file descriptors left), first when the
    reader is opened, then while it polls; the same NfcReader comes back once it may again.

    It runs in a child process: the open-files limit holds for a whole process.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", OUTAGE], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    path = seen["path"]
    assert seen["at_start"] == f"cannot open the NFC reader at {path}: Too many open files"
    assert seen["tap_while_closed"]
    assert seen["recovered"] == [True, "04a1b2c3d4e5f6"]
    assert seen["tap_while_failing"]
    assert seen["failing"] == f"cannot open the NFC reader at {path}: Too many open files"
    assert f"the NFC reader at {path} failed: [Errno 24] Too many open files" in seen["offline"]
    assert seen["back"] == [True, "04778899aabbcc"]


def test_close_lets_go_and_ends_a_wait(rig: NfcCardRig) -> None:
    reader = NfcReader(rig.path)
    reader.close()
    assert reader.health() == ReaderHealth(online=False, detail="closed")
    assert reader.next_tap(5.0) is None
