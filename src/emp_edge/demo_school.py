"""A made-up school for the demo: a class list of pupils with valid personal codes.

The list is written as the CSV a school would export, then imported through the same importer
staff use, so the demo runs the real path. Everything here is invented; seeded, so the same seed
gives the same school.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

from emp_edge.domain import personal_code
from emp_edge.domain.school import SchoolClass

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
