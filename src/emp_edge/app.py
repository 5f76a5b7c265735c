"""The composition root: reads the settings, opens the store, picks adapters and starts roles.

This is the only module that knows every part; the parts know only what they are handed.
"""

from __future__ import annotations

import gettext
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import partial
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from flask import Flask

from emp_edge.card_station.retention import CardCare
from emp_edge.card_station.setup import card_batch, station_papers
from emp_edge.clock import SystemClock
from emp_edge.config import Settings
from emp_edge.config.terminals import TerminalSpec, parse_terminals
from emp_edge.domain.clock import Clock
from emp_edge.errors import ConfigError
from emp_edge.printer.club_report_pdf import month_pdf
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.sync.client import client_from_settings
from emp_edge.sync.schedule import SyncJobs
from emp_edge.terminal.authenticity import (
    CardKeys,
    CardRead,
    application_id,
    create_master_key,
    load_master_key,
    read_school_card,
    read_uid_only,
)
from emp_edge.terminal.club_schedule import ClubSchedule
from emp_edge.terminal.day_closing import DayClosing
from emp_edge.terminal.handlers import role_handlers
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Reader, Tap
from emp_edge.terminal.readers.simulated import SimulatedReader
from emp_edge.terminal.simulator import TapSimulator
from emp_edge.terminal.station import Station
from emp_edge.web import create_app
from emp_edge.web.card_papers import use_card_papers
from emp_edge.web.views.card_printing import use_card_batch
from emp_edge.web.views.club_report import use_report_pdf
from emp_edge.web.views.pupils import use_classlist_importer
from emp_edge.web.views.simulator import use_tap_simulator
from emp_edge.web.views.sync import use_sync

if TYPE_CHECKING:
    from emp_edge.printer.receipt_desk import ReceiptDesk

log = logging.getLogger(__name__)


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        force=True,
    )
    # nfcpy says so at INFO on every attempt to open a missing device; the station logs changes
    quiet = max(logging.WARNING, logging.getLogger().level)
    logging.getLogger("nfc").setLevel(quiet)
    # a line per scheduled run and per HTTP request says nothing the jobs' own lines do not
    logging.getLogger("apscheduler.executors.default").setLevel(quiet)
    logging.getLogger("httpx").setLevel(quiet)


def open_store(settings: Settings, clock: Clock | None = None, *, create: bool = False) -> Store:
    """The store at the settings' data folder, on the school's clock; not yet migrated."""
    return Store(
        settings.db_path,
        clock or SystemClock(settings.tz),
        busy_timeout_ms=settings["store.busy_timeout_ms"],
        create=create,
    )


def open_services(
    settings: Settings, clock: Clock | None = None, *, create: bool = False
) -> Services:
    """Open the store at the settings' data folder and apply pending migrations."""
    store = open_store(settings, clock, create=create)
    store.migrate()
    clock = store.clock
    return Services(settings=settings, store=store, clock=clock)


def school_of(settings: Settings) -> School:
    """The school this box serves, as the settings name it."""
    return School(settings["school.code"], settings["school.name"], settings["school.municipality"])


def web_app(
    services: Services,
    test_config: Mapping[str, Any] | None = None,
    *,
    simulator: TapSimulator | None = None,
    day_printer: Callable[[str, date], None] | None = None,
    sync: SyncJobs | None = None,
) -> Flask:
    """The admin pages with the parts they use plugged in (importer, tap simulator, the
    receipt printers' day report, the clubs' report as PDF, "sync now")."""
    web = create_app(services, test_config, day_printer=day_printer)
    use_classlist_importer(web, partial(import_classlist, school=school_of(services.settings)))
    use_report_pdf(web, month_pdf)
    settings = services.settings
    use_card_papers(web, station_papers(services.store, settings))
    if master_key_path(settings).exists():  # the encoder keys each chip from the master key
        use_card_batch(web, card_batch(services.store, settings, card_keys(settings)))
    if simulator is not None:
        use_tap_simulator(web, simulator)
    use_sync(web, sync)
    return web


def sync_jobs(services: Services) -> SyncJobs:
    """Push, pull and the nightly care of the cards (expiry, the retention purge), scheduled."""
    settings = services.settings
    care = CardCare(services)
    return SyncJobs(
        services.store, settings, partial(client_from_settings, settings), care=care.run
    )


# ---------------------------------------------------------------- the terminal role


def master_key_path(settings: Settings) -> Path:
    """Where the school's card master key is kept (0600; never in the database)."""
    configured = settings["terminal.master_key_file"]
    return Path(configured) if configured else settings.data_dir / "card-master.key"


def ensure_master_key(settings: Settings) -> bool:
    """Make the school's card master key if the box has none; True when one was made."""
    path = master_key_path(settings)
    if path.exists():
        return False
    create_master_key(path)
    log.info("card master key created")
    return True


def card_keys(settings: Settings) -> CardKeys:
    return CardKeys(
        load_master_key(master_key_path(settings)),
        application_id(settings["terminal.application_id"]),
        settings["school.code"],
    )


def make_reader(spec: TerminalSpec, settings: Settings) -> Reader:
    """The reader adapter a terminal's entry names (the hardware libraries load only here)."""
    every = settings["terminal.reconnect_ms"] / 1000
    if spec.adapter == "pcsc":
        from emp_edge.terminal.readers.pcsc import PcscReader

        return PcscReader(
            spec.argument, feedback=settings["terminal.feedback"], reconnect_interval=every
        )
    if spec.adapter == "nfcpy":
        from emp_edge.terminal.readers.nfc import NfcReader

        return NfcReader(spec.argument, reconnect_interval=every)
    return SimulatedReader(spec.name)


def pcsc_reader_names() -> list[str]:
    """The PC/SC readers pcscd sees now (pyscard loads only here)."""
    from emp_edge.terminal.readers.pcsc import list_reader_names

    return list_reader_names()


@dataclass
class Terminals:
    """The terminals of this box, and the tap simulator when some of them are simulated."""

    stations: list[Station] = field(default_factory=list)
    simulator: TapSimulator | None = None

    def start(self) -> None:
        for station in self.stations:
            station.start()

    def stop(self) -> None:
        for station in self.stations:
            station.stop()


def build_terminals(services: Services) -> Terminals:
    settings = services.settings
    check: Callable[[Tap], CardRead]
    if settings["terminal.card_mode"] == "uid":
        check = read_uid_only
        log.warning("card check is uid only: copied cards are accepted (terminal.card_mode)")
        # the simulator still makes chips; with no key on the box they are keyed at random
        have_key = master_key_path(settings).exists()
        keys = card_keys(settings) if have_key else CardKeys(
            os.urandom(16), application_id(settings["terminal.application_id"]),
            settings["school.code"],
        )  # fmt: skip
    else:
        keys = card_keys(settings)
        check = partial(read_school_card, keys=keys)
    pipeline = TapPipeline(
        services.store,
        services.clock,
        services.bus,
        school_code=settings["school.code"],
        handlers=role_handlers(settings, services.clock),
    )
    terminals = Terminals()
    simulated: dict[str, SimulatedReader] = {}
    for spec in parse_terminals(settings["terminal.readers"]):
        reader = make_reader(spec, settings)
        if isinstance(reader, SimulatedReader):
            simulated[spec.name] = reader
        station = Station(
            spec,
            reader,
            check,
            pipeline,
            store=services.store,
            bus=services.bus,
            # a simulated tap is a deliberate click, never a card bouncing at the field's edge
            debounce_seconds=0
            if spec.adapter == "simulated"
            else settings["terminal.debounce_ms"] / 1000,
        )
        terminals.stations.append(station)
    if simulated:
        terminals.simulator = TapSimulator(services.store, keys, simulated)
    return terminals


def day_closing(services: Services) -> DayClosing:
    """The evening job closing the canteen's days, at the settings' time, in school time."""
    settings = services.settings
    return DayClosing(
        services.store,
        services.clock,
        settings.tz,
        settings["school.code"],
        time.fromisoformat(settings["canteen.close_day_at"]),
    )


def club_schedule(services: Services) -> ClubSchedule | None:
    """The club rooms' every-minute job, when this box has a club terminal."""
    settings = services.settings
    rooms = [t.name for t in parse_terminals(settings["terminal.readers"]) if t.role == "club"]
    if not rooms:
        return None
    return ClubSchedule(
        services.store, services.clock, settings.tz, rooms, settings["clubs.open_before_minutes"]
    )


def receipt_desk(services: Services) -> ReceiptDesk | None:
    """The tills' receipt printers, when the settings name any (python-escpos loads only then);
    receipts are printed in the kiosk's language."""
    settings = services.settings
    if not settings["canteen.receipt_printers"]:
        return None
    from emp_edge.printer.receipt_desk import ReceiptDesk, School
    from emp_edge.printer.receipt_setting import parse_receipt_printers
    from emp_edge.printer.receipt_texts import receipt_words

    tills = {t.name for t in parse_terminals(settings["terminal.readers"]) if t.role == "canteen"}
    catalog = gettext.translation(
        "messages",
        str(files("emp_edge.web") / "translations"),
        languages=[settings["kiosk.language"]],
        fallback=True,
    )
    return ReceiptDesk(
        services.store,
        services.bus,
        parse_receipt_printers(settings["canteen.receipt_printers"], tills=tills),
        School(settings["school.name"], settings.tz, receipt_words(catalog.gettext)),
        data_dir=settings.data_dir,
        timeout=settings["canteen.receipt_timeout_ms"] / 1000,
    )


@dataclass
class Running:
    """The roles started by ``serve``; ``url`` is where the web role listens."""

    url: str
    run: Callable[[], None]
    stop: Callable[[], None]


def start_roles(services: Services) -> Running:
    """Start the roles named in the settings (web, terminal) without blocking."""
    roles = services.settings["roles"]
    if not roles:
        raise ConfigError("'roles' names no role: give web, terminal or both")
    terminals = build_terminals(services) if "terminal" in roles else Terminals()
    desk = receipt_desk(services) if "terminal" in roles else None
    if desk is not None:
        desk.start()  # listening before the first tap
    terminals.start()
    for station in terminals.stations:
        log.info("role started role=terminal terminal=%s", station.spec.name)
    closing = day_closing(services) if "terminal" in roles else None
    if closing is not None:
        closing.start()
    clubs = club_schedule(services) if "terminal" in roles else None
    if clubs is not None:
        clubs.start()
    jobs = sync_jobs(services)  # each job runs once at a time, across processes too
    jobs.start()
    if "web" not in roles:
        stopped = threading.Event()

        def stop_terminals() -> None:
            stopped.set()
            terminals.stop()
            if closing is not None:
                closing.stop()
            if clubs is not None:
                clubs.stop()
            jobs.stop()
            if desk is not None:
                desk.stop()

        def wait() -> None:
            stopped.wait()

        return Running(url="", run=wait, stop=stop_terminals)
    from waitress import create_server

    server = create_server(
        web_app(
            services,
            simulator=terminals.simulator,
            day_printer=desk.print_day_report if desk is not None else None,
            sync=jobs,
        ),
        host=services.settings["web.host"],
        port=services.settings["web.port"],
        threads=services.settings["web.threads"],
        ident="emp-edge",
        # read ahead while a request runs, so a closed kiosk screen is noticed at once
        channel_request_lookahead=1,
    )
    host = services.settings["web.host"]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{server.effective_port}/"
    log.info("role started role=web url=%s", url)

    def stop_all() -> None:
        server.close()
        terminals.stop()
        if closing is not None:
            closing.stop()
        if clubs is not None:
            clubs.stop()
        jobs.stop()
        if desk is not None:
            desk.stop()

    return Running(url=url, run=server.run, stop=stop_all)


def serve_forever(running: Running, on_stop: Callable[[], None]) -> None:
    """Run until SIGTERM or Ctrl-C, then stop cleanly."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        running.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        running.stop()
        on_stop()
