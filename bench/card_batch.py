"""A batch of cards printed through a real cupsd: rendered, made into PDFs and printed, one by one.

The test rig's private cupsd (``tests/rigs``) has a raw queue to a TCP listener standing in for
the card printer. Each card goes as the station sends it: ``render_card`` (front and back from
the shipped template, a checked photo, a long Lithuanian name, "Kiti įrašai" on the back),
``card_pdf``, ``CupsCardPrinter.submit`` and ``wait`` until CUPS reports the job completed,
then the next card (the station encodes each card's chip between two prints).

Figures:

- ``batch_300_print_s`` (``batch_50_print_s`` with ``--quick``): from the first render to the
  last job completed (goal ≤ 60 s for 300 cards); ``batch_cards`` says how many;
- ``batch_card_ms_p50`` / ``_p95``: one card, render to completed; and its parts
  (``batch_render_ms_p50``, ``batch_pdf_ms_p50``, ``batch_print_ms_p50`` = submit + wait);
- ``batch_submit_only_s``: the same PDFs (made beforehand) printed with one bare pycups
  ``printFile`` each, polled to completed, no rendering; ``batch_vs_submit_only_ratio`` is
  the whole batch against that.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cards import _portrait
from emp_edge.printer.card_face import CardFace, load_template, photo_box, render_card
from emp_edge.printer.card_pdf import card_pdf
from emp_edge.printer.card_photo import check_photo
from emp_edge.printer.card_printers import CupsCardPrinter, PrintResult
from rigs.cupsd import CupsdRig, JobListener
from taps import _percentile

QUEUE = "kortos"
TIMEOUT_S = 30.0
FIRST = "Žydrūnė Ąžuolė"
LAST = "Čepulionytė-Žemaitienė"


def _faces(count: int) -> list[CardFace]:
    template = load_template()
    face = CardFace(
        first_name=FIRST,
        last_name=LAST,
        birth_date=date(2015, 3, 17),
        school_name="Vilniaus miesto savivaldybės Ąžuolyno progimnazija",
        school_code="300012345",
        valid_until=date(2030, 8, 31),
        card_number="",
        photo_jpeg=check_photo(_portrait((636, 708)), photo_box(template)),
        other_entries=(
            ("programme", "Pradinio ugdymo programa"),
            ("transport_route", "Autobusas Nr. 7: „Žirmūnų“ stotelė – „Ąžuolyno mokykla“"),
        ),
    )
    return [
        replace(face, first_name=f"{FIRST} {n}", card_number=f"30001234500{n:05d}")
        for n in range(count)
    ]


@dataclass
class Batch:
    """One batch's timings (milliseconds per card) and the PDFs it sent."""

    seconds: float = 0.0
    render_ms: list[float] = field(default_factory=list)
    pdf_ms: list[float] = field(default_factory=list)
    print_ms: list[float] = field(default_factory=list)
    card_ms: list[float] = field(default_factory=list)
    pdfs: list[bytes] = field(default_factory=list)


def _batch(printer: CupsCardPrinter, faces: list[CardFace]) -> Batch:
    """Every card through render, PDF and print, one after the other."""
    template = load_template()
    render_card(faces[0], template)  # fonts loaded, as at a station that printed one card
    batch = Batch()
    printer.check_ready()
    first = time.perf_counter()
    for face in faces:
        started = time.perf_counter()
        front, back = render_card(face, template)
        rendered = time.perf_counter()
        pdf = card_pdf(front, back, f"card {face.card_number}")
        made = time.perf_counter()
        outcome = printer.wait(printer.submit(f"card {face.card_number}", pdf), TIMEOUT_S)
        done = time.perf_counter()
        if outcome.result is not PrintResult.PRINTED:
            raise RuntimeError(f"card {face.card_number}: {outcome}")
        batch.render_ms.append((rendered - started) * 1000)
        batch.pdf_ms.append((made - rendered) * 1000)
        batch.print_ms.append((done - made) * 1000)
        batch.card_ms.append((done - started) * 1000)
        batch.pdfs.append(pdf)
    batch.seconds = time.perf_counter() - first
    return batch


def _submit_only(server: str, pdfs: list[bytes], folder: Path) -> float:
    """Seconds for bare pycups to print the same PDFs, one ``printFile`` each, to completed."""
    import cups

    files = []
    for number, pdf in enumerate(pdfs):
        path = folder / f"{number}.pdf"
        path.write_bytes(pdf)
        files.append(path)
    cups.setServer(server)
    connection = cups.Connection()
    started = time.perf_counter()
    for number, path in enumerate(files):
        job = connection.printFile(QUEUE, str(path), f"card {number}", {})
        while connection.getJobAttributes(job, requested_attributes=["job-state"])["job-state"] < 7:
            time.sleep(0.005)
    return time.perf_counter() - started


def card_batch(count: int) -> dict[str, float]:
    rig = CupsdRig()
    listener = JobListener()
    try:
        rig.start()
        rig.add_raw_queue(QUEUE, listener.uri)
        batch = _batch(CupsCardPrinter(QUEUE, rig.server), _faces(count))
        with tempfile.TemporaryDirectory(prefix="emp-edge-bench-") as folder:
            bare = _submit_only(rig.server, batch.pdfs, Path(folder))
        listener.wait_jobs(2 * count, timeout=TIMEOUT_S)
    finally:
        listener.close()
        rig.close()
    return {
        f"batch_{count}_print_s": round(batch.seconds, 2),
        "batch_cards": float(count),
        "batch_card_ms_p50": round(statistics.median(batch.card_ms), 2),
        "batch_card_ms_p95": round(_percentile(batch.card_ms, 0.95), 2),
        "batch_render_ms_p50": round(statistics.median(batch.render_ms), 2),
        "batch_pdf_ms_p50": round(statistics.median(batch.pdf_ms), 2),
        "batch_print_ms_p50": round(statistics.median(batch.print_ms), 2),
        "batch_submit_only_s": round(bare, 2),
        "batch_vs_submit_only_ratio": round(batch.seconds / bare, 2),
    }


def run(quick: bool) -> dict[str, float]:
    """The figures for ``run.py``: 50 cards with ``--quick``, 300 otherwise."""
    return card_batch(50 if quick else 300)


if __name__ == "__main__":
    for name, value in card_batch(int(sys.argv[1]) if len(sys.argv) > 1 else 300).items():
        print(f"{name:32} {value}")
