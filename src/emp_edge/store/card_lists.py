"""Reading the cards and the blanks for the cards pages: counts by state and the open requests.

A chip UID never leaves the database in full: the queries hand out its last four hex digits.
Personal codes are not read at all.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Final

from emp_edge.domain.cards import CardState

BLANK_STATES: Final = ("received", "used", "spoiled", "destroyed")
"""The states of a blank, in the order of its life (the schema's CHECK)."""

OPEN_STATES: Final = (CardState.REQUESTED, CardState.PERSONALISED)
"""A request stays open until its card is issued (or the request is withdrawn): §42."""

CHIP_TAIL: Final = 4
"""How many trailing hex digits of a chip UID a page may show."""


@dataclass(frozen=True)
class OpenRequest:
    """A card asked for and not yet issued, with the pupil it is for."""

    card_id: int
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str  # "" when the pupil is in no class
    state: CardState
    requested_on: date
    requested_by: str  # pupil (annex 1) or parent (annex 2)
    chip_tail: str  # last hex digits of the chip UID; "" before personalisation


def cards_by_state(conn: sqlite3.Connection) -> dict[CardState, int]:
    """How many cards are in each state; every state is present, in the order of a card's life."""
    found = dict(conn.execute("SELECT state, count(*) FROM cards GROUP BY state").fetchall())
    return {state: int(found.get(state.value, 0)) for state in CardState}


def open_requests(conn: sqlite3.Connection) -> list[OpenRequest]:
    """Requests whose card is not issued yet, the oldest (most urgent) first."""
    rows = conn.execute(
        "SELECT c.id, p.id, p.first_name, p.last_name, coalesce(k.label, ''), c.state,"
        " c.requested_on, c.requested_by, coalesce(substr(c.chip_uid, -?), '')"
        " FROM cards c JOIN pupils p ON p.id = c.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE c.state IN (?, ?)"
        " ORDER BY c.requested_on, p.last_name, p.first_name, c.id",
        (CHIP_TAIL, *(state.value for state in OPEN_STATES)),
    )
    return [
        OpenRequest(
            card_id=int(card_id),
            pupil_id=int(pupil_id),
            first_name=first,
            last_name=last,
            class_label=label,
            state=CardState(state),
            requested_on=date.fromisoformat(requested_on),
            requested_by=requested_by,
            chip_tail=str(tail).upper(),
        )
        for card_id, pupil_id, first, last, label, state, requested_on, requested_by, tail in rows
    ]


def blanks_by_state(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The blank numbers in each state (every state of ``BLANK_STATES``), in number order."""
    found: dict[str, list[str]] = {state: [] for state in BLANK_STATES}
    rows = conn.execute(
        "SELECT state, blank_number FROM blanks ORDER BY length(blank_number), blank_number"
    )
    for state, number in rows:
        found[state].append(number)
    return found
