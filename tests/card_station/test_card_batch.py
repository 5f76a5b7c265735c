"""The batch pass on a real store, a real spool-folder printer (and a private cupsd), the real
card template and the real encoder writing emulated chips: cards printed and encoded, spoiled
blanks reprinted for free, a printer that is off or goes off mid-batch, no blank lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from card_station_cards import (
    KEYS,
    counts,
    make_ready,
    ready_card,
    receive_blanks,
    requested_card,
)
from emp_edge.card_station.batch import CardBatch
from emp_edge.domain.cards import CardState
from emp_edge.domain.taps import CardRecord
from emp_edge.errors import InputError, PrinterError, ReaderError
from emp_edge.printer.card_face import CardTemplate, load_template
from emp_edge.printer.card_printers import (
    CardPrinter,
    CupsCardPrinter,
    PrintOutcome,
    PrintResult,
    SpoolCardPrinter,
)
from emp_edge.store import Store
from emp_edge.store.card_moves import station_card
from emp_edge.store.print_batches import BlankOutcome, CardOutcome
from emp_edge.terminal.authenticity import read_school_card
from emp_edge.terminal.encoder import CardEncoder, EncoderOfflineError, SimulatedEncoder
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel
from rigs.cupsd import CupsdRig, JobListener

TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def template() -> CardTemplate:
    return load_template()


def _batch(
    store: Store, printer: CardPrinter, encoder: CardEncoder, template: CardTemplate, **kw: int
) -> CardBatch:
    return CardBatch(store, printer, encoder, template, print_timeout_s=TIMEOUT_S, **kw)


def _blank_states(store: Store) -> dict[str, str]:
    return dict(store.conn.execute("SELECT blank_number, state FROM blanks").fetchall())


def _blank_of(store: Store, card_id: int) -> str | None:
    row = store.conn.execute(
        "SELECT b.blank_number FROM cards c LEFT JOIN blanks b ON b.id = c.blank_id WHERE c.id = ?",
        (card_id,),
    ).fetchone()
    return row[0]


def _events(store: Store, kind: str) -> int:
    return int(
        store.conn.execute("SELECT count(*) FROM outbox WHERE type = ?", (kind,)).fetchone()[0]
    )


class EncoderFailingOnce(SimulatedEncoder):
    """The real encoder, whose first chip cannot be written (a card laid on it too late)."""

    def __init__(self) -> None:
        super().__init__(KEYS)
        self.calls = 0

    def encode(self, record: CardRecord) -> bytes:
        self.calls += 1
        if self.calls == 1:
            raise ReaderError(
                "the card refused {command} with status {status}", command="WriteData", status="AE"
            )
        return super().encode(record)


class EncoderAlwaysFailing(SimulatedEncoder):
    def encode(self, record: CardRecord) -> bytes:
        raise ReaderError(
            "the chip written does not read back as a school card ({reason})", reason="x"
        )


class EncoderUnplugged(SimulatedEncoder):
    def encode(self, record: CardRecord) -> bytes:
        raise EncoderOfflineError("ACS ACR122U")


class PrinterOffAtSecondCard(SpoolCardPrinter):
    """The spool printer, switched off after its first card."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.submitted = 0

    def submit(self, title: str, pdf: bytes) -> str:
        self.submitted += 1
        if self.submitted == 2:
            raise PrinterError(
                "the card printer {queue} is off or stopped: {message}",
                queue="kortos",
                message="Cover open",
            )
        return super().submit(title, pdf)


class PrinterSpoilingFirst(SpoolCardPrinter):
    """The spool printer whose first card comes out smeared."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.waited = 0

    def wait(self, job: str, timeout_s: float) -> PrintOutcome:
        self.waited += 1
        if self.waited == 1:
            return PrintOutcome(PrintResult.SPOILED, "Ribbon error")
        return super().wait(job, timeout_s)


def test_three_cards_are_printed_and_their_chips_pass_a_terminal(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    cards = [
        ready_card(store, first, last)[1]
        for first, last in (("Žydrūnė", "Čepulionytė"), ("Ąžuolas", "Šimkus"), ("Ėglė", "Ūsaitė"))
    ]
    encoder = SimulatedEncoder(KEYS)
    spool = tmp_path / "spool"
    seen: list[tuple[int, int]] = []

    report = _batch(store, SpoolCardPrinter(spool), encoder, template).run(
        cards,
        first_blank=None,
        user_id=None,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert [line.outcome for line in report.lines] == [CardOutcome.PERSONALISED] * 3
    assert report.stopped is None
    assert (report.personalised, report.blanks_used, report.spoiled_blanks) == (3, 3, ())
    assert [line.blank_numbers for line in report.lines] == [
        ("EMP000101",),
        ("EMP000102",),
        ("EMP000103",),
    ]
    assert seen[0] == (0, 3)
    assert seen[-1] == (3, 3)
    assert len(list(spool.glob("*.pdf"))) == 3
    assert all(p.read_bytes().startswith(b"%PDF") for p in spool.glob("*.pdf"))
    assert len(encoder.cards) == 3
    for card_id in cards:
        card = station_card(store.conn, card_id)
        assert card.state is CardState.PERSONALISED
        uid = bytes.fromhex(
            store.conn.execute("SELECT chip_uid FROM cards WHERE id = ?", (card_id,)).fetchone()[0]
        )
        chip = encoder.cards[uid]
        read = read_school_card(Tap(reader="kasa-1", uid=uid, channel=EmulatedChannel(chip)), KEYS)
        assert read.refusal is None
        assert card.valid_until is not None
        assert card.issue_counter is not None
        assert read.record == CardRecord(
            card_id, card.pupil_id, card.valid_until, card.issue_counter
        )
    assert _blank_states(store)["EMP000104"] == "received"
    assert _events(store, "card.personalised") == 3
    audit = [r[0] for r in store.conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert audit.count("card.blank_claimed") == 3
    assert audit.count("card.personalised") == 3


def test_the_first_blank_named_and_the_next_ones_follow(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    cards = [ready_card(store, "Jonas", f"Kęstutis{i}")[1] for i in range(2)]
    report = _batch(store, SpoolCardPrinter(tmp_path / "s"), SimulatedEncoder(KEYS), template).run(
        cards, first_blank="emp000107", user_id=None, progress=None
    )
    assert [line.blank_numbers for line in report.lines] == [("EMP000107",), ("EMP000108",)]
    assert _blank_states(store)["EMP000101"] == "received"


def test_a_chip_that_cannot_be_written_spoils_the_blank_and_the_card_is_reprinted(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    second = ready_card(store, "Ąžuolas", "Šimkus")[1]

    report = _batch(store, SpoolCardPrinter(tmp_path / "s"), EncoderFailingOnce(), template).run(
        [first, second], first_blank=None, user_id=None, progress=None
    )

    line = report.lines[0]
    assert line.outcome is CardOutcome.REPRINTED
    assert [(b.blank_number, b.outcome) for b in line.blanks] == [
        ("EMP000101", BlankOutcome.SPOILED),
        ("EMP000102", BlankOutcome.PRINTED),
    ]
    assert line.blanks[0].reason is not None
    assert (
        line.blanks[0].reason.text
        == "the chip could not be written: the card refused WriteData with status AE"
    )
    assert report.lines[1].blank_numbers == ("EMP000103",)
    assert (report.personalised, report.reprinted, report.spoiled_blanks) == (2, 1, ("EMP000101",))
    states = _blank_states(store)
    assert (states["EMP000101"], states["EMP000102"], states["EMP000103"]) == (
        "spoiled",
        "used",
        "used",
    )
    assert _blank_of(store, first) == "EMP000102"
    assert station_card(store.conn, first).state is CardState.PERSONALISED
    assert store.conn.execute(
        "SELECT outcome, reason FROM blank_uses u JOIN blanks b ON b.id = u.blank_id"
        " WHERE b.blank_number = 'EMP000101'"
    ).fetchone() == (
        "spoiled",
        "the chip could not be written: the card refused WriteData with status AE",
    )
    assert _events(store, "blank.spoiled") == 1


def test_a_spoiled_print_is_reprinted_on_the_next_blank(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    card = ready_card(store, "Ėglė", "Ūsaitė")[1]
    spool = tmp_path / "s"
    report = _batch(store, PrinterSpoilingFirst(spool), SimulatedEncoder(KEYS), template).run(
        [card], first_blank=None, user_id=None, progress=None
    )
    assert report.lines[0].outcome is CardOutcome.REPRINTED
    assert report.lines[0].blanks[0].reason is not None
    assert report.lines[0].blanks[0].reason.text == "the printer spoiled the card: Ribbon error"
    assert report.spoiled_blanks == ("EMP000101",)
    assert _blank_of(store, card) == "EMP000102"
    assert len(list(spool.glob("*.pdf"))) == 2  # the spoiled one went to the printer too


def test_a_card_spoiled_on_every_blank_stops_the_batch(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    second = ready_card(store, "Ąžuolas", "Šimkus")[1]
    report = _batch(
        store, SpoolCardPrinter(tmp_path / "s"), EncoderAlwaysFailing(KEYS), template, reprints=1
    ).run([first, second], first_blank=None, user_id=None, progress=None)
    assert [line.outcome for line in report.lines] == [CardOutcome.SPOILED, CardOutcome.NOT_REACHED]
    assert report.spoiled_blanks == ("EMP000101", "EMP000102")
    assert report.stopped is not None
    assert "spoiled on every blank" in report.stopped.text
    assert station_card(store.conn, first).state is CardState.REQUESTED
    assert _blank_of(store, first) is None  # it waits for a new blank, free
    assert _blank_of(store, second) is None


def test_an_unplugged_encoder_stops_the_batch_at_once(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    second = ready_card(store, "Ąžuolas", "Šimkus")[1]
    report = _batch(store, SpoolCardPrinter(tmp_path / "s"), EncoderUnplugged(KEYS), template).run(
        [first, second], first_blank=None, user_id=None, progress=None
    )
    assert [line.outcome for line in report.lines] == [CardOutcome.SPOILED, CardOutcome.NOT_REACHED]
    assert report.spoiled_blanks == ("EMP000101",)
    assert report.stopped is not None
    assert "ACS ACR122U" in report.stopped.text


def test_a_printer_that_is_off_is_reported_and_nothing_is_claimed(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    cards = [ready_card(store, "Jonas", f"Kęstutis{i}")[1] for i in range(2)]
    not_a_folder = tmp_path / "spool"
    not_a_folder.write_bytes(b"")
    before = counts(store)

    report = _batch(store, SpoolCardPrinter(not_a_folder), SimulatedEncoder(KEYS), template).run(
        cards, first_blank=None, user_id=None, progress=None
    )

    assert report.stopped is not None
    assert report.stopped.template.startswith("the spool folder {folder}")
    assert [line.outcome for line in report.lines] == [CardOutcome.NOT_REACHED] * 2
    assert (report.personalised, report.blanks_used) == (0, 0)
    assert counts(store) == before


def test_a_printer_going_off_mid_batch_stops_it_and_the_blank_goes_back(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    cards = [ready_card(store, "Jonas", f"Kęstutis{i}")[1] for i in range(3)]

    report = _batch(
        store, PrinterOffAtSecondCard(tmp_path / "s"), SimulatedEncoder(KEYS), template
    ).run(cards, first_blank=None, user_id=None, progress=None)

    assert [line.outcome for line in report.lines] == [
        CardOutcome.PERSONALISED,
        CardOutcome.NOT_PRINTED,
        CardOutcome.NOT_REACHED,
    ]
    assert report.stopped is not None
    assert report.stopped.text == "the card printer kortos is off or stopped: Cover open"
    assert report.lines[1].blanks[0].outcome is BlankOutcome.NOT_PRINTED
    states = _blank_states(store)
    assert (states["EMP000101"], states["EMP000102"], states["EMP000103"]) == (
        "used",
        "received",
        "received",
    )
    assert [station_card(store.conn, c).state for c in cards] == [
        CardState.PERSONALISED,
        CardState.REQUESTED,
        CardState.REQUESTED,
    ]
    assert (_blank_of(store, cards[1]), _blank_of(store, cards[2])) == (None, None)
    assert store.conn.execute("SELECT count(*) FROM blank_uses").fetchone()[0] == 1


def test_a_card_not_ready_is_skipped_and_the_others_print(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    pupil, waiting = requested_card(store, "Ąžuolas", "Šimkus")
    last = ready_card(store, "Ėglė", "Ūsaitė")[1]

    report = _batch(store, SpoolCardPrinter(tmp_path / "s"), SimulatedEncoder(KEYS), template).run(
        [first, waiting, last], first_blank="EMP000110", user_id=None, progress=None
    )

    assert [line.outcome for line in report.lines] == [
        CardOutcome.PERSONALISED,
        CardOutcome.NOT_PRINTED,
        CardOutcome.PERSONALISED,
    ]
    assert report.lines[1].blanks == ()
    assert report.lines[1].reason is not None
    assert "cannot be printed yet" in report.lines[1].reason.text
    assert (_blank_of(store, first), _blank_of(store, last)) == ("EMP000110", "EMP000111")
    make_ready(store, pupil, waiting)  # still waiting, untouched, and can be made next time


def test_a_blank_already_used_stops_the_batch_before_anything_is_printed(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    _batch(store, SpoolCardPrinter(tmp_path / "s"), SimulatedEncoder(KEYS), template).run(
        [first], first_blank=None, user_id=None, progress=None
    )
    second = ready_card(store, "Ąžuolas", "Šimkus")[1]
    before = counts(store)
    report = _batch(store, SpoolCardPrinter(tmp_path / "s"), SimulatedEncoder(KEYS), template).run(
        [second], first_blank="EMP000101", user_id=None, progress=None
    )
    assert report.lines[0].outcome is CardOutcome.NOT_PRINTED
    assert report.stopped is not None
    assert report.stopped.text == "blank EMP000101 is already used: load the next free blank"
    assert counts(store) == before


@pytest.fixture
def cupsd() -> Iterator[CupsdRig]:
    rig = CupsdRig()
    rig.start()
    yield rig
    rig.close()


def test_a_batch_of_two_prints_to_a_private_cupsd(
    store: Store, cupsd: CupsdRig, template: CardTemplate
) -> None:
    listener = JobListener()
    try:
        cupsd.add_raw_queue("kortos", listener.uri)
        receive_blanks(store)
        cards = [ready_card(store, "Jonas", f"Kęstutis{i}")[1] for i in range(2)]
        printer = CupsCardPrinter("kortos", cupsd.server)
        report = _batch(store, printer, SimulatedEncoder(KEYS), template).run(
            cards, first_blank=None, user_id=None, progress=None
        )
        assert [line.outcome for line in report.lines] == [CardOutcome.PERSONALISED] * 2, report
        jobs = listener.wait_jobs(2)
        assert all(job.startswith(b"%PDF") for job in jobs)
        assert report.printer == "kortos@" + cupsd.server
    finally:
        listener.close()


def test_a_stopped_cups_queue_is_reported_and_nothing_is_claimed(
    store: Store, cupsd: CupsdRig, template: CardTemplate
) -> None:
    listener = JobListener()
    try:
        cupsd.add_raw_queue("kortos", listener.uri)
        cupsd.disable("kortos", "Dangtis atidarytas")
        receive_blanks(store)
        card = ready_card(store, "Jonas", "Kęstutis")[1]
        before = counts(store)
        report = _batch(
            store, CupsCardPrinter("kortos", cupsd.server), SimulatedEncoder(KEYS), template
        ).run([card], first_blank=None, user_id=None, progress=None)
        assert report.stopped is not None
        assert "Dangtis atidarytas" in report.stopped.text
        assert counts(store) == before
    finally:
        listener.close()


class PrinterHeldUp(SpoolCardPrinter):
    """The spool printer that finishes a card only when the test lets it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.printing = threading.Event()
        self.go_on = threading.Event()

    def wait(self, job: str, timeout_s: float) -> PrintOutcome:
        self.printing.set()
        assert self.go_on.wait(10)
        return super().wait(job, timeout_s)


def test_a_second_batch_is_refused_while_one_prints(
    store: Store, tmp_path: Path, template: CardTemplate
) -> None:
    receive_blanks(store)
    first = ready_card(store, "Žydrūnė", "Čepulionytė")[1]
    second = ready_card(store, "Ąžuolas", "Šimkus")[1]
    printer = PrinterHeldUp(tmp_path / "s")
    batch = _batch(store, printer, SimulatedEncoder(KEYS), template)
    reports: list[object] = []
    worker = threading.Thread(
        target=lambda: reports.append(
            batch.run([first], first_blank=None, user_id=None, progress=None)
        )
    )
    worker.start()
    try:
        assert printer.printing.wait(10)
        with pytest.raises(InputError, match="another batch is printing now"):
            batch.run([second], first_blank=None, user_id=None, progress=None)
    finally:
        printer.go_on.set()
        worker.join(10)
    assert len(reports) == 1
    assert station_card(store.conn, second).state is CardState.REQUESTED
    assert _blank_of(store, second) is None
