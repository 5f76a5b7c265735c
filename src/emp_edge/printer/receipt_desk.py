"""The receipt desk: one worker per till with a receipt printer, printing each sale's receipt.

A worker listens on the bus to its till. For an accepted tap that sold items it reads the sale
back from the database (the tap is committed before it is published), prints the receipt and
publishes ``ReceiptPrinted`` either way. The sale was decided and committed before; a printer
that is off or out of paper only means "receipt not printed" on the screen. The printer's state
goes to the devices table for the dashboard when it changes. Logs never name a pupil.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from pathlib import Path
from typing import Final

from emp_edge.domain.taps import TapResult
from emp_edge.errors import EdgeError, PrinterError, StoreError
from emp_edge.events import Bus, ReceiptPrinted, TapDecided
from emp_edge.printer.receipt import Receipt
from emp_edge.printer.receipt_printers import OutOfPaperError, PaperState, ReceiptPrinter
from emp_edge.printer.receipt_setting import PrinterSpec
from emp_edge.printer.receipt_texts import Words, day_receipt, quiet_day, sale_receipt
from emp_edge.store import Store
from emp_edge.store.canteen_days import day_report
from emp_edge.store.canteen_receipts import receipt_for
from emp_edge.store.canteen_till import meal_windows
from emp_edge.store.devices import DeviceKind, DeviceState, report

log = logging.getLogger(__name__)

#: a receipt this late is no use: the pupil has gone and the next one would get it
STALE_AFTER_SECONDS: Final = 60.0
#: how often an idle worker looks at its printer, for the dashboard
CHECK_EVERY_SECONDS: Final = 30.0
_POLL_SECONDS: Final = 0.2


@dataclass(frozen=True)
class School:
    """What the receipts say about where they come from, and in which words."""

    name: str
    tz: tzinfo
    words: Words


def device_name(till: str) -> str:
    """The printer's name on the dashboard (a till's reader has the till's own name)."""
    return f"{till}-printer"


class TillPrinter:
    """One till's printer and its worker thread; a lock keeps one print job at a time."""

    def __init__(self, printer: ReceiptPrinter, store: Store, bus: Bus, school: School) -> None:
        self.printer = printer
        self.till = printer.spec.till
        self.store = store
        self.bus = bus
        self.school = school
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"receipts-{self.till}", daemon=True)
        self._state: tuple[DeviceState, str] | None = None

    # ------------------------------------------------------------------ the worker
    def start(self) -> None:
        self._thread.start()
        self._ready.wait(5)  # subscribed: no tap published after start() is missed

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        with self.bus.subscribe(self.till) as inbox:
            self._ready.set()
            self.check()
            last_check = time.monotonic()
            while not self._stop.is_set():
                news = inbox.get(timeout=_POLL_SECONDS)
                if isinstance(news, TapDecided) and _sold_items(news):
                    self.print_sale(news)
                    last_check = time.monotonic()
                elif time.monotonic() - last_check >= CHECK_EVERY_SECONDS:
                    self.check()
                    last_check = time.monotonic()

    # ------------------------------------------------------------------ the jobs
    def print_sale(self, tap: TapDecided) -> ReceiptPrinted:
        """Print the receipt of an accepted sale; publish and return whether it printed."""
        printed, detail = False, ""
        if tap.decided_ns and time.perf_counter_ns() - tap.decided_ns > STALE_AFTER_SECONDS * 1e9:
            detail = "too late to print: the printer was busy or away"
        else:
            try:
                self.print(self._sale(tap.event_id))
                printed = True
            except PrinterError as err:
                detail = err.reason
            except StoreError as err:
                detail = err.reason
        if printed:
            log.info("receipt printed till=%s event=%s", self.till, tap.event_id)
        else:
            log.warning(
                "receipt not printed till=%s event=%s reason=%s", self.till, tap.event_id, detail
            )
        news = ReceiptPrinted(self.till, tap.event_id, printed, detail)
        self.bus.publish(news)
        return news

    def _sale(self, event_id: str) -> Receipt:
        try:
            sale = receipt_for(self.store.conn, event_id)
        except sqlite3.Error as err:
            raise StoreError("cannot read the sale: {reason}", reason=str(err)) from err
        if sale is None:
            raise StoreError("the sale of tap {event} is not in the database", event=event_id)
        school = self.school
        return sale_receipt(sale, school=school.name, tz=school.tz, words=school.words)

    def print_day(self, day: date) -> None:
        """Print the till's end-of-day report; raises PrinterError when it does not print."""
        conn = self.store.conn
        try:
            report = {d.till: d for d in day_report(conn, day, self.school.tz)}
            names = {window.code: window.name for window in meal_windows(conn)}
        except sqlite3.Error as err:
            raise StoreError("cannot read the day: {reason}", reason=str(err)) from err
        receipt = day_receipt(
            report.get(self.till, quiet_day(self.till, day)),
            school=self.school.name,
            meal_names=names,
            printed_at=self.store.clock.now(),
            tz=self.school.tz,
            words=self.school.words,
        )
        self.print(receipt)
        log.info("day report printed till=%s day=%s", self.till, day.isoformat())

    def print(self, receipt: Receipt) -> None:
        """Print one receipt, one job at a time; the printer's state goes to the dashboard."""
        with self.lock:
            try:
                paper = self.printer.print(receipt)
            except PrinterError as err:
                self._failed(err)
                raise
        self._worked(paper)

    def check(self) -> None:
        """Look at the printer without printing and tell the dashboard."""
        with self.lock:
            try:
                paper = self.printer.check()
            except PrinterError as err:
                self._failed(err)
                return
        self._worked(paper)

    # ------------------------------------------------------------------ the dashboard
    def _worked(self, paper: PaperState) -> None:
        label = self.printer.spec.label
        if paper is PaperState.LOW:
            self._tell(DeviceState.WARNING, f"{label}: paper running low")
        else:
            self._tell(DeviceState.OK, label)

    def _failed(self, err: PrinterError) -> None:
        state = DeviceState.ERROR if isinstance(err, OutOfPaperError) else DeviceState.OFFLINE
        self._tell(state, err.reason)

    def _tell(self, state: DeviceState, detail: str) -> None:
        if self._state == (state, detail):
            return
        self._state = (state, detail)
        if state is DeviceState.OK:
            log.info("receipt printer ready till=%s printer=%s", self.till, detail)
        else:
            log.warning("receipt printer %s till=%s detail=%s", state, self.till, detail)
        try:
            report(self.store, device_name(self.till), DeviceKind.PRINTER, state, detail)
        except EdgeError as err:
            log.error("printer state not stored till=%s reason=%s", self.till, err.reason)


def _sold_items(tap: TapDecided) -> bool:
    return tap.result is TapResult.ACCEPTED and bool(tap.shown.get("items"))


class ReceiptDesk:
    """The receipt printers of this box's tills."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        specs: Sequence[PrinterSpec],
        school: School,
        *,
        data_dir: Path,
        timeout: float,
    ) -> None:
        self.tills = {
            spec.till: TillPrinter(
                ReceiptPrinter(spec, data_dir=data_dir, timeout=timeout), store, bus, school
            )
            for spec in specs
        }

    def start(self) -> None:
        for till in self.tills.values():
            till.start()
            log.info(
                "receipt printer started till=%s printer=%s", till.till, till.printer.spec.label
            )

    def stop(self) -> None:
        for till in self.tills.values():
            till.stop()

    def print_day_report(self, till: str, day: date) -> None:
        """Print ``till``'s end-of-day report on its printer; raises PrinterError."""
        printer = self.tills.get(till)
        if printer is None:
            raise PrinterError("till {till} has no receipt printer", till=till or "—")
        try:
            printer.print_day(day)
        except StoreError as err:
            raise PrinterError(
                "the day report could not be made: {reason}", reason=err.reason
            ) from err
