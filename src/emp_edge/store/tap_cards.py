"""Reading the cards a tap can be played with: cards that have a chip, with their pupil.

The tap simulator lists them so a newcomer can pick a pupil's card and see what a terminal does
with it. A search is name prefixes and classes as on the pupils page ("zuk 5a"), and a word of
hex digits matches the end of the chip UID ("1D80"). A chip UID never leaves in full: only its
last four hex digits. Personal codes are not read at all.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from emp_edge.domain.cards import CardState
from emp_edge.store.card_lists import CHIP_TAIL
from emp_edge.store.pupil_pages import class_clause, match_expression, read_query

#: a word that reads as the end of a chip UID: hex digits, at least one of them a digit
_CHIP_WORD = re.compile(r"^(?=.*\d)[0-9a-fA-F]{2,14}$")


@dataclass(frozen=True)
class TapCard:
    """A card with a chip, as the simulator offers it."""

    card_id: int
    pupil_id: int
    first_name: str
    last_name: str
    class_label: str  # "" when the pupil is in no class
    state: CardState
    chip_tail: str  # the last four hex digits of the chip UID, upper case

    @property
    def pupil_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class TapCardList:
    rows: list[TapCard]
    total: int


_SELECT = (
    "SELECT c.id, p.id, p.first_name, p.last_name, coalesce(k.label, ''), c.state,"
    " upper(substr(c.chip_uid, -?))"
)
_FROM = (
    " FROM cards c JOIN pupils p ON p.id = c.pupil_id LEFT JOIN classes k ON k.id = p.class_id"
    " WHERE c.chip_uid IS NOT NULL"
)


def _row(row: tuple[object, ...]) -> TapCard:
    card_id, pupil_id, first, last, label, state, tail = row
    return TapCard(
        card_id=int(str(card_id)),
        pupil_id=int(str(pupil_id)),
        first_name=str(first),
        last_name=str(last),
        class_label=str(label),
        state=CardState(str(state)),
        chip_tail=str(tail),
    )


def _where(text: str) -> tuple[str, list[object]]:
    query = read_query(text)
    names = tuple(w for w in query.words if not _CHIP_WORD.match(w))
    chips = [w.upper() for w in query.words if _CHIP_WORD.match(w)]
    clauses: list[str] = []
    params: list[object] = []
    if names:
        clauses.append("p.id IN (SELECT rowid FROM pupils_search WHERE pupils_search MATCH ?)")
        params.append(match_expression(names))
    for chip in chips:
        clauses.append("upper(c.chip_uid) LIKE ?")
        params.append("%" + chip)
    if query.classes:
        clauses.append(class_clause(query.classes, "k", params))
    return "".join(" AND " + clause for clause in clauses), params


def search_tap_cards(conn: sqlite3.Connection, text: str, *, limit: int) -> TapCardList:
    """Cards with a chip matching ``text`` (issued ones first, then by class and name), at most
    ``limit`` of them, and how many match in all."""
    where, params = _where(text)
    total = int(conn.execute("SELECT count(*)" + _FROM + where, params).fetchone()[0])
    rows = conn.execute(
        _SELECT + _FROM + where + " ORDER BY c.state <> 'issued', k.grade IS NULL, k.grade,"
        " k.letter, p.last_name, p.first_name, c.id LIMIT ?",
        [CHIP_TAIL, *params, limit],
    )
    return TapCardList([_row(row) for row in rows], total)


def tap_card(conn: sqlite3.Connection, card_id: int) -> TapCard | None:
    """One card with a chip, or None when there is no such card or it has no chip."""
    row = conn.execute(_SELECT + _FROM + " AND c.id = ?", (CHIP_TAIL, card_id)).fetchone()
    return None if row is None else _row(row)
