"""The card station's parts as the settings choose them: the layout, the printer, the encoder,
the papers of the pages and the batch pass. The hardware libraries load only when chosen."""

from __future__ import annotations

from pathlib import Path

from emp_edge.card_station.batch import CardBatch
from emp_edge.card_station.papers import StationPapers
from emp_edge.config import Settings
from emp_edge.printer.card_face import CardTemplate, load_template
from emp_edge.printer.card_printers import CardPrinter, SpoolCardPrinter
from emp_edge.store import Store
from emp_edge.terminal.authenticity import CardKeys
from emp_edge.terminal.encoder import CardEncoder, SimulatedEncoder


def card_template(settings: Settings) -> CardTemplate:
    """The card layout: the settings' file, or the one shipped."""
    configured = settings["cards.template_file"]
    return load_template(Path(configured) if configured else None)


def spool_folder(settings: Settings) -> Path:
    configured = settings["cards.spool_dir"]
    return Path(configured) if configured else settings.data_dir / "card-spool"


def card_printer(settings: Settings) -> CardPrinter:
    """The CUPS queue or the spool folder the cards are printed to."""
    if settings["cards.printer"] == "cups":
        from emp_edge.printer.card_printers import CupsCardPrinter

        return CupsCardPrinter(settings["cards.cups_queue"], settings["cards.cups_server"])
    return SpoolCardPrinter(spool_folder(settings))


def card_encoder(settings: Settings, keys: CardKeys) -> CardEncoder:
    """The station's PC/SC encoder, or the demo's emulated chips."""
    if settings["cards.encoder"] == "pcsc":
        from emp_edge.terminal.encoder import PcscEncoder

        return PcscEncoder(settings["cards.encoder_reader"], keys, settings["cards.encode_wait_s"])
    return SimulatedEncoder(keys)


def station_papers(store: Store, settings: Settings) -> StationPapers:
    return StationPapers(store, card_template(settings), settings["cards.payment_account"])


def card_batch(store: Store, settings: Settings, keys: CardKeys) -> CardBatch:
    return CardBatch(
        store,
        card_printer(settings),
        card_encoder(settings, keys),
        card_template(settings),
        print_timeout_s=settings["cards.print_timeout_s"],
    )
