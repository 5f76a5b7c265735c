"""Fixtures of the reader tests on the real PC/SC stack (pcscd + vpcd + our virtual card)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rigs.pcscd import PcscdRig


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdRig]:
    """pcscd for one test module; closing it lets the benchmark or another run have pcscd."""
    rig = PcscdRig(Path(tmp_path_factory.mktemp("pcscd")))
    rig.start()
    yield rig
    rig.close()


@pytest.fixture
def rig(pcscd: PcscdRig) -> Iterator[PcscdRig]:
    """pcscd running, with both virtual readers empty again after the test."""
    pcscd.start()  # a test before may have stopped it
    yield pcscd
    for slot in pcscd.slots:
        slot.remove()
    if pcscd.running:
        for name in pcscd.readers:
            pcscd.wait_empty(name)
