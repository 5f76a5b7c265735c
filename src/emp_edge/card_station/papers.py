"""What the card station's pages get from the printer part: the photo check, a card's preview,
and the station's PDF documents, each built from the store's records.

``StationPapers`` is the implementation of the web's ``CardPapers`` port: the pages hand it a
card or act number, it reads what it needs, and the printer part draws it. Names are read at the
moment a document is made and never kept in a file.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from emp_edge.domain.card_station import Requester, card_number
from emp_edge.domain.cards import valid_until
from emp_edge.errors import InputError
from emp_edge.printer.card_documents import (
    destruction_act_pdf,
    handover_act_pdf,
    journal_pdf,
    parents_notice_pdf,
    payment_purpose,
    request_form_pdf,
)
from emp_edge.printer.card_documents_data import (
    ActCard,
    DestructionAct,
    HandoverAct,
    Journal,
    JournalRow,
    ParentsNotice,
    RequestForm,
)
from emp_edge.printer.card_face import CardFace, CardTemplate, photo_box, render_card
from emp_edge.printer.card_photo import check_photo
from emp_edge.store import Store
from emp_edge.store.card_faces import face, other_entries, photo
from emp_edge.store.card_issue import Act, act, journal
from emp_edge.store.card_moves import station_card


def _pupil(conn: sqlite3.Connection, pupil_id: int) -> tuple[str, str, date, int | None, str]:
    """Name, class label, birth date, grade and school name of a pupil, from the record."""
    row = conn.execute(
        "SELECT p.first_name || ' ' || p.last_name, coalesce(k.label, ''), p.birth_date,"
        " k.grade, s.name FROM pupils p JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN classes k ON k.id = p.class_id WHERE p.id = ?",
        (pupil_id,),
    ).fetchone()
    if row is None:
        raise InputError("there is no pupil number {number}", number=pupil_id)
    return row[0], row[1], date.fromisoformat(row[2]), row[3], row[4]


def _school_name(conn: sqlite3.Connection) -> str:
    """The school whose pupils hold cards here (the one with the most of them)."""
    row = conn.execute(
        "SELECT s.name FROM schools s JOIN pupils p ON p.school_id = s.id"
        " JOIN cards c ON c.pupil_id = p.id GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1"
    ).fetchone()
    return "" if row is None else str(row[0])


class StationPapers:
    """The web's CardPapers: photo check, preview and documents of this school's cards."""

    def __init__(self, store: Store, template: CardTemplate, payment_account: str) -> None:
        self.store = store
        self.template = template
        self.payment_account = payment_account

    # ------------------------------------------------------------------ the card
    def check_photo(self, data: bytes) -> bytes:
        return check_photo(data, photo_box(self.template))

    def card_face(self, card_id: int) -> CardFace:
        """The card as it is (or would now be) printed."""
        conn = self.store.conn
        card = station_card(conn, card_id)
        printed = face(conn, card.id)
        if printed is None:
            raise InputError(
                "the data printed on card {number} were deleted or never filled", number=card.id
            )
        grade = _pupil(conn, card.pupil_id)[3]
        last_day = card.valid_until
        if last_day is None:
            if grade is None:
                raise InputError("the pupil is in no class: the validity comes from the grade")
            last_day = valid_until(grade, self.store.clock.today())
        return CardFace(
            first_name=printed.first_name,
            last_name=printed.last_name,
            birth_date=printed.birth_date,
            school_name=printed.school_name,
            school_code=printed.school_code,
            valid_until=last_day,
            card_number=card.barcode or card_number(printed.school_code, card.id),
            photo_jpeg=photo(conn, card.pupil_id),
            other_entries=tuple((e.kind, e.text) for e in other_entries(conn, card.id)),
        )

    def preview(self, card_id: int) -> tuple[bytes, bytes]:
        return render_card(self.card_face(card_id), self.template)

    # ------------------------------------------------------------------ requests, notices
    def request_form(self, card_id: int) -> bytes:
        conn = self.store.conn
        card = station_card(conn, card_id)
        name, label, born, _, school = _pupil(conn, card.pupil_id)
        row = conn.execute(
            "SELECT requester_name, requester_relation, requester_contact FROM cards WHERE id = ?",
            (card.id,),
        ).fetchone()
        relation = Requester.PUPIL.value if row[1] in ("", "self") else row[1]
        return request_form_pdf(
            RequestForm(
                form=card.requested_by,
                school_name=school,
                pupil_name=name,
                class_label=label,
                birth_date=born,
                requester_name=row[0] or name,
                requester_relation=relation,
                requester_contact=row[2],
                replacement_reason=card.replacement_reason,
                requested_on=card.requested_on,
                card_id=card.id,
            )
        )

    def _notice(self, card_id: int) -> ParentsNotice:
        conn = self.store.conn
        card = station_card(conn, card_id)
        if card.replacement_reason is None or card.fee_cents == 0:
            raise InputError("card {number} is not a paid replacement", number=card.id)
        name, label, _, _, school = _pupil(conn, card.pupil_id)
        blank = ""
        if card.blank_id is not None:
            blank = str(
                conn.execute(
                    "SELECT blank_number FROM blanks WHERE id = ?", (card.blank_id,)
                ).fetchone()[0]
            )
        return ParentsNotice(
            school_name=school,
            pupil_name=name,
            class_label=label,
            replacement_reason=card.replacement_reason,
            fee_cents=card.fee_cents,
            account=self.payment_account,
            blank_number=blank,
            made_on=self.store.clock.today(),
        )

    def parents_notice(self, card_id: int) -> bytes:
        return parents_notice_pdf(self._notice(card_id))

    def payment_purpose(self, card_id: int) -> str:
        return payment_purpose(self._notice(card_id))

    # ------------------------------------------------------------------ acts, journal
    def _act(self, act_id: int, kind: str) -> Act:
        found = act(self.store.conn, act_id)
        if found.kind != kind:
            raise InputError("act {number} is not a {kind} act", number=act_id, kind=kind)
        return found

    @staticmethod
    def _cards(found: Act) -> tuple[ActCard, ...]:
        return tuple(
            ActCard(i.blank_number, i.card_number, i.pupil_name, i.class_label, i.state_before)
            for i in found.items
        )

    def handover_act(self, act_id: int) -> bytes:
        found = self._act(act_id, "handover")
        return handover_act_pdf(
            HandoverAct(
                act_id=found.id,
                made_on=found.made_on,
                school_name=_school_name(self.store.conn),
                handed_by=str(found.people.get("handed_by", "")),
                received_by=str(found.people.get("received_by", "")),
                cards=self._cards(found),
            )
        )

    def destruction_act(self, act_id: int) -> bytes:
        found = self._act(act_id, "destruction")
        members = found.people.get("commission", [])
        return destruction_act_pdf(
            DestructionAct(
                act_id=found.id,
                made_on=found.made_on,
                school_name=_school_name(self.store.conn),
                commission=tuple(str(m) for m in members) if isinstance(members, list) else (),
                cards=self._cards(found),
            )
        )

    def journal(self, year: int | None) -> bytes:
        conn = self.store.conn
        rows = tuple(
            JournalRow(
                registration_number=e.registration_number,
                issued_on=e.issued_on,
                pupil_name=e.pupil_name,
                class_label=e.class_label,
                card_number=e.card_number,
                blank_number=e.blank_number,
                valid_until=e.valid_until,
                received_by=e.received_by,
                received_role=e.received_role,
            )
            for e in journal(conn, year)
        )
        period = f"{year} m." if year is not None else ""
        return journal_pdf(Journal(_school_name(conn), period, rows))
