"""The demo school's registry: the registry simulator on this computer, knowing the demo's pupils.

The simulator serves a roster made from the demo school's class list, as the registry would know
it: the same pupils with their registry ids (the box adopts its pupils by personal code at the
first pull), one surname changed upstream (the registry wins for personal data), free lunches
for a few pupils and a top-up paid centrally. Its data folder sits in the demo's data folder.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

from emp_edge.registry_sim import Registry, RegistryServer
from emp_edge.store import Store

TOKEN_FILE = "registry.token"  # noqa: S105 - a file name, not a secret


def demo_roster(store: Store, today: date) -> list[dict[str, Any]]:
    """Roster items for every pupil of the demo school, classes first."""
    classes = store.conn.execute(
        "SELECT id, school_year, grade, letter, label FROM classes ORDER BY id"
    ).fetchall()
    items: list[dict[str, Any]] = [
        {
            "kind": "class",
            "key": f"K-{class_id}",
            "deleted": False,
            "school_year": year,
            "grade": grade,
            "letter": letter,
            "label": label,
        }
        for class_id, year, grade, letter, label in classes
    ]
    pupils = store.conn.execute(
        "SELECT id, personal_code, first_name, last_name, birth_date, sex, class_id FROM pupils"
        " WHERE personal_code IS NOT NULL ORDER BY id"
    ).fetchall()
    for number, (pupil_id, code, first, last, born, sex, class_id) in enumerate(pupils):
        key = f"MR-{pupil_id:06d}"
        items.append(
            {
                "kind": "pupil",
                "key": key,
                "deleted": False,
                "first_name": first,
                # the registry knows of one marriage in a family the school has not heard of
                "last_name": f"{last}-Žukauskienė" if number == 1 else last,
                "birth_date": born,
                "sex": sex,
                "personal_code": code,
                "class_key": f"K-{class_id}" if class_id is not None else None,
            }
        )
        if number % 7 == 0:
            items.append(
                {
                    "kind": "meal_entitlement",
                    "key": f"NM-{pupil_id:06d}",
                    "deleted": False,
                    "pupil_key": key,
                    "meal_type": "lunch",
                    "valid_from": today.replace(month=9, day=1).isoformat()
                    if today.month >= 9
                    else today.replace(year=today.year - 1, month=9, day=1).isoformat(),
                    "valid_to": None,
                }
            )
        if number == 3:
            items.append(
                {
                    "kind": "top_up",
                    "key": "MP-000001",
                    "deleted": False,
                    "pupil_key": key,
                    "amount_cents": 1500,
                    "paid_on": today.isoformat(),
                    "reference": "Savivaldybės mokėjimas 000001",
                }
            )
    return items


def start_demo_registry(
    folder: Path, store: Store, school_code: str, today: date
) -> tuple[RegistryServer, Path]:
    """Start the simulator on a free port of 127.0.0.1 with the demo's roster; returns the
    running server and the box's token file (0600)."""
    token = secrets.token_urlsafe(24)
    registry = Registry(folder / "registry")
    registry.add_box(school_code, token)
    registry.put_roster(school_code, demo_roster(store, today))
    token_file = folder / TOKEN_FILE
    token_file.touch(mode=0o600)
    token_file.write_text(token)
    server = RegistryServer(registry)
    server.start()
    return server, token_file
