"""The tap pipeline on a real SQLite file: the card check, the state on file, one commit."""

from __future__ import annotations

from datetime import date

import pytest
from school_cards import KEYS, SCHOOL_CODE, OnFile, add_card, add_pupil

from emp_edge.config.terminals import TerminalSpec
from emp_edge.domain.taps import CardRecord, SimulatedCard, TapReason, TapResult
from emp_edge.errors import InputError, StoreError
from emp_edge.events import Bus, TapDecided
from emp_edge.store import Store
from emp_edge.store.outbox import Transaction
from emp_edge.store.taps import CardAtTerminal
from emp_edge.terminal.authenticity import CardRead, read_school_card, read_uid_only
from emp_edge.terminal.desfire.card import EmulatedDesfireCard
from emp_edge.terminal.pipeline import TapPipeline
from emp_edge.terminal.readers.port import Tap
from emp_edge.terminal.readers.simulated import EmulatedChannel, SimulatedReader
from emp_edge.terminal.roles import CardCheck, Outcome, RoleHandler
from emp_edge.terminal.simulator import TapSimulator

TILL = TerminalSpec("valgykla-1", "canteen", "simulated")


def read(chip: EmulatedDesfireCard) -> CardRead:
    return read_school_card(Tap("test", chip.uid, EmulatedChannel(chip)), KEYS)


def pipeline(store: Store, bus: Bus | None = None, role: RoleHandler | None = None) -> TapPipeline:
    roles: dict[str, RoleHandler] = {"canteen": role or CardCheck()}
    return TapPipeline(store, store.clock, bus or Bus(), school_code=SCHOOL_CODE, handlers=roles)


@pytest.fixture
def ona(store: Store) -> OnFile:
    return add_card(store, add_pupil(store, "Ona", "Žukauskaitė"), "04A1B2C3D4E5F6")


def tap_rows(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT t.event_id, t.result, t.reason, t.card_id, t.uid_tail, o.type"
        " FROM taps t JOIN outbox o ON o.event_id = t.event_id ORDER BY t.id"
    ).fetchall()


def test_a_genuine_card_is_accepted_and_its_tap_committed_with_its_event(
    store: Store, ona: OnFile
) -> None:
    decided = pipeline(store).decide(TILL, read(ona.chip()))
    assert decided.result is TapResult.ACCEPTED
    assert decided.reason is TapReason.OK
    assert (decided.pupil_name, decided.class_label) == ("Ona Žukauskaitė", "5b")
    assert tap_rows(store) == [
        (decided.event_id, "accepted", "ok", ona.card_id, "E5F6", "tap.decided")
    ]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (SimulatedCard.CLONE, TapReason.NOT_GENUINE),
        (SimulatedCard.ALTERED, TapReason.RECORD_INVALID),
        (SimulatedCard.OTHER_SCHOOL, TapReason.OTHER_SCHOOL),
        (SimulatedCard.UNKNOWN, TapReason.NO_APPLICATION),
    ],
)
def test_a_card_that_fails_the_check_is_refused_without_a_name(
    store: Store, ona: OnFile, kind: SimulatedCard, reason: TapReason
) -> None:
    chip = TapSimulator(store, KEYS, {}).make(ona.card_id, kind)
    decided = pipeline(store).decide(TILL, read(chip))
    assert (decided.result, decided.reason) == (TapResult.DENIED, reason)
    assert decided.pupil_name == decided.class_label == ""
    [(event_id, result, why, *_)] = tap_rows(store)
    assert (event_id, result, why) == (decided.event_id, "denied", reason.value)


def test_a_clone_is_recorded_against_the_card_it_copies(store: Store, ona: OnFile) -> None:
    chip = TapSimulator(store, KEYS, {}).make(ona.card_id, SimulatedCard.CLONE)
    pipeline(store).decide(TILL, read(chip))
    assert tap_rows(store)[0][3] == ona.card_id


@pytest.mark.parametrize(
    ("state", "until", "reason"),
    [
        ("replaced", date(2029, 8, 31), TapReason.REPLACED),
        ("returned", date(2029, 8, 31), TapReason.RETURNED),
        ("personalised", date(2029, 8, 31), TapReason.NOT_ISSUED),
        ("issued", date(2026, 10, 4), TapReason.EXPIRED),
    ],
)
def test_the_card_state_on_file_decides(
    store: Store, state: str, until: date, reason: TapReason
) -> None:
    card = add_card(store, add_pupil(store, "Jonas", "Šimkus"), "04000000000001", state=state,
                    valid_until=until)  # fmt: skip
    decided = pipeline(store).decide(TILL, read(card.chip()))
    assert (decided.result, decided.reason) == (TapResult.DENIED, reason)
    assert decided.pupil_name == "Jonas Šimkus"  # a genuine card shows whose it is


def test_a_pupil_who_left_is_refused(store: Store) -> None:
    card = add_card(store, add_pupil(store, "Rūta", "Ūsaitė", active=False), "04000000000002")
    assert pipeline(store).decide(TILL, read(card.chip())).reason is TapReason.PUPIL_LEFT


def test_an_old_chip_rewritten_for_a_later_card_disagrees_with_the_file(store: Store) -> None:
    card = add_card(store, add_pupil(store, "Eglė", "Čepulytė"), "04000000000003", counter=2)
    old = CardRecord(card.card_id, card.pupil_id, card.record.valid_until, 1)
    chip = OnFile(card.card_id, card.pupil_id, card.uid, old).chip()
    decided = pipeline(store).decide(TILL, read(chip))
    assert decided.reason is TapReason.RECORD_MISMATCH


def test_a_record_naming_a_card_that_is_not_on_file_is_unknown(store: Store, ona: OnFile) -> None:
    ghost = OnFile(999, ona.pupil_id, ona.uid, CardRecord(999, ona.pupil_id, date(2029, 8, 31), 1))
    assert pipeline(store).decide(TILL, read(ghost.chip())).reason is TapReason.UNKNOWN_CARD


def test_uid_mode_takes_the_uid_and_refuses_chips_not_on_file(store: Store, ona: OnFile) -> None:
    known = read_uid_only(Tap("test", ona.uid, EmulatedChannel(ona.chip())))
    stranger = read_uid_only(Tap("test", bytes(7), EmulatedChannel(ona.chip())))
    assert pipeline(store).decide(TILL, known).result is TapResult.ACCEPTED
    assert pipeline(store).decide(TILL, stranger).reason is TapReason.UNKNOWN_CARD


def test_the_result_is_published_only_after_its_commit(store: Store, ona: OnFile) -> None:
    bus = Bus()
    with bus.subscribe(TILL.name) as inbox:
        decided = pipeline(store, bus).decide(TILL, read(ona.chip()))
        news = inbox.get(timeout=1)
    assert isinstance(news, TapDecided)
    assert news.event_id == decided.event_id
    # another connection sees the row: it was committed before the news went out
    other = Store(store.path or "", store.clock, create=False)
    try:
        assert other.conn.execute(
            "SELECT count(*) FROM taps WHERE event_id = ?", (news.event_id,)
        ).fetchone() == (1,)
    finally:
        other.close()


class Failing:
    def handle(
        self, tx: Transaction, terminal: str, card: CardAtTerminal, event_id: str
    ) -> Outcome:
        tx.execute(
            "INSERT INTO devices (name, kind, state, seen_at) VALUES ('x', 'till', 'ok', '')"
        )
        raise StoreError("the disk is full")


def test_a_tap_that_cannot_be_committed_leaves_nothing_and_is_not_shown(
    store: Store, ona: OnFile
) -> None:
    bus = Bus()
    with bus.subscribe(TILL.name) as inbox, pytest.raises(StoreError):
        pipeline(store, bus, Failing()).decide(TILL, read(ona.chip()))
    assert inbox.get(timeout=0.05) is None
    assert tap_rows(store) == []
    assert store.conn.execute("SELECT count(*) FROM devices").fetchone() == (0,)


def test_the_simulator_refuses_an_unknown_terminal_and_a_card_without_a_chip(
    store: Store, ona: OnFile
) -> None:
    simulator = TapSimulator(store, KEYS, {"valgykla-1": SimulatedReader("valgykla-1")})
    assert simulator.terminals() == ["valgykla-1"]
    with pytest.raises(InputError, match="no simulated terminal"):
        simulator.tap("kasa-9", ona.card_id, SimulatedCard.GENUINE)
    with pytest.raises(InputError, match="has no chip"):
        simulator.tap("valgykla-1", 12345, SimulatedCard.GENUINE)
