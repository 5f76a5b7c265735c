"""A school whose outbox holds every event type the box emits, with payloads made by the code
itself: built as ``emp-edge demo`` builds its school (class list import, cards, canteen, clubs,
card station), then walked through each store write that emits an event the demo does not make.

For the registry contract's tests. Imported as ``from contract_school import …`` (tests/sync is on
the path of the tests in it).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from emp_edge.demo_cards import stock_demo_station
from emp_edge.demo_clubs import stock_demo_clubs
from emp_edge.demo_school import issue_demo_cards, make_classlist, stock_demo_canteen
from emp_edge.domain import clubs
from emp_edge.domain.access import Grants
from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import ReplacementReason
from emp_edge.domain.clock import FixedClock
from emp_edge.domain.school import school_year
from emp_edge.domain.taps import TapReason, TapResult
from emp_edge.printer.card_template import load_template
from emp_edge.roster.importer import School, import_classlist
from emp_edge.store import Store, accounts, canteen_setup, card_requests, card_returns, enrolments
from emp_edge.store.canteen_days import close_day
from emp_edge.store.card_issue import hand_over, issue_card
from emp_edge.store.card_moves import station_card
from emp_edge.store.card_printing import claim_blank, personalise, settle_print
from emp_edge.store.card_retention import expire_cards, purge_card_data
from emp_edge.store.club_lists import month_of
from emp_edge.store.club_marks import add_mark, remove_mark
from emp_edge.store.club_report import send_month
from emp_edge.store.club_sessions_by_hand import close_by_hand, open_extra
from emp_edge.store.club_setup import save_group, save_programme
from emp_edge.store.duty_handovers import record_handover
from emp_edge.store.group_schedule import add_slot, remove_slot
from emp_edge.store.ledger import add_correction, add_refund, add_top_up
from emp_edge.store.schools import ensure_school
from emp_edge.store.taps import TapRow, record_tap

VILNIUS = ZoneInfo("Europe/Vilnius")
SCHOOL = School("190000000", "Šaltinio progimnazija", "Vilniaus m. sav.")
PASSWORD = "contract-password-1"
#: (type, payload) in outbox order
Outbox = list[tuple[str, dict[str, Any]]]


def school_outbox(folder: Path) -> Outbox:
    """Build the school in ``folder`` (a fresh SQLite file) and return its whole outbox."""
    clock = FixedClock(datetime(2026, 10, 5, 10, 30, tzinfo=VILNIUS), tz=VILNIUS)
    store = Store(folder / "emp-edge.db", clock)
    try:
        store.migrate()
        _build(store, folder, clock.today(), clock.now())
        rows = store.conn.execute("SELECT type, payload FROM outbox ORDER BY seq").fetchall()
    finally:
        store.close()
    return [(row[0], json.loads(row[1])) for row in rows]


def _build(store: Store, folder: Path, today: date, now: datetime) -> None:
    with store.transaction() as tx:
        admin = accounts.add_user(
            tx,
            accounts.NewUser(
                "admin",
                PASSWORD,
                accounts.Details("Demo", "Administratorė", valid_from=today),
                is_admin=True,
                levels=Grants.everything().levels,
            ),
        )
    classlist = folder / "klases.csv"
    make_classlist(classlist, pupils=80, school_year=school_year(today))
    import_classlist(store, classlist, SCHOOL)
    with store.transaction(require_event=False) as tx:  # as the roster pull would: registry ids
        tx.execute("UPDATE pupils SET registry_id = 'MR-' || (100000 + id) WHERE id % 2 = 0")
    issue_demo_cards(store, today)
    stock_demo_canteen(store, today)
    stock_demo_clubs(store, now)
    stock_demo_station(store, today, load_template())
    # the demo's clubs take the first 60 pupils: the last ones are free for a new group
    pupils = [row[0] for row in store.conn.execute("SELECT id FROM pupils ORDER BY id DESC")]
    _walk_people_and_canteen(store, admin, pupils, today)
    _walk_clubs(store, admin, pupils[0], now.astimezone(UTC))
    _walk_cards(store, admin, today)


def _walk_clubs(store: Store, admin: int, pupil: int, now: datetime) -> None:
    """A programme, a group, its week, an enrolment with marks, a session by hand, a month."""
    year = school_year(now.date())
    with store.transaction() as tx:
        programme = save_programme(tx, None, "120100909", "Dailės studija", "nvs", ["muzika"])
        assert programme is not None
    with store.transaction() as tx:
        group = save_group(tx, None, programme.id, year, "Gitara 2", ["muzika.gitara"], [admin])
        assert group is not None
    with store.transaction() as tx:
        slot = add_slot(tx, group.id, clubs.Slot(5, time(15), time(16, 30), 2), "b-2", ["b-2"])
    with store.transaction() as tx:
        remove_slot(tx, group.id, slot.id)
    with store.transaction() as tx:
        contract = clubs.Contract("bilateral", now.date(), "NVŠ-2026-77")
        enrolment = enrolments.enrol(tx, pupil, group.id, now.date() - timedelta(days=7), contract)
    with store.transaction() as tx:
        enrolments.set_funding(tx, enrolment, ["basket", "municipal"])
    with store.transaction() as tx:
        enrolments.set_funding(tx, enrolment, ["basket"])
    with store.transaction() as tx:
        ends = (now + timedelta(minutes=45)).astimezone(VILNIUS).time().replace(microsecond=0)
        session = open_extra(
            tx, group.id, admin, now, VILNIUS, terminal="b-2", academic_hours=1, ends=ends
        )
    with store.transaction() as tx:
        add_mark(tx, session.id, pupil, admin, VILNIUS)
    with store.transaction() as tx:
        remove_mark(tx, session.id, pupil)
    with store.transaction() as tx:
        add_mark(tx, session.id, pupil, admin, VILNIUS)
    with store.transaction() as tx:
        close_by_hand(tx, session.id, admin, now + timedelta(minutes=20))
    with store.transaction() as tx:
        enrolments.deregister(tx, enrolment, now.date() + timedelta(days=1), "V-7", "own_wish")
    for _ in range(2):  # sent, then sent again as a correction
        with store.transaction() as tx:
            send_month(tx, 1, month_of(date(year, 9, 1)), tz=VILNIUS, rule=clubs.FundingRule())


def _walk_cards(store: Store, admin: int, today: date) -> None:
    """Requests, a spoiled blank, personalisation, handover, issue, replacement and payment,
    return, a spoiled card, destruction, a duty handover, expiry and the retention purge."""
    conn = store.conn
    pupils = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM pupils WHERE id NOT IN (SELECT pupil_id FROM cards"
            " WHERE state IN ('requested', 'personalised')) ORDER BY id DESC LIMIT 2"
        )
    ]
    for pupil in pupils:
        with store.transaction() as tx:
            request = card_requests.RequestInput(pupil, today, Requester.PARENT, "Rūta Žemaitė")
            card = card_requests.record_request(tx, request, user_id=admin)
    with store.transaction() as tx:
        card_requests.cancel_request(tx, card, "tėvai persigalvojo", user_id=admin)
    ready = [
        row[0]
        for row in conn.execute(
            "SELECT card_id FROM card_faces WHERE checked_at IS NOT NULL ORDER BY card_id LIMIT 2"
        )
    ]
    for number, card_id in enumerate(ready):
        if number == 0:
            with store.transaction(require_event=False) as tx:
                claim_blank(tx, card_id, today=today, user_id=admin)
            with store.transaction() as tx:
                settle_print(tx, card_id, "spoiled", reason="juosta trūko", user_id=admin)
        with store.transaction(require_event=False) as tx:
            claim_blank(tx, card_id, today=today, user_id=admin)
        with store.transaction(require_event=False) as tx:
            settle_print(tx, card_id, "printed", user_id=admin)
        with store.transaction() as tx:
            personalise(tx, card_id, f"04A1B2C3D4E5{number:02X}", user_id=admin)
    with store.transaction() as tx:
        hand_over(tx, ready[:1], today, "Jonas Jonaitis", "Ona Onaitė", user_id=admin)
    with store.transaction() as tx:
        issue_card(tx, ready[0], Recipient.PARENT, "Rūta Žemaitė", today, user_id=admin)
    with store.transaction() as tx:
        card_returns.spoil_card(tx, ready[1], "įtrūkęs", user_id=admin)
    issued = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM cards WHERE state = 'issued' AND pupil_id IN (SELECT id FROM pupils"
            " WHERE registry_id IS NOT NULL) ORDER BY id LIMIT 2"
        )
    ]
    with store.transaction() as tx:
        old = station_card(tx.conn, issued[0])
        request = card_requests.RequestInput(old.pupil_id, today, Requester.PUPIL, "Mokinys")
        new = card_requests.request_replacement(
            tx, issued[0], ReplacementReason.LOST, request, fee_cents=600, user_id=admin
        )
    with store.transaction() as tx:
        card_requests.record_payment(tx, new, today, "KVIT-77", user_id=admin)
    with store.transaction() as tx:
        card_returns.return_card(tx, issued[1], today, "išvyko", user_id=admin)
    blanks = [d.blank_id for d in card_returns.destroyable(conn)]
    with store.transaction() as tx:
        card_returns.destroy(tx, blanks, today, ["Jonas Jonaitis", "Ona Onaitė"], user_id=admin)
    with store.transaction() as tx:
        other = accounts.add_user(
            tx,
            accounts.NewUser(
                "kortelės", PASSWORD, accounts.Details("Eglė", "Eglaitė", valid_from=today)
            ),
        )
    with store.transaction() as tx:
        record_handover(tx, admin, other, today, "V-15", "", user_id=admin)
    with store.transaction() as tx:
        expire_cards(tx, date(today.year + 1, 9, 1))
    with store.transaction() as tx:
        purge_card_data(tx, today, 7)


def _walk_people_and_canteen(store: Store, admin: int, pupils: list[int], today: date) -> None:
    """The school renamed, accounts, the canteen's settings, the ledger, a till's sale and
    refund, a denied tap, and yesterday's free meals closed."""
    with store.transaction() as tx:
        ensure_school(tx, SCHOOL.code, "Šaltinio gimnazija", SCHOOL.municipality)
    with store.transaction() as tx:
        user = accounts.add_user(
            tx,
            accounts.NewUser(
                "valgykla", PASSWORD, accounts.Details("Rasa", "Rasaitė", valid_from=today)
            ),
        )
    with store.transaction() as tx:
        details = accounts.Details("Rasa", "Rasaitė", valid_from=today, position="vedėja")
        accounts.update_user(tx, user, details, {}, is_admin=False, club_leader=True)
    for change in (
        lambda tx: accounts.set_disabled(tx, user, True),
        lambda tx: accounts.set_disabled(tx, user, False),
        lambda tx: accounts.set_password(tx, user, PASSWORD + "x"),
        lambda tx: accounts.set_language(tx, admin, "en"),
        lambda tx: canteen_setup.add_meal_type(tx, "dinner", "Vakarienė", "17:00", "18:00", None),
        lambda tx: canteen_setup.set_daily_limit(tx, pupils[0], 400, "Mamos prašymu"),
        lambda tx: canteen_setup.set_daily_limit(tx, pupils[0], None, "Mama atšaukė"),
        lambda tx: canteen_setup.set_no_buy(tx, pupils[1], [1, 2]),
        lambda tx: canteen_setup.set_diet_note(tx, pupils[1], "Alergija riešutams"),
        lambda tx: add_top_up(tx, pupils[2], 1000, "bank", "MOK-1", user_id=admin, max_cents=5000),
        lambda tx: add_correction(
            tx,
            pupils[2],
            -150,
            "klaidingas įrašas",
            user_id=admin,
            max_cents=5000,
            overdraft_limit_cents=0,
        ),
    ):
        with store.transaction() as tx:
            change(tx)
    with store.transaction() as tx:
        item = canteen_setup.add_item(tx, "Arbata", 30, None)
    with store.transaction() as tx:
        canteen_setup.change_item(tx, item.id, "Arbata su citrina", 40, "dinner", True)
    with store.transaction() as tx:
        found = canteen_setup.add_entitlement(tx, pupils[3], "lunch", today, None, "Įsakymas V-5")
    with store.transaction() as tx:
        canteen_setup.end_entitlement(tx, pupils[3], found, today + timedelta(days=10))
    card = store.conn.execute(
        "SELECT id, pupil_id FROM cards WHERE state = 'issued' AND pupil_id % 2 = 0"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    yesterday = today - timedelta(days=1)
    with store.transaction() as tx:
        tap = TapRow(
            "valgykla-1",
            "canteen",
            b"\x04\xa1\xb2\xc3",
            TapResult.ACCEPTED,
            TapReason.OK,
            card[0],
            card[1],
        )
        sale = record_tap(tx, tap)
        tx.execute(
            "INSERT INTO till_sales (event_id, at, day, till, pupil_id, meal_type, paid_cents)"
            " VALUES (?, ?, ?, 'valgykla-1', ?, 'lunch', 250)",
            (sale, tx.now(), yesterday.isoformat(), card[1]),
        )
        tx.execute(
            "INSERT INTO free_meals (pupil_id, meal_type, day, sale_id) VALUES (?, 'lunch', ?,"
            " last_insert_rowid())",
            (card[1], yesterday.isoformat()),
        )
        tx.execute(
            "INSERT INTO ledger (pupil_id, kind, amount_cents, at, till, event_id)"
            " VALUES (?, 'sale', -250, ?, 'valgykla-1', ?)",
            (card[1], tx.now(), sale),
        )
    with store.transaction() as tx:
        add_refund(tx, sale, 100, "atvėsusi sriuba", user_id=admin)
    with store.transaction() as tx:
        record_tap(
            tx, TapRow("burelis-1", "club", b"\x04\x99", TapResult.DENIED, TapReason.UNKNOWN_CARD)
        )
    with store.transaction() as tx:
        close_day(tx, yesterday, SCHOOL.code)
