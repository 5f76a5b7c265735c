"""A made-up school for the demo: a class list of pupils with valid personal codes, their cards,
and a canteen with prices, free meals, balances and a few parents' requests.

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
from emp_edge.domain.school import SchoolClass, school_year, school_year_bounds
from emp_edge.store import Store
from emp_edge.store.ledger import add_top_up
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


# ---------------------------------------------------------------- the canteen

#: (name, price in cents, the meal it is); the three meals are the windows' default items
DEMO_ITEMS = (
    ("Pusryčiai", 120, "breakfast"),
    ("Pietūs", 250, "lunch"),
    ("Pavakariai", 100, "afternoon"),
    ("Bandelė su varške", 80, None),
    ("Sultys", 90, None),
    ("Obuolys", 40, None),
    ("Sumuštinis su sūriu", 130, None),
)
#: an all-day window, so a demo tap at any hour sells something (a meal's window, where one is
#: open, wins over it); "23:59" is the first minute it is closed
SNACKS = ("snacks", "Užkandžiai", "00:00", "23:59", "Bandelė su varške")
DIET_NOTES = (
    "Alergija riešutams",
    "Netoleruoja laktozės",
    "Celiakija: tik be glitimo",
    "Alergija žuviai ir jūros gėrybėms",
)


def demo_role(number: int) -> str:
    """What the canteen knows of the demo's pupil ``number`` (0 = the first by id): "plain",
    "entitled" (free lunch; every other one free breakfast too), "note" (a diet note)."""
    if number % 16 == 4:
        return "note"
    return "entitled" if number % 3 == 1 else "plain"


def stock_demo_canteen(store: Store, today: date, *, seed: int = 7) -> int:
    """Items with prices, each meal's default item, the all-day snack window, free lunches
    from the registry for about a third of the pupils, top-ups for everyone, diet notes, one
    daily limit and one item a parent asked the till not to sell.

    Every pupil can buy any window's default item once: the first card taps to a sale at any
    hour but the last minute of the day. Returns how many pupils have a free meal.
    """
    rng = random.Random(seed)  # noqa: S311 - made-up money, not secrets
    first_day, last_day = school_year_bounds(school_year(today))
    pupils = [row[0] for row in store.conn.execute("SELECT id FROM pupils ORDER BY id")]
    entitled = 0
    with store.transaction() as tx:
        now = tx.now()
        ids: dict[str, int] = {}
        for name, cents, meal in DEMO_ITEMS:
            ids[name] = int(
                tx.execute(
                    "INSERT INTO canteen_items (name, price_cents, meal_type) VALUES (?, ?, ?)",
                    (name, cents, meal),
                ).lastrowid
                or 0
            )
            if meal is not None:
                tx.execute(
                    "UPDATE meal_types SET default_item_id = ? WHERE code = ?", (ids[name], meal)
                )
        code, meal_name, start, end, snack = SNACKS
        tx.execute(
            "INSERT INTO meal_types (code, name, serves_from, serves_until, default_item_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (code, meal_name, start, end, ids[snack]),
        )
        for number, pupil_id in enumerate(pupils):
            role = demo_role(number)
            if role == "entitled":
                entitled += 1
                meals = ("lunch", "breakfast") if number % 6 == 1 else ("lunch",)
                for meal in meals:
                    tx.execute(
                        "INSERT INTO meal_entitlements (pupil_id, meal_type, valid_from,"
                        " valid_to, source, note, created_at) VALUES (?, ?, ?, ?, 'registry',"
                        " 'Mokinių registras: nemokamas maitinimas', ?)",
                        (pupil_id, meal, first_day.isoformat(), last_day.isoformat(), now),
                    )
            elif role == "note":
                tx.execute(
                    "UPDATE pupils SET diet_note = ? WHERE id = ?",
                    (DIET_NOTES[(number // 16) % len(DIET_NOTES)], pupil_id),
                )
            _demo_top_up(tx, rng, number, pupil_id, entitled=role == "entitled")
        if len(pupils) > 2:  # a parent's daily limit, and a parent's "no juice, please"
            tx.execute(
                "INSERT INTO canteen_limits (pupil_id, daily_limit_cents, note, changed_at)"
                " VALUES (?, 300, 'Mamos prašymu', ?)",
                (pupils[2], now),
            )
            tx.execute(
                "INSERT INTO no_buy_items (pupil_id, item_id) VALUES (?, ?)",
                (pupils[-1], ids["Sultys"]),
            )
        tx.emit("demo.canteen_stocked", {"items": len(ids), "entitled": entitled})
    return entitled


def _demo_top_up(
    tx: Transaction, rng: random.Random, number: int, pupil_id: int, *, entitled: bool
) -> None:
    """A parent's top-up: enough for a lunch, a little below the low-balance line for some."""
    if number == 0:
        cents = 2000
    elif number % 10 == 9:
        cents = 280
    else:
        cents = rng.choice((300, 500) if entitled else (500, 1000, 1500, 2000, 3000))
    cash = number % 2 == 0
    add_top_up(
        tx,
        pupil_id,
        cents,
        "cash" if cash else "bank",
        f"KVIT-{number + 1:04d}" if cash else f"MOK-{pupil_id:05d}-{number % 97:02d}",
        user_id=None,
        max_cents=cents,
    )
