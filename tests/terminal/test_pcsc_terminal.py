"""The terminal role on a real PC/SC stack: pcscd, the vpcd virtual reader, our virtual card.

The whole path runs as ``emp-edge run`` wires it — settings, ``build_terminals``, a station
thread — and the tests look where a school would: the taps table, the overview's device list
and the kiosk's bus. pcscd is stopped and started again mid-run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from school_cards import KEYS, OnFile, add_card, add_pupil

from emp_edge.app import build_terminals
from emp_edge.config import load_settings
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import Inbox, ReaderChanged, TapDecided
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.devices import list_devices
from emp_edge.terminal.desfire.card import clone
from rigs.pcscd import PcscdRig

pytestmark = pytest.mark.xdist_group("pcscd")

WAIT = 10.0
GREEN = bytes.fromhex("FF0040A004030101")  # the start of the ACR122 "accepted" LED command


def write_key(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as key:
        key.write(KEYS.master.hex())


@pytest.fixture
def services(store: Store, rig: PcscdRig) -> Services:
    assert store.path is not None
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(store.path.parent)}).replace(
        roles=["terminal"],
        terminal__readers=[f"durys-1 check pcsc:{rig.readers[0]}"],
        terminal__reconnect_ms=100,
        terminal__debounce_ms=200,  # the same chip again (its clone) comes after this
        terminal__feedback="acr122",
    )
    write_key(settings.data_dir / "card-master.key")
    return Services(settings=settings, store=store, clock=store.clock)


def eventually(check: Callable[[], bool], within: float = WAIT) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def next_news(inbox: Inbox, kind: type, within: float = WAIT) -> TapDecided | ReaderChanged:
    while (news := inbox.get(timeout=within)) is not None:
        if isinstance(news, kind):
            return news
    raise AssertionError(f"no {kind.__name__} within {within} s")


def test_a_tap_through_pcscd_is_decided_committed_signalled_and_survives_a_pcscd_restart(
    services: Services, store: Store, rig: PcscdRig
) -> None:
    ona: OnFile = add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")
    terminals = build_terminals(services)
    with services.bus.subscribe("durys-1") as inbox:
        terminals.start()
        try:
            assert next_news(inbox, ReaderChanged) == ReaderChanged("durys-1", True, "")
            chip = ona.chip()
            rig.slots[0].insert(chip)
            decided = next_news(inbox, TapDecided)
            assert isinstance(decided, TapDecided)
            assert (decided.result, decided.pupil_name) == (TapResult.ACCEPTED, "Ona Žukauskaitė")
            # the reader hears the result right after the screen does
            assert eventually(lambda: any(s.startswith(GREEN) for s in chip.reader_signals))
            rig.slots[0].remove()
            rig.wait_empty(rig.readers[0])

            rig.slots[0].insert(clone(chip))
            refused = next_news(inbox, TapDecided)
            assert isinstance(refused, TapDecided)
            assert refused.reason is TapReason.NOT_GENUINE
            rig.slots[0].remove()

            rig.stop()
            offline = next_news(inbox, ReaderChanged)
            assert offline == ReaderChanged("durys-1", False, "pcscd is not running")
            assert [d.state for d in list_devices(store.conn)] == ["offline"]

            rig.start()
            assert next_news(inbox, ReaderChanged) == ReaderChanged("durys-1", True, "")
            assert [d.state for d in list_devices(store.conn)] == ["ok"]
            rig.slots[0].insert(ona.chip())
            again = next_news(inbox, TapDecided)
            assert isinstance(again, TapDecided)
            assert again.result is TapResult.ACCEPTED
        finally:
            terminals.stop()
    rows = store.conn.execute("SELECT result, reason FROM taps ORDER BY id").fetchall()
    assert rows == [("accepted", "ok"), ("denied", "not_genuine"), ("accepted", "ok")]


def readers_command(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMP_EDGE_")}
    env["EMP_EDGE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "emp_edge", "readers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_readers_command_lists_what_pcscd_sees(rig: PcscdRig, tmp_path: Path) -> None:
    listed = readers_command(tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == list(rig.readers)
    rig.stop()
    refused = readers_command(tmp_path)
    assert refused.returncode != 0
    assert "pcscd is not running" in refused.stderr
