"""Card printers against a private cupsd on loopback, and the spool folder.

Each test adds queues of its own to the worker's cupsd (``cupsd`` fixture) and a TCP listener
standing in for the card printer, so what arrives is what the printer would get.
"""

from __future__ import annotations

import io
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cups
import pytest
from PIL import Image
from pypdf import PdfReader

from emp_edge.errors import PrinterError
from emp_edge.printer.card_pdf import card_pdf
from emp_edge.printer.card_printers import (
    CupsCardPrinter,
    PrintOutcome,
    PrintResult,
    SpoolCardPrinter,
)
from emp_edge.printer.cups_card_printer import CUSTOM_CR80, cr80_media
from rigs.cupsd import CupsdRig, JobListener, free_port

MM_PER_POINT = 25.4 / 72


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1012, 638), colour).save(out, "PNG")
    return out.getvalue()


PDF = card_pdf(_png((250, 250, 240)), _png((200, 220, 250)), "card 000123")


@pytest.fixture
def queue() -> str:
    return f"card_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def listener() -> Iterator[JobListener]:
    printer = JobListener()
    yield printer
    printer.close()


@pytest.fixture
def raw_queue(cupsd: CupsdRig, queue: str, listener: JobListener) -> str:
    cupsd.add_raw_queue(queue, listener.uri)
    return queue


def server(rig: CupsdRig) -> Any:
    """A pycups connection to the rig, as the test's own look at the server."""
    cups.setServer(rig.server)
    return cups.Connection()


def queue_jobs(rig: CupsdRig, queue: str) -> list[int]:
    jobs = server(rig).getJobs(which_jobs="all", requested_attributes=["job-printer-uri"])
    return [job for job, seen in jobs.items() if seen["job-printer-uri"].endswith(f"/{queue}")]


def job_state(rig: CupsdRig, job: str) -> int:
    return int(server(rig).getJobAttributes(int(job))["job-state"])


# -- a card that prints ----------------------------------------------------------------------


def test_a_card_on_a_raw_queue_arrives_byte_for_byte_and_is_printed(
    cupsd: CupsdRig, raw_queue: str, listener: JobListener
) -> None:
    printer = CupsCardPrinter(raw_queue, cupsd.server)

    printer.check_ready()
    job = printer.submit("card 000123", PDF)
    outcome = printer.wait(job, timeout_s=10)

    assert outcome == PrintOutcome(PrintResult.PRINTED)
    assert listener.wait_jobs(1) == [PDF]
    sent = server(cupsd).getJobAttributes(
        int(job), requested_attributes=["job-name", "document-format", "sides", "media"]
    )
    assert sent["job-name"] == "card 000123"
    assert sent["document-format"] == "application/pdf"
    assert sent["sides"] == "two-sided-long-edge"
    assert sent["media"] == CUSTOM_CR80  # a raw queue lists no media of its own


def test_a_card_printer_queue_puts_both_faces_on_cr80(
    cupsd: CupsdRig, queue: str, tmp_path: Path
) -> None:
    """The rig's card printer PPD defaults to A4: the pages are CR80 only because the job asks
    for the queue's CR80 media, and two because the back is printed too."""
    output = tmp_path / "printed.pdf"
    cupsd.add_card_queue(queue, output)
    printer = CupsCardPrinter(queue, cupsd.server)

    printer.check_ready()
    outcome = printer.wait(printer.submit("card 000124", PDF), timeout_s=10)

    assert outcome.result is PrintResult.PRINTED
    reader = PdfReader(output)
    assert len(reader.pages) == 2
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert [round(side * MM_PER_POINT, 1) for side in size] == [85.6, 54.0]


def test_one_printer_serves_many_cards_in_turn(
    cupsd: CupsdRig, raw_queue: str, listener: JobListener
) -> None:
    printer = CupsCardPrinter(raw_queue, cupsd.server)
    cards = [card_pdf(_png((n, 255 - n, 128)), _png((0, 0, n)), f"card {n}") for n in range(5)]

    outcomes = [printer.wait(printer.submit(f"card {n}", pdf), 10) for n, pdf in enumerate(cards)]

    assert {outcome.result for outcome in outcomes} == {PrintResult.PRINTED}
    assert sorted(listener.wait_jobs(5)) == sorted(cards)


# -- a printer that is not ready ---------------------------------------------------------------


def test_a_stopped_queue_is_not_ready_and_gets_no_job(
    cupsd: CupsdRig, raw_queue: str, listener: JobListener
) -> None:
    cupsd.disable(raw_queue, "Ribbon out")
    printer = CupsCardPrinter(raw_queue, cupsd.server)

    with pytest.raises(PrinterError) as refused:
        printer.check_ready()

    assert refused.value.template == "the card printer {queue} is off or stopped: {message}"
    assert refused.value.params == {"queue": raw_queue, "message": "Ribbon out"}
    assert queue_jobs(cupsd, raw_queue) == []
    assert listener.jobs == []


def test_a_queue_that_rejects_jobs_is_not_ready(cupsd: CupsdRig, raw_queue: str) -> None:
    cupsd.reject(raw_queue, "Cards run out")
    printer = CupsCardPrinter(raw_queue, cupsd.server)

    with pytest.raises(PrinterError, match=f"card printer {raw_queue} does not accept jobs"):
        printer.check_ready()
    with pytest.raises(PrinterError, match=f"card printer {raw_queue} does not accept jobs"):
        printer.submit("card 000123", PDF)
    assert queue_jobs(cupsd, raw_queue) == []


def test_an_unknown_queue_is_refused(cupsd: CupsdRig, queue: str) -> None:
    printer = CupsCardPrinter(queue, cupsd.server)

    with pytest.raises(PrinterError) as refused:
        printer.check_ready()
    assert str(refused.value) == f"the card printer {queue} does not exist"
    with pytest.raises(PrinterError, match="does not exist"):
        printer.submit("card 000123", PDF)


def test_a_print_server_that_cannot_be_reached_is_refused(queue: str) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    printer = CupsCardPrinter(queue, nobody)

    with pytest.raises(PrinterError) as refused:
        printer.check_ready()
    assert str(refused.value).startswith(f"the print server {nobody} cannot be reached: ")
    with pytest.raises(PrinterError, match="cannot be reached"):
        printer.submit("card 000123", PDF)


def test_two_printers_on_two_servers_in_one_thread_each_reach_their_own(
    cupsd: CupsdRig, raw_queue: str
) -> None:
    """libcups keeps the server per thread: each call must set its own again."""
    elsewhere = CupsCardPrinter(raw_queue, f"127.0.0.1:{free_port()}")
    here = CupsCardPrinter(raw_queue, cupsd.server)

    with pytest.raises(PrinterError):
        elsewhere.check_ready()
    here.check_ready()
    with pytest.raises(PrinterError):
        elsewhere.check_ready()


# -- jobs that do not end well -----------------------------------------------------------------


def test_a_printer_that_does_not_answer_aborts_the_job_and_spoils_the_blank(
    cupsd: CupsdRig, queue: str
) -> None:
    """The socket backend gives up after contimeout (it checks every 5 s); with the
    ``abort-job`` policy the job is aborted with the printer's message."""
    cupsd.add_raw_queue(queue, f"socket://127.0.0.1:{free_port()}/?contimeout=1")
    printer = CupsCardPrinter(queue, cupsd.server)

    printer.check_ready()
    job = printer.submit("card 000125", PDF)
    outcome = printer.wait(job, timeout_s=30)

    assert outcome == PrintOutcome(PrintResult.SPOILED, "The printer is not responding.")
    assert job_state(cupsd, job) == cups.IPP_JOB_ABORTED


def test_a_job_that_does_not_finish_in_time_is_cancelled_and_spoiled(
    cupsd: CupsdRig, queue: str
) -> None:
    stuck = JobListener(hold=True)  # takes the card and never lets go
    try:
        cupsd.add_raw_queue(queue, stuck.uri)
        printer = CupsCardPrinter(queue, cupsd.server)
        job = printer.submit("card 000126", PDF)
        started = time.monotonic()

        outcome = printer.wait(job, timeout_s=1.0)

        assert 1.0 <= time.monotonic() - started < 3.0
        assert outcome == PrintOutcome(PrintResult.SPOILED, "the printer did not finish in 1 s")
        assert job_state(cupsd, job) == cups.IPP_JOB_CANCELED
    finally:
        stuck.close()


def test_a_print_server_gone_while_waiting_spoils_the_blank() -> None:
    """The job may have printed: the blank is counted spoiled, never back in the stock."""
    rig, stuck = CupsdRig(), JobListener(hold=True)
    try:
        rig.start()
        rig.add_raw_queue("gone", stuck.uri)
        printer = CupsCardPrinter("gone", rig.server)
        job = printer.submit("card 000129", PDF)
        rig.stop()

        outcome = printer.wait(job, timeout_s=1.0)

        assert outcome == PrintOutcome(PrintResult.SPOILED, "the printer did not finish in 1 s")
    finally:
        stuck.close()
        rig.close()


def test_a_queue_stopped_before_the_job_started_leaves_the_blank_unused(
    cupsd: CupsdRig, raw_queue: str, listener: JobListener
) -> None:
    printer = CupsCardPrinter(raw_queue, cupsd.server)
    printer.check_ready()
    cupsd.disable(raw_queue, "Cover open")
    job = printer.submit("card 000127", PDF)
    started = time.monotonic()

    outcome = printer.wait(job, timeout_s=30)

    assert time.monotonic() - started < 5  # not held up until the timeout
    assert outcome == PrintOutcome(
        PrintResult.NOT_PRINTED, f"the card printer {raw_queue} is off or stopped: Cover open"
    )
    assert job_state(cupsd, job) == cups.IPP_JOB_CANCELED
    assert listener.jobs == []


def test_a_job_cancelled_at_the_server_before_printing_is_not_printed(
    cupsd: CupsdRig, raw_queue: str
) -> None:
    cupsd.disable(raw_queue, "Paused")
    printer = CupsCardPrinter(raw_queue, cupsd.server)
    job = printer.submit("card 000128", PDF)
    server(cupsd).cancelJob(int(job))

    outcome = printer.wait(job, timeout_s=10)

    assert outcome == PrintOutcome(
        PrintResult.NOT_PRINTED, "the job was cancelled at the print server before it printed"
    )


def test_a_job_reference_that_is_not_a_cups_job_is_refused(cupsd: CupsdRig) -> None:
    with pytest.raises(PrinterError, match="is not a CUPS job"):
        CupsCardPrinter("any", cupsd.server).wait("card 1.pdf", 1)


# -- the card size a queue offers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("supported", "chosen"),
    [
        (
            ["iso_a4_210x297mm", "custom_85.6x53.98mm_85.6x53.98mm"],
            "custom_85.6x53.98mm_85.6x53.98mm",
        ),
        (["om_card_54x86mm", "iso_a4_210x297mm"], "om_card_54x86mm"),
        (["na_letter_8.5x11in", "oe_cr80_2.125x3.375in"], "oe_cr80_2.125x3.375in"),
        (["CR80"], "CR80"),
        (["iso_a4_210x297mm", "na_index-3x5_3x5in"], CUSTOM_CR80),
        ([], CUSTOM_CR80),
    ],
)
def test_the_queues_own_cr80_size_is_asked_for(supported: list[str], chosen: str) -> None:
    assert cr80_media(supported) == chosen


# -- the spool folder ---------------------------------------------------------------------------


def test_the_spool_printer_writes_a_private_file_in_a_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "spool" / "cards"
    printer = SpoolCardPrinter(folder)

    printer.check_ready()
    job = printer.submit("card 000123", PDF)

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = folder / "card 000123.pdf"
    assert job == written.name
    assert written.read_bytes() == PDF
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["card 000123.pdf"]  # no temp left
    assert printer.wait(job, 5) == PrintOutcome(PrintResult.PRINTED)


def test_a_reprint_does_not_replace_a_card_still_waiting(tmp_path: Path) -> None:
    printer = SpoolCardPrinter(tmp_path)
    first = printer.submit("card 000123", b"%PDF first")

    second = printer.submit("card 000123", b"%PDF second")

    assert (first, second) == ("card 000123.pdf", "card 000123-2.pdf")
    assert (tmp_path / first).read_bytes() == b"%PDF first"
    assert (tmp_path / second).read_bytes() == b"%PDF second"


@pytest.mark.parametrize("title", ["../x", "a/b", "..", ".hidden", "a\\b", ""])
def test_the_spool_printer_refuses_a_title_that_is_not_a_plain_name(
    tmp_path: Path, title: str
) -> None:
    folder = tmp_path / "cards"
    printer = SpoolCardPrinter(folder)

    with pytest.raises(PrinterError, match="cannot name a file in the spool folder"):
        printer.submit(title, PDF)

    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_a_spool_folder_that_is_a_file_is_not_ready(tmp_path: Path) -> None:
    taken = tmp_path / "cards"
    taken.write_text("not a folder")

    with pytest.raises(PrinterError, match=r"the spool folder .* cannot be used"):
        SpoolCardPrinter(taken).check_ready()
    with pytest.raises(PrinterError):
        SpoolCardPrinter(taken / "inside").submit("card 1", PDF)
