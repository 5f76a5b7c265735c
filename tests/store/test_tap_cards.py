"""The cards the tap simulator offers, on real SQLite: chips only, their end only, a limit."""

from __future__ import annotations

from emp_edge.domain.cards import CardState
from emp_edge.store import Store
from emp_edge.store.tap_cards import search_tap_cards, tap_card

CLASSES = ("1a", "5b", "IIa")


def add_school(store: Store, pupils: int) -> list[int]:
    """``pupils`` pupils across three classes, each with an issued card with a chip, and one
    more with a card that has no chip yet; returns the card ids with a chip in insert order."""
    now = store.clock.now().isoformat()
    cards: list[int] = []
    with store.transaction() as tx:
        school = tx.execute("INSERT INTO schools (code, name) VALUES ('1', 'Mokykla')").lastrowid
        classes = [
            tx.execute(
                "INSERT INTO classes (school_id, school_year, grade, letter, label)"
                " VALUES (?, 2026, ?, ?, ?)",
                (school, grade, letter, label),
            ).lastrowid
            for grade, letter, label in ((1, "a", "1a"), (5, "b", "5b"), (10, "a", "IIa"))
        ]
        for number in range(pupils + 1):
            pupil = tx.execute(
                "INSERT INTO pupils (school_id, first_name, last_name, birth_date, class_id,"
                " created_at, updated_at) VALUES (?, ?, ?, '2014-05-05', ?, ?, ?)",
                (school, f"Vardas{number:05d}", f"Pavardenis{number:05d}",
                 classes[number % 3], now, now),
            ).lastrowid  # fmt: skip
            chip = None if number == pupils else f"04AABBCC{number:06X}"
            card = tx.execute(
                "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid,"
                " created_at, updated_at) VALUES (?, ?, '2026-09-01', 'pupil', ?, ?, ?)",
                (pupil, "issued" if chip else "requested", chip, now, now),
            ).lastrowid
            if chip:
                cards.append(int(card or 0))
        tx.emit("test.school_added", {"pupils": pupils})
    return cards


def test_the_list_is_limited_and_counts_every_match(store: Store) -> None:
    cards = add_school(store, 120)
    found = search_tap_cards(store.conn, "", limit=50)
    assert found.total == 120  # the card without a chip is not one
    assert len(found.rows) == 50
    assert [row.class_label for row in found.rows[:3]] == ["1a", "1a", "1a"]  # by class, name
    assert {row.card_id for row in found.rows} <= set(cards)
    assert all(len(row.chip_tail) == 4 for row in found.rows)
    assert all(row.state is CardState.ISSUED for row in found.rows)


def test_search_words_classes_and_chip_ends(store: Store) -> None:
    cards = add_school(store, 30)
    by_name = search_tap_cards(store.conn, "vardas00007", limit=50)
    assert [row.card_id for row in by_name.rows] == [cards[7]]
    assert by_name.rows[0].pupil_name == "Vardas00007 Pavardenis00007"
    assert by_name.rows[0].chip_tail == "0007"
    assert search_tap_cards(store.conn, "IIa", limit=50).total == 10
    assert search_tap_cards(store.conn, "5 b pavardenis0001", limit=50).total == 4  # 10 13 16 19
    assert [r.card_id for r in search_tap_cards(store.conn, "cc00001d", limit=50).rows] == [
        cards[29]
    ]
    assert search_tap_cards(store.conn, "nieko", limit=50).total == 0


def test_one_card_by_its_number(store: Store) -> None:
    cards = add_school(store, 3)
    card = tap_card(store.conn, cards[1])
    assert card is not None
    assert (card.first_name, card.class_label, card.chip_tail) == ("Vardas00001", "5b", "0001")
    no_chip = max(cards) + 1
    assert tap_card(store.conn, no_chip) is None
    assert tap_card(store.conn, 999_999) is None
