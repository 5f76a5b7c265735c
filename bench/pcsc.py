"""A school card read through a real pcscd: from the card put on the reader to its record verified.

The test rig's pcscd and virtual card (``tests/rigs``) stand in for the USB reader and the chip.
Each sample puts a genuine school card on a vpcd reader, at a random moment of pcscd's 0.4 s
look at its readers (as a pupil would), and times until ``read_school_card`` has proved it
(SelectApplication, the issuer file, AES authentication, the MACed record): pcscd noticing the
card, the adapter connecting and reading the UID, and the APDUs through pcscd. The same check
with the card in memory (no pcscd) is the baseline, and a bare pyscard SCardTransmit is the
baseline of the adapter's APDU round trip. A last figure is how long the adapter takes to read a
card again once pcscd, stopped, lists its readers again.
"""

from __future__ import annotations

import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from emp_edge.domain.taps import CardRecord
from emp_edge.terminal.authenticity import CardKeys, read_school_card
from emp_edge.terminal.desfire.card import school_card
from emp_edge.terminal.readers.pcsc import PcscChannel, PcscReader
from emp_edge.terminal.readers.port import GET_UID, Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from rigs.pcscd import PcscdRig

KEYS = CardKeys(bytes(range(16)), bytes.fromhex("F5EE01"), "190000000")
RECORD = CardRecord(card_id=4021, pupil_id=77, valid_until=date(2029, 8, 31), issue_counter=1)
ROUND_TRIPS = 500
POLL = 0.4
"""Seconds between two looks of pcscd at a reader whose driver does not report cards itself."""


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _tap(reader: PcscReader, within: float = 10.0) -> Tap:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        tap = reader.next_tap(0.5)
        if tap is not None:
            return tap
    raise RuntimeError(f"no tap on {reader.name}: {reader.health()}")


def _verified(tap: Tap) -> None:
    read = read_school_card(tap, KEYS)
    if read.record != RECORD:
        raise RuntimeError(f"the card did not prove itself: {read.refusal} {read.detail}")


def _round_trips(rig: PcscdRig, reader: PcscReader) -> tuple[list[float], list[float]]:
    """APDU round trips through the adapter's channel and through bare pyscard, alternating."""
    from smartcard import scard

    rig.slots[0].insert(school_card(b"\x04" + bytes(6), KEYS, RECORD))
    tap = _tap(reader)
    channel = tap.channel
    assert isinstance(channel, PcscChannel)
    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    _, card, protocol = scard.SCardConnect(
        context, tap.reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1
    )
    apdu = list(GET_UID)
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(ROUND_TRIPS):
        started = time.perf_counter()
        channel.transmit(GET_UID)
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        scard.SCardTransmit(card, protocol, apdu)
        bare.append((time.perf_counter() - started) * 1000)
    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    scard.SCardReleaseContext(context)
    reader.done(tap, accepted=True)
    rig.slots[0].remove()
    rig.wait_empty(rig.readers[0])
    return ours, bare


def _back_after_restart(rig: PcscdRig, samples: int) -> list[float]:
    """From pcscd listing its readers again (card already on) to the adapter's next tap."""
    reader = PcscReader(rig.readers[1], feedback="none")  # the default reconnect interval
    found: list[float] = []
    quiet = logging.getLogger("emp_edge.terminal.readers.pcsc")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "pcscd is not running" is the point here
    try:
        for number in range(samples):
            rig.stop()
            reader.next_tap(0.2)  # the adapter sees pcscd gone
            rig.start()
            started = time.perf_counter()
            rig.slots[1].insert(school_card(b"\x04\x01" + number.to_bytes(5, "big"), KEYS, RECORD))
            tap = _tap(reader)
            found.append((time.perf_counter() - started) * 1000)
            reader.done(tap, accepted=True)
    finally:
        quiet.setLevel(level)
        reader.close()
    return found


def pcsc_read_ms(samples: int = 50) -> dict[str, float]:
    """Medians and p95 in milliseconds of a card read through pcscd (see the module text)."""
    with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as folder:
        rig = PcscdRig(Path(folder))
        rig.start()
        reader = PcscReader(rig.readers[0], feedback="none")
        moments = random.Random(4021)
        try:
            total: list[float] = []
            to_tap: list[float] = []
            memory: list[float] = []
            for number in range(samples):
                card = school_card(b"\x04\x02" + number.to_bytes(5, "big"), KEYS, RECORD)
                time.sleep(moments.uniform(0, POLL))
                started = time.perf_counter()
                rig.slots[0].insert(card)
                tap = _tap(reader)
                tapped = time.perf_counter()
                _verified(tap)
                total.append((time.perf_counter() - started) * 1000)
                to_tap.append((tapped - started) * 1000)
                reader.done(tap, accepted=True)
                rig.slots[0].remove()
                started = time.perf_counter()
                _verified(Tap(tap.reader, tap.uid, EmulatedChannel(card)))
                memory.append((time.perf_counter() - started) * 1000)
                rig.wait_empty(rig.readers[0])
            ours, bare = _round_trips(rig, reader)
            back = _back_after_restart(rig, max(2, samples // 10))
        finally:
            reader.close()
            rig.close()
    verify = [t - p for t, p in zip(total, to_tap, strict=True)]
    return {
        "pcsc_present_to_verified_p50_ms": round(statistics.median(total), 3),
        "pcsc_present_to_verified_p95_ms": round(_percentile(total, 0.95), 3),
        "pcsc_present_to_tap_p50_ms": round(statistics.median(to_tap), 3),
        "pcsc_tap_to_verified_p50_ms": round(statistics.median(verify), 3),
        "pcsc_tap_to_verified_p95_ms": round(_percentile(verify, 0.95), 3),
        "inmemory_card_verified_p50_ms": round(statistics.median(memory), 3),
        "pcsc_apdu_roundtrip_p50_ms": round(statistics.median(ours), 4),
        "bare_pyscard_apdu_roundtrip_p50_ms": round(statistics.median(bare), 4),
        "pcsc_back_after_pcscd_restart_p50_ms": round(statistics.median(back), 1),
        "pcsc_back_after_pcscd_restart_max_ms": round(max(back), 1),
        "pcsc_samples": float(samples),
    }


def run(quick: bool) -> dict[str, float]:
    """The figures for ``run.py``: 10 cards with ``--quick``, 50 otherwise.

    ``pcsc_read_ms`` is the median from a card put on the reader to its record verified through
    pcscd with AES authentication, pcscd's own 0.4 s look at the reader included.
    """
    figures = pcsc_read_ms(10 if quick else 50)
    return {"pcsc_read_ms": figures["pcsc_present_to_verified_p50_ms"], **figures}


if __name__ == "__main__":
    for name, value in pcsc_read_ms(int(sys.argv[1]) if len(sys.argv) > 1 else 50).items():
        print(f"{name:40} {value}")
