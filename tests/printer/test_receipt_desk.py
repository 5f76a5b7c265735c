"""The receipt desk against real network printers on 127.0.0.1: what they get, and what happens
when a printer is off, hangs or is out of paper. The sale always stands."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from canteen_sale import SCHOOL, TILL, Canteen
from escpos.printer import Dummy
from escpos_listener import (
    PAPER_END,
    PAPER_NEAR_END,
    PAPER_OK,
    PAPER_QUERY,
    EscposListener,
    closed_port,
    listening,
    without_status_queries,
)

from emp_edge.app import ensure_master_key, start_roles
from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.taps import TapResult
from emp_edge.errors import PrinterError
from emp_edge.events import Bus, ReceiptPrinted
from emp_edge.printer.receipt import render
from emp_edge.printer.receipt_desk import ReceiptDesk, School, device_name
from emp_edge.printer.receipt_setting import parse_receipt_printer
from emp_edge.printer.receipt_texts import receipt_words, sale_receipt
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.canteen_receipts import receipt_for
from emp_edge.store.devices import DeviceState, list_devices

VILNIUS = ZoneInfo("Europe/Vilnius")
LITHUANIAN = {
    "Till": "Kasa",
    "Pupil": "Mokinys",
    "FREE": "NEMOKAMAI",
    "Paid": "Sumokėta",
    "Balance after": "Likutis",
    "End of day": "Dienos ataskaita",
    "Day": "Diena",
    "Free meals": "Nemokami patiekalai",
    "Sales": "Pardavimai",
    "Top-ups": "Papildymai",
    "Refunds": "Grąžinimai",
    "Corrections": "Pataisymai",
    "Printed": "Išspausdinta",
}
WORDS = receipt_words(lambda message: LITHUANIAN.get(message, message))
TIMEOUT = 0.5

MakeDesk = Callable[..., ReceiptDesk]


@pytest.fixture
def make_desk(store: Store, bus: Bus, tmp_path: Path) -> Iterator[MakeDesk]:
    desks: list[ReceiptDesk] = []

    def make(*entries: str) -> ReceiptDesk:
        specs = [parse_receipt_printer(entry) for entry in entries]
        desk = ReceiptDesk(
            store,
            bus,
            specs,
            School(SCHOOL, VILNIUS, WORDS),
            data_dir=tmp_path / "data",
            timeout=TIMEOUT,
        )
        desk.start()
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.stop()


def receipt_news(bus: Bus, act: Callable[[], object], timeout: float = 10) -> ReceiptPrinted:
    """Do ``act`` (a tap) and wait for the till's ReceiptPrinted."""
    with bus.subscribe(TILL.name) as inbox:
        act()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            news = inbox.get(timeout=0.1)
            if isinstance(news, ReceiptPrinted):
                return news
    raise AssertionError("no ReceiptPrinted on the bus")


def printer_state(store: Store) -> tuple[DeviceState, str]:
    [device] = [d for d in list_devices(store.conn) if d.name == device_name(TILL.name)]
    return device.state, device.detail


def decoded(job: bytes) -> str:
    """The printed characters of a CP1257 job: commands left out, letters decoded."""
    body = without_status_queries(job)
    for command in (b"\x1b@", b"\x1bt\x33", b"\x1b!\x00", b"\x1b!\x10", b"\x1bE\x01", b"\x1bE\x00"):
        body = body.replace(command, b"")
    return body.split(b"\x1bd")[0].decode("cp1257")


def receipt_job(listener: EscposListener, count: int = 2) -> bytes:
    """The connection that printed (the first one is the desk's look at the printer)."""
    jobs = listener.wait_jobs(count)
    printing = [job for job in jobs if without_status_queries(job)]
    assert len(printing) == 1, jobs
    return printing[0]


def test_a_network_printer_gets_the_receipt_with_its_lithuanian_letters(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    with listening() as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        taps = []
        news = receipt_news(
            bus, lambda: taps.append(canteen.tap(ona, canteen.cepelinai, canteen.juice))
        )
        job = receipt_job(printer)
    assert news == ReceiptPrinted(TILL.name, taps[0].event_id, True, "")
    assert job.startswith(PAPER_QUERY)  # the paper asked about before the receipt
    assert job.endswith(PAPER_QUERY)  # and after it
    text = decoded(job)
    assert text.splitlines() == [
        "          Šaltinio progimnazija",
        "Kasa: valgykla-1          2026-10-05 12:03",
        "Mokinys: O. Ž.                          5b",
        "-" * 42,
        "Pietūs",
        "Cepelinai                           2,50 €",
        "Obuolių sultys                      1,20 €",
        "-" * 42,
        "Sumokėta                            3,70 €",
        "Likutis                             1,30 €",
    ]
    assert "Ona" not in text
    assert "Žukauskaitė" not in text
    # byte for byte what the golden Dummy test pins down
    sale = receipt_for(store.conn, taps[0].event_id)
    assert sale is not None
    dummy = Dummy()
    render(sale_receipt(sale, school=SCHOOL, tz=VILNIUS, words=WORDS), dummy)
    assert without_status_queries(job) == dummy.output
    assert printer_state(store) == (DeviceState.OK, f"network 127.0.0.1:{printer.port}")


def _sale_stands(store: Store, event_id: str) -> None:
    assert store.conn.execute(
        "SELECT s.paid_cents, l.amount_cents FROM till_sales s"
        " JOIN ledger l ON l.event_id = s.event_id WHERE s.event_id = ?",
        (event_id,),
    ).fetchone() == (120, -120)


def test_a_printer_that_is_off_means_receipt_not_printed_and_the_sale_stands(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    make_desk(f"valgykla-1 network:127.0.0.1:{closed_port()}")
    taps = []
    started = time.monotonic()
    news = receipt_news(bus, lambda: taps.append(canteen.tap(ona, canteen.juice)))
    assert time.monotonic() - started < 2 * TIMEOUT
    assert (news.event_id, news.printed) == (taps[0].event_id, False)
    assert "Connection refused" in news.detail
    assert taps[0].result is TapResult.ACCEPTED
    _sale_stands(store, taps[0].event_id)
    assert printer_state(store)[0] is DeviceState.OFFLINE


def test_a_printer_that_accepts_and_never_reads_fails_fast_without_holding_the_till(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    jonas = canteen.pupil("Jonas", "Kazlauskas", "7a", "04B1B2C3D4E5F6", cents=500)
    with listening(deaf=True) as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        taps = []
        started = time.monotonic()
        news = receipt_news(bus, lambda: taps.append(canteen.tap(ona, canteen.juice)))
        # the worker's first look at the printer may still hold it: two waits at most
        assert time.monotonic() - started < 4 * TIMEOUT + 1
        second = canteen.tap(jonas, canteen.juice)  # the till goes on while the printer hangs
    assert not news.printed
    assert news.detail == f"receipt printer network 127.0.0.1:{printer.port} did not answer in time"
    assert second.result is TapResult.ACCEPTED
    _sale_stands(store, taps[0].event_id)


def test_a_printer_out_of_paper_prints_nothing_and_says_so(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    with listening(answers=[PAPER_END]) as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        taps = []
        news = receipt_news(bus, lambda: taps.append(canteen.tap(ona, canteen.juice)))
        jobs = printer.wait_jobs(2)
    assert (news.printed, news.detail) == (
        False,
        f"receipt printer network 127.0.0.1:{printer.port} is out of paper",
    )
    assert jobs == [PAPER_QUERY, PAPER_QUERY]  # the look at start, the receipt's: nothing sent
    _sale_stands(store, taps[0].event_id)
    assert printer_state(store) == (DeviceState.ERROR, news.detail)


def test_paper_running_out_during_the_receipt_means_not_printed(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    with listening(answers=[PAPER_OK, PAPER_END]) as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        news = receipt_news(bus, lambda: canteen.tap(ona, canteen.juice))
    assert not news.printed
    assert news.detail.endswith("ran out of paper while printing")


def test_paper_near_its_end_still_prints_and_warns_the_dashboard(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    with listening(answers=[PAPER_NEAR_END]) as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        news = receipt_news(bus, lambda: canteen.tap(ona, canteen.juice))
    assert news.printed
    assert printer_state(store) == (
        DeviceState.WARNING,
        f"network 127.0.0.1:{printer.port}: paper running low",
    )


def test_a_refused_tap_prints_nothing(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk
) -> None:
    broke = canteen.pupil("Ūla", "Ąžuolaitė", "5b", "04C1B2C3D4E5F6")
    with listening() as printer:
        make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        with bus.subscribe(TILL.name) as inbox:
            assert canteen.tap(broke, canteen.juice).result is TapResult.DENIED
            time.sleep(0.5)
            seen = []
            while (news := inbox.get(timeout=0.05)) is not None:
                seen.append(news)
        jobs = printer.wait_jobs(1)
    assert not [n for n in seen if isinstance(n, ReceiptPrinted)]
    assert jobs == [PAPER_QUERY]  # only the desk's look at the printer when it started


def test_the_day_report_prints_on_the_tills_printer(
    store: Store, canteen: Canteen, make_desk: MakeDesk
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    jonas = canteen.pupil("Jonas", "Kazlauskas", "7a", "04B1B2C3D4E5F6", cents=300)
    canteen.entitle(jonas.pupil_id)
    canteen.tap(ona, canteen.cepelinai, canteen.juice)
    canteen.tap(jonas)
    with listening() as printer:
        desk = make_desk(f"valgykla-1 network:127.0.0.1:{printer.port}")
        desk.print_day_report("valgykla-1", date(2026, 10, 5))
        job = receipt_job(printer)
    assert decoded(job).splitlines() == [
        "          Šaltinio progimnazija",
        "             Dienos ataskaita",
        "Kasa: valgykla-1" + " " * 9 + "Diena: 2026-10-05",
        "-" * 42,
        "Nemokami patiekalai                      1",
        "  Pietūs                                 1",
        "Pardavimai: 1                       3,70 €",
        "Papildymai: 0                       0,00 €",
        "Grąžinimai: 0                       0,00 €",
        "Pataisymai: 0                       0,00 €",
        "-" * 42,
        "Išspausdinta: 2026-10-05 12:03",
    ]


def test_a_day_report_that_cannot_print_raises_printer_error(make_desk: MakeDesk) -> None:
    desk = make_desk(f"valgykla-1 network:127.0.0.1:{closed_port()}")
    with pytest.raises(PrinterError, match="Connection refused"):
        desk.print_day_report("valgykla-1", date(2026, 10, 5))
    with pytest.raises(PrinterError, match="till valgykla-2 has no receipt printer"):
        desk.print_day_report("valgykla-2", date(2026, 10, 5))


def test_a_spool_printer_writes_each_receipt_to_its_folder(
    store: Store, bus: Bus, canteen: Canteen, make_desk: MakeDesk, tmp_path: Path
) -> None:
    ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
    make_desk("valgykla-1 spool:kvitai Sunmi-V2")
    news = receipt_news(bus, lambda: canteen.tap(ona, canteen.juice))
    assert news.printed
    folder = tmp_path / "data" / "kvitai"
    [escpos] = folder.glob("valgykla-1-*.escpos")
    [text] = folder.glob("valgykla-1-*.txt")
    assert escpos.read_bytes().startswith(b"\x1b@\x1bt\x21")  # CP775 in the Sunmi's table
    assert "Mokinys: O. Ž." in text.read_text(encoding="utf-8")
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_the_terminal_role_starts_the_desk_and_stops_it(
    tmp_path: Path, store: Store, clock: FixedClock, canteen: Canteen
) -> None:
    settings = load_settings(
        None,
        env={
            "EMP_EDGE_DATA_DIR": str(tmp_path / "data"),
            "EMP_EDGE_ROLES": "terminal",
            "EMP_EDGE_CANTEEN_RECEIPT_PRINTERS": "valgykla-1 spool:kvitai",
        },
    )
    services = Services(settings, store, clock, canteen.pipeline.bus)
    ensure_master_key(settings)
    running = start_roles(services)
    try:
        ona = canteen.pupil("Ona", "Žukauskaitė", "5b", "04A1B2C3D4E5F6", cents=500)
        news = receipt_news(services.bus, lambda: canteen.tap(ona, canteen.juice))
    finally:
        running.stop()
    assert news.printed
    assert len(list((tmp_path / "data" / "kvitai").glob("valgykla-1-*.escpos"))) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("receipts-")]
