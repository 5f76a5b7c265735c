"""The club room's handler: a good card's tap marks the pupil present in the open session.

It runs inside the tap's transaction (``BEGIN IMMEDIATE``), so two taps of one pupil at two
terminals cannot both mark. With no session open at the terminal, the slot of the weekly schedule
due now (from ``clubs.open_before_minutes`` ahead of its start) is opened by the tap itself. A
pupil not in the session's group on its day is recorded as ``not_in_group`` (never counted) and
refused; a second tap says "already marked". Rows carry the tap's event id.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any

from emp_edge.domain.clock import Clock
from emp_edge.domain.clubs import Mark, mark_for
from emp_edge.domain.taps import TapReason
from emp_edge.store.club_marks import (
    NOT_IN_GROUP,
    PRESENT,
    Membership,
    membership,
    present_mark,
    write_tap_mark,
)
from emp_edge.store.club_sessions import Session, open_at, open_scheduled, present_count
from emp_edge.store.outbox import Transaction
from emp_edge.store.taps import CardAtTerminal
from emp_edge.terminal.roles import Outcome


class ClubAttendance:
    """The ``club`` role: mark attendance in the session open at the terminal."""

    def __init__(self, clock: Clock, tz: tzinfo, open_before_minutes: int = 10) -> None:
        self.clock = clock
        self.tz = tz
        self.open_before = timedelta(minutes=open_before_minutes)

    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        conn = tx.conn
        now = self.clock.now()
        chosen = self._choose(tx, open_at(conn, terminal, now, self.open_before), card.pupil_id)
        # a slot due now but not yet opened (by the schedule job) may be the pupil's
        missing = chosen is None or not chosen[1].enrolled
        if missing and open_scheduled(tx, terminal, now, self.tz, self.open_before, how="tap"):
            sessions = open_at(conn, terminal, now, self.open_before)
            chosen = self._choose(tx, sessions, card.pupil_id)
        if chosen is None:
            return Outcome(accepted=False, reason=TapReason.NO_SESSION)
        session, member = chosen
        shown: dict[str, Any] = {
            "group": session.group_name,
            "programme": session.programme_name,
            "until": session.ends_at.astimezone(self.tz).strftime("%H:%M"),
        }
        marked = present_mark(conn, session.id, card.pupil_id)
        mark = mark_for(member.enrolled, marked is not None)
        if mark is Mark.NOT_IN_GROUP:
            write_tap_mark(tx, session.id, card.pupil_id, NOT_IN_GROUP, event_id)
            return Outcome(
                accepted=False,
                reason=TapReason.NOT_IN_GROUP,
                shown=shown,
                detail=f"session {session.id}: not in group {session.group_id}",
            )
        if mark is Mark.ALREADY and marked is not None:
            shown["marked_at"] = marked.at.astimezone(self.tz).strftime("%H:%M")
            shown["present"] = present_count(conn, session.id)
            return Outcome(accepted=True, reason=TapReason.ALREADY_MARKED, shown=shown)
        write_tap_mark(tx, session.id, card.pupil_id, PRESENT, event_id)
        shown["present"] = present_count(conn, session.id)
        return Outcome(accepted=True, shown=shown)

    def _choose(
        self, tx: Transaction, sessions: list[Session], pupil_id: int
    ) -> tuple[Session, Membership] | None:
        """Of the sessions open at once (one ending as the next opens), the one whose group the
        pupil is in; else the latest to start, where the tap is recorded as not in its group."""
        last: tuple[Session, Membership] | None = None
        for session in sessions:
            member = membership(tx.conn, pupil_id, session.group_id, session.day(self.tz))
            if member.enrolled:
                return session, member
            last = session, member
        return last
