"""The issued cards for the school's e-diary system (§33: the data go to the pupils' register and
the e-diary; §34): pupil's registry id and name, class, the card number its barcode carries, the
registration number, issued on, valid until.

Only cards in use are listed (state issued): a card replaced, returned or expired is not one the
diary should show. ``since`` keeps the cards issued on or after that day, so a diary can take
only what is new since its last import. Personal codes are not read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Final

from emp_edge.domain.cards import CardState
from emp_edge.domain.lithuanian import alphabet_key, name_order

COLUMNS: Final = (
    "registry_id",
    "last_name",
    "first_name",
    "class",
    "card_number",
    "registration_number",
    "issued_on",
    "valid_until",
)
"""The e-diary CSV's columns, in order; the page names them in the reader's language."""


@dataclass(frozen=True)
class IssuedCard:
    card_id: int
    registry_id: str  # "" when the pupil has no registry id yet
    first_name: str
    last_name: str
    class_label: str
    grade: int  # 0 when the pupil is in no class
    card_number: str  # the barcode's text
    registration_number: str
    issued_on: date
    valid_until: date | None

    def row(self) -> list[str]:
        """The card as a CSV row of ``COLUMNS``."""
        return [
            self.registry_id,
            self.last_name,
            self.first_name,
            self.class_label,
            self.card_number,
            self.registration_number,
            self.issued_on.isoformat(),
            self.valid_until.isoformat() if self.valid_until else "",
        ]


def issued_cards(conn: sqlite3.Connection, since: date | None = None) -> list[IssuedCard]:
    """The cards in use, issued on or after ``since`` (all when None), by class, then name in
    the Lithuanian alphabet."""
    rows = conn.execute(
        "SELECT c.id, coalesce(p.registry_id, ''), p.first_name, p.last_name,"
        " coalesce(k.label, ''), coalesce(k.grade, 0), coalesce(c.barcode, ''),"
        " coalesce(c.registration_number, ''), c.issued_on, c.valid_until"
        " FROM cards c JOIN pupils p ON p.id = c.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id"
        " WHERE c.state = ? AND c.issued_on IS NOT NULL AND c.issued_on >= ?",
        (CardState.ISSUED.value, since.isoformat() if since else ""),
    )
    cards = [
        IssuedCard(
            card_id=int(r[0]),
            registry_id=r[1],
            first_name=r[2],
            last_name=r[3],
            class_label=r[4],
            grade=int(r[5]),
            card_number=r[6],
            registration_number=r[7],
            issued_on=date.fromisoformat(r[8]),
            valid_until=None if r[9] is None else date.fromisoformat(r[9]),
        )
        for r in rows
    ]
    return sorted(
        cards,
        key=lambda c: (
            c.grade,
            alphabet_key(c.class_label),
            name_order(c.last_name, c.first_name),
            c.card_id,
        ),
    )
