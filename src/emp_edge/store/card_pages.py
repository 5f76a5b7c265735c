"""Reading one card for its page: the card with its pupil, its history, the pupil's other cards,
and which of the pupils found for a new request already have one open.

Reads only. A chip UID leaves here as its last four hex digits; personal codes are not read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from emp_edge.domain.cards import CardState
from emp_edge.store.card_lists import CHIP_TAIL


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@dataclass(frozen=True)
class CardPage:
    """A card as its page shows it, with the pupil it is for."""

    id: int
    pupil_id: int
    first_name: str  # the pupil's record, not what is printed (that is card_faces)
    last_name: str
    class_label: str  # "" when the pupil is in no class
    pupil_active: bool
    state: CardState
    requested_on: date
    requested_by: str  # the form: pupil (annex 1) or parent (annex 2)
    requester_name: str
    requester_relation: str  # self, parent, guardian, carer
    requester_contact: str
    blank_number: str  # "" before a blank is claimed
    card_number: str  # the barcode's text; "" before personalisation
    chip_tail: str  # "" when no chip is bound
    registration_number: str  # "" before issue
    valid_until: date | None
    personalised_on: date | None
    issued_on: date | None
    received_by: str
    received_role: str
    replaces_card_id: int | None
    replaced_by_card_id: int | None  # the card asked for in its place
    replacement_reason: str  # a ReplacementReason value, or ""
    fee_cents: int
    paid_on: date | None
    payment_reference: str
    data_deleted_on: date | None
    data_deleted_reason: str

    @property
    def requester(self) -> str:
        """Who asked, as a Requester value: the pupil, or the relation of the person who did."""
        if self.requester_relation == "self":
            return "pupil"
        return self.requester_relation or self.requested_by


def card_page(conn: sqlite3.Connection, card_id: int) -> CardPage | None:
    """The card with this number, or None when there is none."""
    row = conn.execute(
        "SELECT c.id, c.pupil_id, p.first_name, p.last_name, coalesce(k.label, ''), p.active,"
        " c.state, c.requested_on, c.requested_by, c.requester_name, c.requester_relation,"
        " c.requester_contact, coalesce(b.blank_number, ''), coalesce(c.barcode, ''),"
        " coalesce(upper(substr(c.chip_uid, -?)), ''), coalesce(c.registration_number, ''),"
        " c.valid_until, c.personalised_on, c.issued_on, coalesce(c.received_by, ''),"
        " coalesce(c.received_role, ''), c.replaces_card_id,"
        " (SELECT n.id FROM cards n WHERE n.replaces_card_id = c.id ORDER BY n.id DESC LIMIT 1),"
        " coalesce(c.replacement_reason, ''), c.fee_cents, c.paid_on, c.payment_reference,"
        " c.data_deleted_on, c.data_deleted_reason"
        " FROM cards c JOIN pupils p ON p.id = c.pupil_id"
        " LEFT JOIN classes k ON k.id = p.class_id LEFT JOIN blanks b ON b.id = c.blank_id"
        " WHERE c.id = ?",
        (CHIP_TAIL, card_id),
    ).fetchone()
    if row is None:
        return None
    return CardPage(
        id=int(row[0]),
        pupil_id=int(row[1]),
        first_name=row[2],
        last_name=row[3],
        class_label=row[4],
        pupil_active=bool(row[5]),
        state=CardState(row[6]),
        requested_on=date.fromisoformat(row[7]),
        requested_by=row[8],
        requester_name=row[9],
        requester_relation=row[10],
        requester_contact=row[11],
        blank_number=row[12],
        card_number=row[13],
        chip_tail=row[14],
        registration_number=row[15],
        valid_until=_day(row[16]),
        personalised_on=_day(row[17]),
        issued_on=_day(row[18]),
        received_by=row[19],
        received_role=row[20],
        replaces_card_id=row[21],
        replaced_by_card_id=row[22],
        replacement_reason=row[23],
        fee_cents=int(row[24]),
        paid_on=_day(row[25]),
        payment_reference=row[26],
        data_deleted_on=_day(row[27]),
        data_deleted_reason=row[28],
    )


@dataclass(frozen=True)
class CardEvent:
    """One move of the card: when, from which state to which, by whom and why."""

    at: datetime
    from_state: CardState | None
    to_state: CardState
    user_name: str  # "" when the station did it by itself
    reason: str


def card_history(conn: sqlite3.Connection, card_id: int) -> list[CardEvent]:
    """The card's moves, the first (its request) first."""
    rows = conn.execute(
        "SELECT e.at, e.from_state, e.to_state, coalesce(u.first_name || ' ' || u.last_name, ''),"
        " e.reason FROM card_events e LEFT JOIN users u ON u.id = e.user_id"
        " WHERE e.card_id = ? ORDER BY e.at, e.id",
        (card_id,),
    )
    return [
        CardEvent(
            datetime.fromisoformat(at),
            None if before is None else CardState(before),
            CardState(after),
            user,
            reason,
        )
        for at, before, after, user, reason in rows
    ]


@dataclass(frozen=True)
class OtherCard:
    """Another card of the same pupil."""

    id: int
    state: CardState
    requested_on: date
    valid_until: date | None


def pupil_cards(conn: sqlite3.Connection, pupil_id: int) -> list[OtherCard]:
    """All the pupil's cards, the newest request first."""
    rows = conn.execute(
        "SELECT id, state, requested_on, valid_until FROM cards WHERE pupil_id = ?"
        " ORDER BY requested_on DESC, id DESC",
        (pupil_id,),
    )
    return [OtherCard(int(i), CardState(s), date.fromisoformat(r), _day(v)) for i, s, r, v in rows]


def open_cards(conn: sqlite3.Connection, pupil_ids: Sequence[int]) -> dict[int, int]:
    """For each of these pupils with an open request (asked for or not yet issued), its card."""
    ids = list(dict.fromkeys(pupil_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = conn.execute(
        "SELECT pupil_id, id FROM cards WHERE state IN ('requested', 'personalised')"  # noqa: S608
        f" AND pupil_id IN ({marks})",
        ids,
    )
    return {int(pupil): int(card) for pupil, card in rows}


@dataclass(frozen=True)
class RequestPupil:
    """The pupil a new request is for, as step 2 shows it."""

    id: int
    first_name: str
    last_name: str
    class_label: str
    birth_date: date
    active: bool


def request_pupil(conn: sqlite3.Connection, pupil_id: int) -> RequestPupil | None:
    row = conn.execute(
        "SELECT p.id, p.first_name, p.last_name, coalesce(k.label, ''), p.birth_date, p.active"
        " FROM pupils p LEFT JOIN classes k ON k.id = p.class_id WHERE p.id = ?",
        (pupil_id,),
    ).fetchone()
    if row is None:
        return None
    return RequestPupil(
        int(row[0]), row[1], row[2], row[3], date.fromisoformat(row[4]), bool(row[5])
    )


def has_photo(conn: sqlite3.Connection, pupil_id: int) -> bool:
    """Whether the pupil's checked photo is kept (without reading the photo)."""
    found = conn.execute("SELECT 1 FROM pupil_photos WHERE pupil_id = ?", (pupil_id,))
    return found.fetchone() is not None
