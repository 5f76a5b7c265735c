"""A terminal at work: one tap per card, a bad card never stops it, the reader's health is shown."""

from __future__ import annotations

import logging
from functools import partial

import pytest
from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.taps import TapReason
from emp_edge.errors import ReaderError
from emp_edge.events import Bus, ReaderChanged, TapDecided
from emp_edge.store import Store
from emp_edge.store.devices import list_devices
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import ReaderHealth, Tap
from emp_edge.terminal.readers.simulated import SimulatedReader
from emp_edge.terminal.roles import CardCheck
from emp_edge.terminal.station import Debounce, Station

TILL = TerminalSpec("valgykla-1", "canteen", "simulated")


class Unplugged(SimulatedReader):
    """A simulated reader whose cable a test can pull out and put back."""

    def __init__(self) -> None:
        super().__init__(TILL.name)
        self.plugged = True
        self.signals: list[bool] = []

    def health(self) -> ReaderHealth:
        return ReaderHealth(True) if self.plugged else ReaderHealth(False, "USB device gone")

    def done(self, tap: Tap, accepted: bool) -> None:
        self.signals.append(accepted)


def station(store: Store, reader: SimulatedReader, bus: Bus, debounce: float = 0.0) -> Station:
    pipeline = TapPipeline(
        store, store.clock, bus, school_code=SCHOOL_CODE, handlers={"canteen": CardCheck()}
    )
    check = partial(read_school_card, keys=KEYS)
    return Station(TILL, reader, check, pipeline, store=store, bus=bus, debounce_seconds=debounce)


def taps(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT reason FROM taps ORDER BY id")]


def ona(store: Store) -> OnFile:
    return add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")


def test_the_same_card_again_within_the_window_is_one_tap(store: Store) -> None:
    reader = Unplugged()
    terminal = station(store, reader, Bus(), debounce=60)
    card = ona(store)
    reader.present(card.chip())
    reader.present(card.chip())
    assert terminal.serve_one(1) is True
    assert terminal.serve_one(1) is False
    assert taps(store) == ["ok"]


def test_debounce_lets_another_card_or_a_later_tap_through() -> None:
    now = [0.0]
    debounce = Debounce(1.5, now=lambda: now[0])
    assert not debounce.again(b"a")
    assert not debounce.again(b"b")
    assert not debounce.again(b"a")
    now[0] = 1.0
    assert debounce.again(b"a")
    now[0] = 2.6
    assert not debounce.again(b"a")


class Garbage(EmulatedDesfireCard):
    def respond(self, apdu: bytes) -> bytes:
        return b"\x13\x37"


class PulledAway(EmulatedDesfireCard):
    def respond(self, apdu: bytes) -> bytes:
        raise ReaderError("the card left the field")


def test_bad_answers_are_refused_taps_and_the_next_card_is_served(store: Store) -> None:
    reader = Unplugged()
    bus = Bus()
    terminal = station(store, reader, bus)
    card = ona(store)
    with bus.subscribe(TILL.name) as inbox:
        for chip in (Garbage(b"\x04" * 7), PulledAway(b"\x05" * 7), card.chip()):
            reader.present(chip)
            assert terminal.serve_one(1)
        shown = [inbox.get(1) for _ in range(4)]  # the reader came online, then the three taps
    assert taps(store) == ["read_failed", "read_failed", "ok"]
    assert [n.reason for n in shown if isinstance(n, TapDecided)] == [
        TapReason.READ_FAILED,
        TapReason.READ_FAILED,
        TapReason.OK,
    ]
    assert reader.signals == [False, False, True]


def test_a_reader_going_offline_and_back_is_shown_on_the_bus_and_the_dashboard(
    store: Store,
) -> None:
    reader = Unplugged()
    bus = Bus()
    terminal = station(store, reader, bus)
    with bus.subscribe(TILL.name) as inbox:
        terminal.serve_one(0.01)
        reader.plugged = False
        terminal.serve_one(0.01)
        [device] = list_devices(store.conn)
        assert (device.name, device.state) == ("valgykla-1", "offline")
        assert "USB device gone" in device.detail
        reader.plugged = True
        terminal.serve_one(0.01)
        news = [inbox.get(0.1) for _ in range(3)]
    assert news == [
        ReaderChanged(TILL.name, True, ""),
        ReaderChanged(TILL.name, False, "USB device gone"),
        ReaderChanged(TILL.name, True, ""),
    ]
    assert bus.reader_state(TILL.name) == ReaderChanged(TILL.name, True, "")
    assert list_devices(store.conn)[0].state == "ok"


def test_a_station_thread_serves_taps_until_stopped(store: Store) -> None:
    reader = Unplugged()
    bus = Bus()
    terminal = station(store, reader, bus)
    card = ona(store)
    with bus.subscribe(TILL.name) as inbox:
        terminal.start()
        try:
            reader.present(card.chip())
            news = [inbox.get(5) for _ in range(2)]
        finally:
            terminal.stop()
    assert isinstance(news[1], TapDecided)
    assert news[1].pupil_name == "Ona Žukauskaitė"


def test_no_log_line_holds_a_whole_chip_uid(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    reader = Unplugged()
    terminal = station(store, reader, Bus())
    card = ona(store)
    caplog.set_level(logging.DEBUG)
    for chip in (card.chip(), PulledAway(b"\x05\x06\x07\x08\x09\x0a\x0b")):
        reader.present(chip)
        terminal.serve_one(1)
    assert "tap terminal=valgykla-1" in caplog.text  # the taps were logged …
    for uid in (card.uid, b"\x05\x06\x07\x08\x09\x0a\x0b"):
        assert uid.hex().upper() not in caplog.text.upper()  # … never with a whole UID
