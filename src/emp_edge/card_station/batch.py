"""The batch pass: the cards chosen are printed one after another, each on the next blank in the
printer, and each printed card's chip is written and read back in the same pass.

Per card (three small transactions of ``store.card_printing``, so no blank is lost):

1. claim a blank — the number the staff named for the first card, then the next free one after
   the last blank used — and the card's numbers;
2. render the faces, make the two-page PDF, send it to the printer and wait for the outcome,
   then record it: ``printed``, ``spoiled`` (with the printer's reason) or ``not_printed`` (the
   blank goes back to the stock);
3. write the chip at the encoder (which reads it back), and bind it: the card is personalised.

A spoiled print, or a printed card whose chip could not be written, is reprinted on a new blank
for free (§39), up to ``reprints`` times. The batch stops at the first printer failure (the
printer went off, a blank problem, a card still spoiled after its reprints): that card's blank
is settled, and every later card is left untouched. A printer that is off before the batch
starts is reported and nothing is claimed.

Only our own errors (EdgeError) are caught, and only here; each is turned into a line of the
report with its reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emp_edge.domain.taps import CardRecord
from emp_edge.errors import EdgeError, InputError, PrinterError, ReaderError
from emp_edge.printer.card_face import CardFace, CardTemplate, render_card
from emp_edge.printer.card_pdf import card_pdf
from emp_edge.printer.card_printers import CardPrinter, PrintResult
from emp_edge.store import Store, Transaction
from emp_edge.store.accounts import load_account
from emp_edge.store.audit import Entry, record
from emp_edge.store.card_printing import (
    Outcome,
    PrintCard,
    claim_blank,
    next_free_blank,
    personalise,
    settle_print,
)
from emp_edge.store.print_batches import (
    BatchReport,
    BlankLine,
    BlankOutcome,
    CardLine,
    CardOutcome,
    Reason,
)
from emp_edge.terminal.encoder import CardEncoder, EncoderOfflineError
from emp_edge.terminal.readers.port import uid_tail

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
SOURCE = "card station"
STATION_ACTOR = "card-station"


def _(template: str) -> str:
    """Marks a reason's English template for the translators; the page translates it."""
    return template


class _StopError(Exception):
    """The batch cannot go on: the printer or the blanks need looking at."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text)
        self.reason = reason


@dataclass
class _Card:
    """One card as the pass goes: the blanks it used so far, and what became of it."""

    card_id: int
    blanks: list[BlankLine] = field(default_factory=list)

    def line(self, outcome: CardOutcome, reason: Reason | None = None) -> CardLine:
        return CardLine(self.card_id, outcome, tuple(self.blanks), reason)


class _RefusedError(Exception):
    """This card cannot be printed (not ready, a bad photo): the batch goes on."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text)
        self.reason = reason


class CardBatch:
    """Prints and encodes batches of cards with one printer, one encoder and one template."""

    def __init__(
        self,
        store: Store,
        printer: CardPrinter,
        encoder: CardEncoder,
        template: CardTemplate,
        *,
        print_timeout_s: float,
        reprints: int = 1,
    ) -> None:
        self.store = store
        self.printer = printer
        self.encoder = encoder
        self.template = template
        self.print_timeout_s = print_timeout_s
        self.reprints = max(0, reprints)
        self._printing = threading.Lock()  # one batch at a time: the blanks are in one stack

    @property
    def printer_name(self) -> str:
        """The printer's name, for the printing page."""
        return self.printer.name

    def run(
        self,
        card_ids: Sequence[int],
        *,
        first_blank: str | None,
        user_id: int | None,
        progress: Progress | None = None,
    ) -> BatchReport:
        """Print and encode these cards in this order; ``first_blank`` is the number of the
        blank on top of the printer's stack (None: the lowest free one)."""
        chosen = list(dict.fromkeys(card_ids))
        if not chosen:
            raise InputError("choose at least one card to print", where="cards")
        if not self._printing.acquire(blocking=False):
            raise InputError("another batch is printing now: wait for it to end")
        try:
            return self._run(chosen, first_blank, user_id, progress)
        finally:
            self._printing.release()

    def _run(
        self,
        chosen: list[int],
        first_blank: str | None,
        user_id: int | None,
        progress: Progress | None,
    ) -> BatchReport:
        tell = progress or (lambda done, total: None)
        tell(0, len(chosen))
        try:
            self.printer.check_ready()
        except PrinterError as err:
            log.warning("card batch not started: printer %s is not ready", self.printer.name)
            return BatchReport(
                self.printer.name,
                tuple(CardLine(c, CardOutcome.NOT_REACHED) for c in chosen),
                stopped=Reason.from_error(err),
            )
        work = _Pass(self, user_id, first_blank)
        lines: list[CardLine] = []
        for card_id in chosen:
            if work.stopped is not None:
                lines.append(CardLine(card_id, CardOutcome.NOT_REACHED))
            else:
                lines.append(work.card(card_id))
            tell(len(lines), len(chosen))
        report = BatchReport(self.printer.name, tuple(lines), stopped=work.stopped)
        log.info(
            "card batch ended printer=%s cards=%d made=%d spoiled_blanks=%d stopped=%s",
            self.printer.name,
            report.chosen,
            report.personalised,
            len(report.spoiled_blanks),
            report.stopped is not None,
        )
        return report


class _Pass:
    """One run of a batch: who runs it, the next blank, and why it stopped."""

    def __init__(self, batch: CardBatch, user_id: int | None, first_blank: str | None) -> None:
        self.batch = batch
        self.store = batch.store
        self.user_id = user_id
        self.actor = _actor(batch.store, user_id)
        self.named = first_blank.strip() if first_blank and first_blank.strip() else None
        self.last_used: str | None = None  # the last blank printed or spoiled
        self.stopped: Reason | None = None

    # ------------------------------------------------------------ one card

    def card(self, card_id: int) -> CardLine:
        work = _Card(card_id)
        try:
            for _attempt in range(1 + self.batch.reprints):
                if self._attempt(work):
                    made = (
                        CardOutcome.REPRINTED if len(work.blanks) > 1 else CardOutcome.PERSONALISED
                    )
                    return work.line(made)
            raise _StopError(
                Reason.of(
                    _(
                        "card {number} was spoiled on every blank it got: check the printer"
                        " and the encoder before printing again"
                    ),
                    number=card_id,
                )
            )
        except _RefusedError as refused:
            return work.line(CardOutcome.NOT_PRINTED, refused.reason)
        except _StopError as stop:
            self.stopped = stop.reason
            spoiled = work.blanks and work.blanks[-1].outcome is BlankOutcome.SPOILED
            outcome = CardOutcome.SPOILED if spoiled else CardOutcome.NOT_PRINTED
            return work.line(outcome, stop.reason)

    def _attempt(self, work: _Card) -> bool:
        """One blank for the card; True when the card was made on it."""
        card = self._claim(work.card_id)
        try:
            pdf = self._pdf(card)
        except EdgeError as err:
            self._settle(work, card, BlankOutcome.NOT_PRINTED, Reason.from_error(err))
            raise _RefusedError(Reason.from_error(err)) from err
        try:
            job = self.batch.printer.submit(f"card {card.card_number}", pdf)
        except PrinterError as err:
            self._settle(work, card, BlankOutcome.NOT_PRINTED, Reason.from_error(err))
            raise _StopError(Reason.from_error(err)) from err
        try:
            outcome = self.batch.printer.wait(job, self.batch.print_timeout_s)
        except PrinterError as err:  # it may have printed: the blank is not used again
            self._settle(work, card, BlankOutcome.SPOILED, Reason.from_error(err))
            raise _StopError(Reason.from_error(err)) from err
        if outcome.result is PrintResult.NOT_PRINTED:
            said = _printer_said(outcome.reason, spoiled=False)
            self._settle(work, card, BlankOutcome.NOT_PRINTED, said)
            raise _StopError(said)
        if outcome.result is PrintResult.SPOILED:
            said = _printer_said(outcome.reason, spoiled=True)
            self._settle(work, card, BlankOutcome.SPOILED, said)
            return False
        self._printed(card)
        return self._encode(work, card)

    # ------------------------------------------------------------ the steps

    def _next_blank(self) -> str | None:
        if self.named is not None:
            return self.named
        found = next_free_blank(self.store.conn, self.last_used)
        if found is None and self.last_used is not None:
            raise _StopError(
                Reason.of(
                    _("there is no free blank after {number}: record a delivery of blanks"),
                    number=self.last_used,
                )
            )
        return found  # None: claim_blank says there are no blanks left

    def _claim(self, card_id: int) -> PrintCard:
        blank = self._next_blank()
        try:
            with self.store.transaction(require_event=False) as tx:
                card = claim_blank(
                    tx, card_id, blank=blank, today=tx.clock.today(), user_id=self.user_id
                )
                self._audit(tx, "card.blank_claimed", card_id, f"blank {card.blank_number}")
        except InputError as err:
            if err.where == "blank":
                raise _StopError(Reason.from_error(err)) from err
            raise _RefusedError(Reason.from_error(err)) from err
        self.named = None
        return card

    def _pdf(self, card: PrintCard) -> bytes:
        face = CardFace(
            first_name=card.first_name,
            last_name=card.last_name,
            birth_date=card.birth_date,
            school_name=card.school_name,
            school_code=card.school_code,
            valid_until=card.valid_until,
            card_number=card.card_number,
            photo_jpeg=card.photo_jpeg,
            other_entries=card.other_entries,
        )
        front, back = render_card(face, self.batch.template)
        return card_pdf(front, back, f"card {card.card_number}")

    def _settle(self, work: _Card, card: PrintCard, outcome: BlankOutcome, why: Reason) -> None:
        stored: Outcome = "spoiled" if outcome is BlankOutcome.SPOILED else "not_printed"
        action = "card.blank_spoiled" if stored == "spoiled" else "card.blank_returned"
        with self.store.transaction(require_event=False) as tx:
            settle_print(tx, card.card_id, stored, reason=why.text, user_id=self.user_id)
            self._audit(tx, action, card.card_id, f"blank {card.blank_number}: {why.text}"[:300])
        if outcome is BlankOutcome.SPOILED:
            self.last_used = card.blank_number
        work.blanks.append(BlankLine(card.blank_number, outcome, why))

    def _printed(self, card: PrintCard) -> None:
        with self.store.transaction(require_event=False) as tx:
            settle_print(tx, card.card_id, "printed", user_id=self.user_id)
            self._audit(tx, "card.printed", card.card_id, f"blank {card.blank_number}")
        self.last_used = card.blank_number

    def _encode(self, work: _Card, card: PrintCard) -> bool:
        record_on_chip = CardRecord(
            card.card_id, card.pupil_id, card.valid_until, card.issue_counter
        )
        try:
            uid = self.batch.encoder.encode(record_on_chip)
        except EdgeError as err:
            why = Reason.of(
                _("the chip could not be written: {reason}"), reason=Reason.from_error(err)
            )
            self._settle(work, card, BlankOutcome.SPOILED, why)
            if not isinstance(err, ReaderError) or isinstance(err, EncoderOfflineError):
                raise _StopError(why) from err  # not this chip: the encoder needs looking at
            return False
        try:
            with self.store.transaction() as tx:
                personalise(tx, card.card_id, uid.hex().upper(), user_id=self.user_id)
                self._audit(
                    tx,
                    "card.personalised",
                    card.card_id,
                    f"blank {card.blank_number}; chip …{uid_tail(uid)}",
                )
        except InputError as err:
            why = Reason.of(
                _("the chip could not be bound: {reason}"), reason=Reason.from_error(err)
            )
            self._settle(work, card, BlankOutcome.SPOILED, why)
            return False
        work.blanks.append(BlankLine(card.blank_number, BlankOutcome.PRINTED))
        return True

    def _audit(self, tx: Transaction, action: str, card_id: int, detail: str) -> None:
        record(tx, Entry(self.actor, action, f"card:{card_id}", detail, SOURCE, self.user_id))


def _printer_said(said: str, *, spoiled: bool) -> Reason:
    """What the printer reported about a card it did not print well."""
    said = said.strip()
    if spoiled:
        if said:
            return Reason.of(_("the printer spoiled the card: {reason}"), reason=said)
        return Reason.of(_("the printer spoiled the card"))
    if said:
        return Reason.of(_("the printer did not print the card: {reason}"), reason=said)
    return Reason.of(_("the printer did not print the card"))


def _actor(store: Store, user_id: int | None) -> str:
    """The name the audit trail gives the person running the batch."""
    if user_id is None:
        return STATION_ACTOR
    account = load_account(store.conn, user_id)
    return account.username if account is not None else STATION_ACTOR
