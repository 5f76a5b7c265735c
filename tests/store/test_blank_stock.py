"""Deliveries of blanks on a real SQLite file: one batch, one row per number, overlaps refused."""

from __future__ import annotations

import json
from datetime import date

import pytest

from emp_edge.domain.card_station import blank_range
from emp_edge.errors import InputError
from emp_edge.store import Store
from emp_edge.store.blank_stock import batches, blank_counts, receive_batch


def receive(
    store: Store, first: str, last: str, on: date = date(2026, 9, 20), doc: str = ""
) -> int:
    with store.transaction() as tx:
        return receive_batch(tx, blank_range(first, last), on, doc, user_id=None)


def dump(store: Store) -> list[str]:
    return list(store.conn.iterdump())


def test_a_delivery_is_one_batch_and_a_blank_per_number(store: Store) -> None:
    batch_id = receive(store, "emp000101", "EMP000105", doc="Važtaraštis Nr. ŠĮ-7")

    rows = store.conn.execute(
        "SELECT blank_number, state, received_on, batch_id FROM blanks ORDER BY blank_number"
    ).fetchall()
    assert rows == [(f"EMP00010{n}", "received", "2026-09-20", batch_id) for n in range(1, 6)]
    [batch] = batches(store.conn)
    assert (batch.id, batch.first_number, batch.last_number, batch.count) == (
        batch_id,
        "EMP000101",
        "EMP000105",
        5,
    )
    assert batch.document == "Važtaraštis Nr. ŠĮ-7"
    assert (batch.received, batch.used, batch.spoiled, batch.destroyed) == (5, 0, 0, 0)
    [payload] = [
        json.loads(p)
        for (p,) in store.conn.execute("SELECT payload FROM outbox WHERE type = 'blanks.received'")
    ]
    assert payload == {
        "batch_id": batch_id,
        "first_number": "EMP000101",
        "last_number": "EMP000105",
        "count": 5,
        "received_on": "2026-09-20",
    }


def test_counts_by_state_in_all_and_per_batch(store: Store) -> None:
    first = receive(store, "EMP000101", "EMP000104", on=date(2026, 9, 1))
    second = receive(store, "EMP000201", "EMP000202", on=date(2026, 10, 1))
    with store.transaction(require_event=False) as tx:
        for number, state in (
            ("EMP000101", "used"),
            ("EMP000102", "spoiled"),
            ("EMP000201", "destroyed"),
        ):
            tx.execute("UPDATE blanks SET state = ? WHERE blank_number = ?", (state, number))

    assert blank_counts(store.conn) == {
        "received": 3,
        "used": 1,
        "spoiled": 1,
        "destroyed": 1,
        "total": 6,
    }
    by_id = {b.id: b for b in batches(store.conn)}
    assert [b.id for b in batches(store.conn)] == [second, first]  # the latest first
    assert (by_id[first].received, by_id[first].used, by_id[first].spoiled) == (2, 1, 1)
    assert (by_id[second].received, by_id[second].destroyed) == (1, 1)


def test_counts_when_there_are_no_blanks(store: Store) -> None:
    assert blank_counts(store.conn) == {
        "received": 0,
        "used": 0,
        "spoiled": 0,
        "destroyed": 0,
        "total": 0,
    }
    assert batches(store.conn) == []


@pytest.mark.parametrize(
    ("first", "last", "clash"),
    [
        ("EMP000103", "EMP000110", "EMP000103"),  # starts inside
        ("EMP000090", "EMP000101", "EMP000101"),  # ends on the first
        ("EMP000050", "EMP000500", "EMP000101"),  # holds the whole earlier range
        ("emp000105", "emp000105", "EMP000105"),  # one number, written in lower case
    ],
)
def test_an_overlapping_range_is_refused_naming_the_first_clash(
    store: Store, first: str, last: str, clash: str
) -> None:
    receive(store, "EMP000101", "EMP000105")
    before = dump(store)

    with pytest.raises(InputError) as refused:
        receive(store, first, last)

    assert refused.value.template == "blank {number} is already on record"
    assert refused.value.params == {"number": clash}
    assert refused.value.where == "first_number"
    assert dump(store) == before


def test_a_neighbouring_range_and_another_prefix_are_not_overlaps(store: Store) -> None:
    receive(store, "EMP000101", "EMP000105")
    receive(store, "EMP000106", "EMP000110")
    receive(store, "AB000101", "AB000105")
    receive(store, "EMP00101", "EMP00105")  # fewer digits: other numbers
    assert blank_counts(store.conn)["total"] == 20


def test_a_blank_recorded_without_a_batch_still_clashes(store: Store) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO blanks (blank_number, received_on, changed_at)"
            " VALUES ('000107', '2026-09-01', ?)",
            (tx.now(),),
        )
        tx.emit("test.blank", {})
    with pytest.raises(InputError) as refused:
        receive(store, "000101", "000110")
    assert refused.value.params == {"number": "000107"}


def test_a_delivery_in_the_future_is_refused(store: Store) -> None:
    before = dump(store)
    with pytest.raises(InputError) as refused:
        receive(store, "EMP000101", "EMP000105", on=date(2026, 10, 6))  # the clock: 2026-10-05
    assert refused.value.where == "received_on"
    assert dump(store) == before
    receive(store, "EMP000101", "EMP000105", on=date(2026, 10, 5))  # today is fine


def test_a_too_long_delivery_note_is_refused(store: Store) -> None:
    before = dump(store)
    with pytest.raises(InputError) as refused:
        receive(store, "EMP000101", "EMP000105", doc="x" * 81)
    assert refused.value.where == "document"
    assert dump(store) == before
