"""Expiry (§45) and the retention purge (§24) on a real SQLite file, through the nightly job.

The purge is checked from outside too: a second connection (the ``sqlite3`` module on the file)
finds no row, and the bytes of the database file and its write-ahead log no longer hold the
photo or the "Kiti įrašai" text.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from card_rows import add_issued_card, add_photo, add_school_pupil
from emp_edge.app import sync_jobs
from emp_edge.card_station.retention import CardCare
from emp_edge.config import load_settings
from emp_edge.domain.cards import CardVerdict, verdict_at_terminal
from emp_edge.domain.taps import TapReason
from emp_edge.events import Bus
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.store.card_retention import (
    EXPIRY_REASON,
    RETENTION_REASON,
    expire_cards,
    purge_card_data,
)
from emp_edge.store.taps import card_by_id
from emp_edge.sync.schedule import CARE_JOB_ID
from emp_edge.terminal.pipeline import Found, TapPipeline

TODAY = date(2026, 10, 5)  # the tests' clock
PHOTO = b"\xff\xd8" + b"PHOTO-OF-ZYGIS-" * 400 + b"\xff\xd9"  # spans overflow pages
ENTRY = "Maršrutas Raseiniai–Šaltinio g. ŽYMĖ-4711"


@pytest.fixture
def services(tmp_path: Path, store: Store) -> Services:
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path / "data")})
    return Services(
        settings=settings.replace(cards__retention_days=30), store=store, clock=store.clock
    )


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """What another program sees in the database file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def events(store: Store, kind: str) -> list[dict[str, object]]:
    found = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(p) for (p,) in found]


# ---------------------------------------------------------------- expiry (§45)


def test_cards_past_their_last_day_expire_with_the_reason(store: Store) -> None:
    ona = add_school_pupil(store, "Ona", "Žukauskaitė", registry_id="MR-1")
    ended = add_issued_card(store, ona, issued_on=date(2022, 9, 5), valid_until=date(2026, 8, 31))
    jonas = add_school_pupil(store, "Jonas", "Kazlauskas")
    last_day = add_issued_card(store, jonas, valid_until=TODAY)  # valid through today
    petras = add_school_pupil(store, "Petras", "Petraitis")
    returned = add_issued_card(store, petras, valid_until=date(2026, 8, 31), state="returned")

    with store.transaction() as tx:
        assert expire_cards(tx, TODAY) == 1

    states = dict(store.conn.execute("SELECT id, state FROM cards").fetchall())
    assert states == {ended: "expired", last_day: "issued", returned: "returned"}
    assert store.conn.execute(
        "SELECT from_state, to_state, reason, user_id FROM card_events WHERE card_id = ?", (ended,)
    ).fetchall() == [("issued", "expired", EXPIRY_REASON, None)]
    [payload] = events(store, "card.expired")
    assert payload == {
        "card_id": ended,
        "pupil_id": ona,
        "registry_id": "MR-1",
        "card_number": f"190000000{ended:07d}",
        "valid_until": "2026-08-31",
        "expired_on": "2026-10-05",
    }
    with store.transaction() as tx:  # again: nothing more to do, nothing written
        assert expire_cards(tx, TODAY) == 0
    assert len(events(store, "card.expired")) == 1


def test_an_expired_card_is_refused_at_the_terminal(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    card_id = add_issued_card(
        store, pupil, valid_until=date(2026, 8, 31), chip_uid="04A1B2C3D4E5F6"
    )
    with store.transaction() as tx:
        expire_cards(tx, TODAY)
    card = card_by_id(store.conn, card_id)
    assert card is not None
    pipeline = TapPipeline(store, store.clock, Bus(), school_code="190000000", handlers={})
    assert pipeline.judge(Found(card)) is TapReason.EXPIRED
    # refused for its state, whatever day the terminal thinks it is
    assert (
        verdict_at_terminal(card.state, card.valid_until, date(2026, 8, 1)) is CardVerdict.EXPIRED
    )


# ---------------------------------------------------------------- the purge (§24)


def test_the_purge_really_deletes_and_keeps_recent_cards(store: Store, services: Services) -> None:
    assert store.path is not None
    old = add_school_pupil(store, "Žygis", "Ąžuolas")
    old_card = add_issued_card(store, old, issued_on=TODAY - timedelta(days=30), other_entry=ENTRY)
    add_photo(store, old, PHOTO)
    new = add_school_pupil(store, "Rūta", "Čepaitė")
    new_card = add_issued_card(
        store, new, issued_on=TODAY - timedelta(days=29), other_entry="naujas"
    )
    add_photo(store, new, b"\xff\xd8 recent photo \xff\xd9")

    done = CardCare(services).run_once(TODAY)

    assert (done.purged.card_ids, done.purged.faces, done.purged.other_entries) == (
        (old_card,),
        1,
        1,
    )
    assert done.purged.photos == 1
    assert done.flushed
    path = store.path
    assert rows(path, "SELECT * FROM card_faces WHERE card_id = ?", (old_card,)) == []
    assert rows(path, "SELECT * FROM card_other_entries WHERE card_id = ?", (old_card,)) == []
    assert rows(path, "SELECT * FROM pupil_photos WHERE pupil_id = ?", (old,)) == []
    assert rows(
        path, "SELECT data_deleted_on, data_deleted_reason FROM cards WHERE id = ?", (old_card,)
    ) == [("2026-10-05", RETENTION_REASON)]
    # the card stays on record, with its numbers: only what identifies the pupil on it is gone
    assert rows(path, "SELECT state, barcode IS NOT NULL FROM cards WHERE id = ?", (old_card,)) == [
        ("issued", 1)
    ]
    # issued 29 days ago: everything kept
    assert len(rows(path, "SELECT * FROM card_faces WHERE card_id = ?", (new_card,))) == 1
    assert len(rows(path, "SELECT * FROM card_other_entries WHERE card_id = ?", (new_card,))) == 1
    assert len(rows(path, "SELECT * FROM pupil_photos WHERE pupil_id = ?", (new,))) == 1
    assert rows(path, "SELECT data_deleted_on FROM cards WHERE id = ?", (new_card,)) == [(None,)]
    # no copy left in the file or its write-ahead log
    on_disk = b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )
    assert b"PHOTO-OF-ZYGIS" not in on_disk
    assert "ŽYMĖ-4711".encode() not in on_disk
    assert store.conn.execute("PRAGMA secure_delete").fetchone() == (1,)


def test_the_purge_event_and_log_hold_counts_and_card_numbers_only(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    pupil = add_school_pupil(store, "Žygis", "Ąžuolas", registry_id="MR-9")
    card_id = add_issued_card(store, pupil, issued_on=date(2026, 9, 1), other_entry=ENTRY)
    add_photo(store, pupil, PHOTO)
    caplog.set_level("INFO")

    with store.transaction() as tx:
        counts = purge_card_data(tx, TODAY, 30)

    assert counts.cards == 1
    [payload] = events(store, "cards.purged")
    assert payload == {
        "on": "2026-10-05",
        "retention_days": 30,
        "cards": 1,
        "card_ids": [card_id],
        "faces": 1,
        "other_entries": 1,
        "photos": 1,
    }
    logged = caplog.text
    assert "card data purged cards=1 faces=1 other_entries=1 photos=1" in logged
    for private in ("Žygis", "Ąžuolas", "MR-9", "ŽYMĖ"):
        assert private not in logged
        assert private not in json.dumps(payload, ensure_ascii=False)


def test_a_photo_stays_while_a_new_card_is_being_made(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    old_card = add_issued_card(store, pupil, issued_on=date(2025, 9, 1), state="replaced")
    new_card = add_issued_card(store, pupil, issued_on=None, valid_until=None, state="requested")
    add_photo(store, pupil)

    with store.transaction() as tx:
        counts = purge_card_data(tx, TODAY, 30)

    assert (counts.card_ids, counts.photos) == ((old_card,), 0)
    assert store.conn.execute("SELECT count(*) FROM pupil_photos").fetchone() == (1,)
    assert store.conn.execute(  # the request's own data are kept
        "SELECT count(*) FROM card_faces WHERE card_id = ?", (new_card,)
    ).fetchone() == (1,)


def test_a_photo_of_a_recent_card_stays_though_an_older_card_is_purged(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    add_issued_card(store, pupil, issued_on=date(2024, 9, 1), state="replaced")
    add_issued_card(store, pupil, issued_on=TODAY - timedelta(days=3))
    add_photo(store, pupil)
    with store.transaction() as tx:
        counts = purge_card_data(tx, TODAY, 30)
    assert (counts.cards, counts.photos) == (1, 0)


def test_a_second_purge_writes_nothing(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    add_issued_card(store, pupil, issued_on=date(2026, 9, 1))
    add_photo(store, pupil)
    with store.transaction() as tx:
        purge_card_data(tx, TODAY, 30)
    before = list(store.conn.iterdump())
    with store.transaction() as tx:
        assert purge_card_data(tx, TODAY, 30).nothing
    assert list(store.conn.iterdump()) == before
    assert len(events(store, "cards.purged")) == 1


def test_a_reason_already_given_is_kept(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    card_id = add_issued_card(store, pupil, issued_on=date(2026, 9, 1), state="returned")
    with store.transaction() as tx:
        tx.execute(
            "UPDATE cards SET data_deleted_on = '2026-09-20', data_deleted_reason = 'left school'"
            " WHERE id = ?",
            (card_id,),
        )
        tx.emit("test.deleted", {})
    with store.transaction() as tx:
        counts = purge_card_data(tx, TODAY, 30)
    assert counts.faces == 1  # the printed data were still there: now gone
    assert store.conn.execute(
        "SELECT data_deleted_on, data_deleted_reason FROM cards WHERE id = ?", (card_id,)
    ).fetchone() == ("2026-09-20", "left school")


def test_a_failed_purge_leaves_everything(store: Store) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    add_issued_card(store, pupil, issued_on=date(2026, 9, 1), other_entry=ENTRY)
    add_photo(store, pupil)
    before = list(store.conn.iterdump())
    with pytest.raises(RuntimeError), store.transaction() as tx:
        purge_card_data(tx, TODAY, 30)
        raise RuntimeError("the box lost power")
    assert list(store.conn.iterdump()) == before


def test_the_job_expires_then_purges_and_catches_up_at_start(
    store: Store, services: Services
) -> None:
    pupil = add_school_pupil(store, "Ona", "Žukauskaitė")
    card_id = add_issued_card(
        store, pupil, issued_on=date(2022, 9, 1), valid_until=date(2026, 8, 31)
    )
    scheduler = BackgroundScheduler(timezone=services.settings.tz, daemon=True)
    scheduler.start()
    jobs = sync_jobs(services)  # as `emp-edge run` schedules it (sync is off here)
    jobs.start(scheduler)
    try:
        assert scheduler.get_job(CARE_JOB_ID).next_run_time is not None
        deadline = time.monotonic() + 10
        while not events(store, "cards.purged") and time.monotonic() < deadline:
            time.sleep(0.05)  # the start's own run, on the scheduler's thread
    finally:
        jobs.stop()
        scheduler.shutdown(wait=True)
    assert scheduler.get_job(CARE_JOB_ID) is None
    state = store.conn.execute("SELECT state FROM cards WHERE id = ?", (card_id,)).fetchone()
    assert state == ("expired",)
    done = CardCare(services).run_once(TODAY)  # idempotent: nothing left to do
    assert (done.expired, done.purged.nothing) == (0, True)
    assert len(events(store, "card.expired")) == 1
    assert len(events(store, "cards.purged")) == 1
