"""One pupil through the whole card station, on real stand-ins for the hardware: a private cupsd
prints, pcscd with a virtual DESFire chip encodes and later taps at a terminal.

request → photo → render → print (cupsd) → encode (virtual card) → handover → issue → tap
accepted → lost → paid replacement → old card denied, new accepted → leaves school → return →
destruction act; the PDFs open and carry the right names.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from school_cards import KEYS

from emp_edge.app import build_terminals, card_keys
from emp_edge.card_station.batch import CardBatch
from emp_edge.card_station.papers import StationPapers
from emp_edge.config import load_settings
from emp_edge.demo_cards import drawn_photo
from emp_edge.domain.card_station import Recipient, Requester, blank_range
from emp_edge.domain.cards import CardState, ReplacementReason
from emp_edge.domain.school import parse_class
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.events import TapDecided
from emp_edge.printer.card_face import load_template
from emp_edge.printer.card_printers import CupsCardPrinter
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.blank_stock import receive_batch
from emp_edge.store.card_faces import face, save_face, save_photo
from emp_edge.store.card_issue import hand_over, issue_card
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_requests import (
    RequestInput,
    record_payment,
    record_request,
    request_replacement,
)
from emp_edge.store.card_returns import destroy, destroyable, return_card
from emp_edge.store.schools import ensure_class, ensure_school
from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.encoder import PcscEncoder
from rigs.cupsd import CupsdRig, JobListener
from rigs.pcscd import PcscdRig

pytestmark = pytest.mark.xdist_group("pcscd")

TODAY = date(2026, 10, 5)
WAIT = 10.0
NAME = "Žydrūnė Čepulionytė"


@pytest.fixture
def services(store: Store, rig: PcscdRig) -> Services:
    """A box whose door terminal reads the second virtual reader; the first is the encoder."""
    assert store.path is not None
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(store.path.parent)}).replace(
        roles=["terminal"],
        terminal__readers=[f"durys-1 check pcsc:{rig.readers[1]}"],
        terminal__reconnect_ms=100,
    )
    key = settings.data_dir / "card-master.key"
    fd = os.open(key, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(KEYS.master.hex())
    return Services(settings=settings, store=store, clock=store.clock)


@pytest.fixture
def printer() -> Iterator[tuple[CupsCardPrinter, JobListener]]:
    """A raw queue of a private cupsd whose printer is a TCP listener keeping each job."""
    listener = JobListener()
    cupsd = CupsdRig()
    cupsd.start()
    cupsd.add_raw_queue("EMP-kortos", listener.uri)
    try:
        yield CupsCardPrinter("EMP-kortos", cupsd.server), listener
    finally:
        cupsd.close()
        listener.close()


def _pupil(store: Store) -> int:
    with store.transaction() as tx:
        school = ensure_school(tx, "190000000", "Šaltinio progimnazija", "Raseinių r. sav.")
        klass = ensure_class(tx, school, 2026, parse_class("5b"))
        now = tx.now()
        pupil = tx.execute(
            "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
            " created_at, updated_at) VALUES (?, 'Žydrūnė', 'Čepulionytė', '2015-03-08', ?, ?, ?)",
            (school, klass, now, now),
        ).lastrowid
        receive_batch(tx, blank_range("EMP000001", "EMP000010"), TODAY, "SAV-1", user_id=None)
        return int(pupil or 0)


def _prepare(store: Store, papers: StationPapers, card_id: int, pupil: int) -> None:
    """The staff check the data and take the photo (checked and cropped by the printer part)."""
    with store.transaction(require_event=False) as tx:
        data = face(tx.conn, card_id)
        assert data is not None
        save_face(tx, card_id, data, user_id=None)
        save_photo(tx, pupil, papers.check_photo(drawn_photo(card_id)))


def _print_and_encode(
    batch: CardBatch, rig: PcscdRig, card_id: int, chip: EmulatedDesfireCard
) -> None:
    """Print the card and lay its blank chip on the encoder while the station waits for it."""
    threading.Timer(0.3, rig.slots[0].insert, args=(chip,)).start()
    report = batch.run([card_id], first_blank=None, user_id=None)
    rig.slots[0].remove()
    rig.wait_empty(rig.readers[0])
    assert station_card(batch.store.conn, card_id).state is CardState.PERSONALISED, report


def _tap(services: Services, rig: PcscdRig, chip: EmulatedDesfireCard) -> TapDecided:
    terminals = build_terminals(services)
    with services.bus.subscribe("durys-1") as inbox:
        terminals.start()
        try:
            rig.slots[1].insert(chip)
            deadline = time.monotonic() + WAIT
            while not isinstance(news := inbox.get(timeout=WAIT), TapDecided):
                assert news is not None
                assert time.monotonic() < deadline
        finally:
            terminals.stop()
            rig.slots[1].remove()
            rig.wait_empty(rig.readers[1])
    return news


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_one_pupil_through_the_card_station(
    services: Services, store: Store, rig: PcscdRig, printer: tuple[CupsCardPrinter, JobListener]
) -> None:
    cups_printer, listener = printer
    template = load_template()
    papers = StationPapers(store, template, "LT44 4010 0414 0006 0051")
    encoder = PcscEncoder(rig.readers[0], card_keys(services.settings), WAIT)
    batch = CardBatch(store, cups_printer, encoder, template, print_timeout_s=30)
    pupil = _pupil(store)
    try:
        # request (annex 2) → photo → print on cupsd → encode on the virtual chip
        with store.transaction() as tx:
            first = record_request(
                tx, RequestInput(pupil, TODAY, Requester.PARENT, "Rūta Čepulionienė"), user_id=None
            )
        assert NAME in _text(papers.request_form(first))
        _prepare(store, papers, first, pupil)
        front, back = papers.preview(first)
        assert front.startswith(b"\x89PNG")
        assert back.startswith(b"\x89PNG")
        first_chip = EmulatedDesfireCard(bytes.fromhex("04A1B2C3D4E5F6"))
        _print_and_encode(batch, rig, first, first_chip)
        job = listener.wait_jobs(1)[0]
        assert job.startswith(b"%PDF")
        assert len(PdfReader(io.BytesIO(job)).pages) == 2

        # handover act → issue with the journal → the card opens the door
        with store.transaction() as tx:
            act = hand_over(tx, [first], TODAY, "Ona Šimkienė", "Jonas Kęstutis", user_id=None)
        assert NAME in _text(papers.handover_act(act))
        with store.transaction() as tx:
            issue_card(tx, first, Recipient.PARENT, "Rūta Čepulionienė", TODAY, user_id=None)
        assert "Rūta Čepulionienė" in _text(papers.journal(2026))
        tap = _tap(services, rig, first_chip)
        assert (tap.result, tap.pupil_name) == (TapResult.ACCEPTED, NAME), tap.reason

        # lost → a paid replacement: the old card is refused from that moment
        with store.transaction() as tx:
            second = request_replacement(
                tx,
                first,
                ReplacementReason.LOST,
                RequestInput(pupil, TODAY, Requester.PARENT, "Rūta Čepulionienė"),
                fee_cents=600,
                user_id=None,
            )
        assert (tap := _tap(services, rig, first_chip)).result is TapResult.DENIED
        assert tap.reason is TapReason.REPLACED
        notice = _text(papers.parents_notice(second))
        assert "6,00" in notice
        assert NAME in notice
        with store.transaction() as tx:
            record_payment(tx, second, TODAY, "MOK-77", user_id=None)
        _prepare(store, papers, second, pupil)
        second_chip = EmulatedDesfireCard(bytes.fromhex("04BBCCDDEEFF11"))
        _print_and_encode(batch, rig, second, second_chip)
        with store.transaction() as tx:
            hand_over(tx, [second], TODAY, "Ona Šimkienė", "Jonas Kęstutis", user_id=None)
        with store.transaction() as tx:
            issue_card(tx, second, Recipient.PUPIL, NAME, TODAY, user_id=None)
        assert _tap(services, rig, second_chip).result is TapResult.ACCEPTED
        assert _tap(services, rig, first_chip).result is TapResult.DENIED
    finally:
        encoder.close()

    # leaves school → return (data deleted) → destruction act for both cards
    with store.transaction() as tx:
        return_card(tx, second, TODAY, "išvyko į kitą mokyklą", user_id=None)
    assert face(store.conn, second) is None
    chosen = [d.blank_id for d in destroyable(store.conn)]
    assert len(chosen) == 2
    with store.transaction() as tx:
        act = destroy(tx, chosen, TODAY, ["Ona Šimkienė", "Petras Ąžuolas"], user_id=None)
    destruction = _text(papers.destruction_act(act))
    assert NAME in destruction
    assert "Petras Ąžuolas" in destruction
    states = store.conn.execute("SELECT state FROM cards ORDER BY id").fetchall()
    assert states == [("destroyed",), ("destroyed",)]
    blanks = dict(store.conn.execute("SELECT state, count(*) FROM blanks GROUP BY state"))
    assert blanks == {"destroyed": 2, "received": 8}
    assert Path(store.path or "").exists()
