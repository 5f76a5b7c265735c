"""The tap pipeline: a read card → its record in the database → its state → the role → one commit.

::

    CardRead ──▶ find the card (by the record's card number, or by UID in 'uid' mode)
             ──▶ the record agrees with the database? (UID, pupil, issue counter, last day)
             ──▶ the card's state and validity (§45): blocked, expired, returned … → refused
             ──▶ the terminal role's handler decides
             ──▶ ONE transaction: the handler's rows + the tap row + its outbox event
             ──▶ the result is published (kiosk screen), only after the commit

Nothing here touches the network; a lookup is one indexed query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.cards import CardVerdict, verdict_at_terminal
from emp_edge.domain.clock import Clock
from emp_edge.domain.taps import TapReason, TapResult, reason_of
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.outbox import new_event_id
from emp_edge.store.taps import (
    CardAtTerminal,
    TapRow,
    card_by_id,
    card_by_uid,
    record_tap,
    uid_text,
)
from emp_edge.terminal.authenticity import CardRead
from emp_edge.terminal.readers.port import uid_tail
from emp_edge.terminal.roles import Outcome, RoleHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """The card a tap names, if any, and the refusal found on the way."""

    card: CardAtTerminal | None
    refusal: TapReason | None = None
    detail: str = ""


class TapPipeline:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        bus: Bus,
        *,
        school_code: str,
        handlers: Mapping[str, RoleHandler],
    ) -> None:
        self.store = store
        self.clock = clock
        self.bus = bus
        self.school_code = school_code
        self.handlers = handlers

    def find(self, read: CardRead) -> Found:
        conn = self.store.conn
        if read.refusal is not None:
            # a refused chip never shows a name, but the event says which card it claimed to be
            return Found(card_by_uid(conn, read.uid), read.refusal, read.detail)
        record = read.record
        if record is None:
            card = card_by_uid(conn, read.uid)
            return Found(card, None if card else TapReason.UNKNOWN_CARD)
        card = card_by_id(conn, record.card_id)
        if card is None:
            return Found(None, TapReason.UNKNOWN_CARD, "the record names a card not on file")
        if card.school_code != self.school_code:
            return Found(None, TapReason.OTHER_SCHOOL, "the card is on file for another school")
        mismatch = _mismatch(card, read)
        if mismatch:
            return Found(card, TapReason.RECORD_MISMATCH, mismatch)
        return Found(card)

    def judge(self, found: Found) -> TapReason | None:
        """Why the card is refused by its state, or None when it may be used today."""
        if found.refusal is not None:
            return found.refusal
        card = found.card
        assert card is not None
        verdict = verdict_at_terminal(card.state, card.valid_until, self.clock.today())
        if verdict is not CardVerdict.OK:
            return reason_of(verdict)
        if not card.pupil_active:
            return TapReason.PUPIL_LEFT
        return None

    def decide(self, terminal: TerminalSpec, read: CardRead) -> TapDecided:
        """Decide one tap and commit it; the result is published after the commit."""
        found = self.find(read)
        refusal = self.judge(found)
        card = found.card
        tap_id = new_event_id()
        with self.store.transaction() as tx:
            if refusal is None and card is not None:
                handler = self.handlers[terminal.role]
                outcome = handler.handle(tx, terminal.name, card, tap_id)
            else:
                outcome = Outcome(accepted=False, reason=refusal or TapReason.UNKNOWN_CARD)
            result = TapResult.ACCEPTED if outcome.accepted else TapResult.DENIED
            event_id = record_tap(
                tx,
                TapRow(
                    terminal=terminal.name,
                    role=terminal.role,
                    uid=read.uid,
                    result=result,
                    reason=outcome.reason,
                    card_id=card.card_id if card else None,
                    pupil_id=card.pupil_id if card else None,
                    detail=outcome.detail or found.detail,
                ),
                tap_id,
            )
            at = self.clock.now()
        decided = TapDecided(
            terminal=terminal.name,
            event_id=event_id,
            at=at,
            result=result,
            reason=outcome.reason,
            # only a card that proved itself and is on file shows whose it is
            pupil_name=card.pupil_name if card and found.refusal is None else "",
            class_label=card.class_label if card and found.refusal is None else "",
            shown=dict(outcome.shown),
            decided_ns=time.perf_counter_ns(),
        )
        self.bus.publish(decided)
        log.info(
            "tap terminal=%s result=%s reason=%s uid=%s event=%s",
            terminal.name,
            result,
            outcome.reason,
            uid_tail(read.uid),
            event_id,
        )
        return decided


def _mismatch(card: CardAtTerminal, read: CardRead) -> str:
    """What in the chip's record disagrees with the database, in words; empty when nothing."""
    record = read.record
    assert record is not None
    if card.chip_uid != uid_text(read.uid):
        return "the record belongs to a card with another chip"
    if card.pupil_id != record.pupil_id:
        return "the record names another pupil"
    if card.issue_counter is not None and card.issue_counter != record.issue_counter:
        return "the record's issue counter differs from the database"
    if card.valid_until is not None and card.valid_until != record.valid_until:
        return "the record's last valid day differs from the database"
    return ""
