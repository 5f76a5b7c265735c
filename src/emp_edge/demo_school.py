"""A made-up school for the demo: a class list of pupils with valid personal codes.

The list is written as the CSV a school would export, then imported through the same importer
staff use, so the demo runs the real path. Everything here is invented; seeded, so the same seed
gives the same school.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from emp_edge.domain import personal_code
from emp_edge.domain.cards import CardState, valid_until
from emp_edge.domain.school import SchoolClass
from emp_edge.store import Store
from emp_edge.store.outbox import Transaction

BOYS = (
    "Jonas",
    "Lukas",
    "Matas",
    "Dominykas",
    "Kajus",
    "Nojus",
    "Benas",
    "Herkus",
    "Jokūbas",
    "Markas",
    "Rokas",
    "Augustas",
    "Emilis",
    "Tadas",
    "Žygimantas",
    "Mantas",
    "Gustas",
    "Dovydas",
    "Ąžuolas",
    "Vėjas",
    "Šarūnas",
    "Motiejus",
    "Aistis",
    "Elijus",
)
GIRLS = (
    "Ona",
    "Emilija",
    "Sofija",
    "Liepa",
    "Gabija",
    "Austėja",
    "Kamilė",
    "Urtė",
    "Ugnė",
    "Milda",
    "Rugilė",
    "Žemyna",
    "Gustė",
    "Viltė",
    "Eglė",
    "Saulė",
    "Amelija",
    "Lėja",
    "Jūratė",
    "Adelė",
    "Smiltė",
    "Perlė",
    "Augustė",
    "Rūta",
)
#: surnames as (son's form, daughter's form)
SURNAMES = (
    ("Kazlauskas", "Kazlauskaitė"),
    ("Petrauskas", "Petrauskaitė"),
    ("Jankauskas", "Jankauskaitė"),
    ("Stankevičius", "Stankevičiūtė"),
    ("Vasiliauskas", "Vasiliauskaitė"),
    ("Žukauskas", "Žukauskaitė"),
    ("Butkus", "Butkutė"),
    ("Paulauskas", "Paulauskaitė"),
    ("Urbonas", "Urbonaitė"),
    ("Kavaliauskas", "Kavaliauskaitė"),
    ("Navickas", "Navickaitė"),
    ("Šimkus", "Šimkutė"),
    ("Baranauskas", "Baranauskaitė"),
    ("Ramanauskas", "Ramanauskaitė"),
    ("Savickas", "Savickaitė"),
    ("Žilinskas", "Žilinskaitė"),
    ("Rimkus", "Rimkutė"),
    ("Mažeikis", "Mažeikytė"),
    ("Grigaliūnas", "Grigaliūnaitė"),
    ("Čepulis", "Čepulytė"),
    ("Dambrauskas", "Dambrauskaitė"),
    ("Šeškevičius", "Šeškevičiūtė"),
    ("Ūsas", "Ūsaitė"),
    ("Lukšys", "Lukšytė"),
    ("Jurgėla", "Jurgėlaitė"),
    ("Bružas", "Bružaitė"),
)
#: classes 1a–8b, then gymnasium classes Ia–IVa
CLASSES = tuple(
    [SchoolClass(grade, letter) for grade in range(1, 9) for letter in "ab"]
    + [SchoolClass(grade, "a", roman=True) for grade in range(9, 13)]
)
HEADER = ("Eil. Nr.", "Pavardė", "Vardas", "Asmens kodas", "Gimimo data", "Klasė")


def make_classlist(path: Path, *, pupils: int = 300, school_year: int, seed: int = 7) -> int:
    """Write a class list CSV (semicolons, UTF-8 with BOM, as spreadsheets save it)."""
    rng = random.Random(seed)  # noqa: S311 - made-up pupils, not secrets
    used: set[str] = set()
    rows: list[tuple[str, ...]] = []
    for number in range(pupils):
        school_class = CLASSES[number * len(CLASSES) // pupils]
        sex = rng.choice(("M", "F"))
        born = date(school_year - 6 - school_class.grade, rng.randint(1, 12), rng.randint(1, 28))
        while True:
            code = personal_code.build(born, "M" if sex == "M" else "F", rng.randint(0, 999))
            if code not in used:
                used.add(code)
                break
        first = rng.choice(BOYS if sex == "M" else GIRLS)
        surname = rng.choice(SURNAMES)[0 if sex == "M" else 1]
        rows.append((str(number + 1), surname, first, code, born.isoformat(), school_class.label))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)


#: of every twenty demo pupils: one card replaced (blocked), one expired, one only requested
_SPECIAL = {7: CardState.REPLACED, 13: CardState.EXPIRED, 19: CardState.REQUESTED}


def issue_demo_cards(store: Store, today: date, *, seed: int = 7) -> int:
    """Give the demo pupils issued cards with chips, and a few cards that terminals refuse.

    The cards are written straight into the database as if the card station had made and
    issued them earlier this school year; returns how many cards have a chip.
    """
    rng = random.Random(seed)  # noqa: S311 - made-up chips, not secrets
    conn = store.conn
    pupils = conn.execute(
        "SELECT p.id, k.grade FROM pupils p JOIN classes k ON k.id = p.class_id ORDER BY p.id"
    ).fetchall()
    made = today - timedelta(days=30)
    chips = 0
    with store.transaction() as tx:
        now = tx.now()
        for number, (pupil_id, grade) in enumerate(pupils):
            state = _SPECIAL.get(number % 20, CardState.ISSUED)
            if state is CardState.REQUESTED:
                tx.execute(
                    "INSERT INTO cards (pupil_id, state, requested_on, requested_by, created_at,"
                    " updated_at) VALUES (?, 'requested', ?, 'parent', ?, ?)",
                    (pupil_id, (today - timedelta(days=3)).isoformat(), now, now),
                )
                continue
            until = today - timedelta(days=1) if state is CardState.EXPIRED else None
            chips += _demo_card(tx, rng, pupil_id, grade, made, until, state)
            if state is CardState.REPLACED:
                chips += _demo_card(tx, rng, pupil_id, grade, today, None, CardState.ISSUED)
        tx.emit("demo.cards_made", {"cards": chips})
    return chips


def _demo_card(
    tx: Transaction,
    rng: random.Random,
    pupil_id: int,
    grade: int,
    made: date,
    until: date | None,
    state: CardState,
) -> int:
    uid = "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6))
    counter = 1 + int(
        tx.execute("SELECT count(*) FROM cards WHERE pupil_id = ?", (pupil_id,)).fetchone()[0]
    )
    now = tx.now()
    last_day = until or valid_until(grade, made)
    tx.execute(
        "INSERT INTO cards (pupil_id, state, requested_on, requested_by, chip_uid, barcode,"
        " registration_number, grade_at_issue, valid_until, personalised_on, issued_on,"
        " received_by, issue_counter, created_at, updated_at)"
        " VALUES (?, ?, ?, 'pupil', ?, ?, ?, ?, ?, ?, ?, 'mokinys', ?, ?, ?)",
        (
            pupil_id,
            str(state),
            (made - timedelta(days=10)).isoformat(),
            uid,
            f"99{pupil_id:08d}{counter}",
            f"D-{made.year}-{pupil_id:05d}-{counter}",
            grade,
            last_day.isoformat(),
            made.isoformat(),
            made.isoformat(),
            counter,
            now,
            now,
        ),
    )
    return 1
