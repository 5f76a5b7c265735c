"""The one-provider basket rule: a pupil's NVŠ basket for a school year is marked by at most one
school at a time, across all schools.

A basket marking names the pupil by ``registry_id``; without one the registry cannot check the
rule and refuses the mark. An unmarking (by ``marked_event_id``) or the pupil's deregistration from
the enrolment releases the mark.
"""

from __future__ import annotations

import sqlite3
from typing import Any

MARKED = "nvs.funding.marked"
UNMARKED = "nvs.funding.unmarked"
DEREGISTERED = "nvs.enrolment.deregistered"

NO_REGISTRY_ID = "krepšelio žymos patikrinti negalima: nenurodytas mokinio registro numeris"
NO_SCHOOL_YEAR = "krepšelio žymos patikrinti negalima: nenurodyti mokslo metai"
HELD_ELSEWHERE = "mokinio NVŠ krepšelis šiems mokslo metams jau pažymėtas kito teikėjo"


def _is_basket(event_type: str, payload: dict[str, Any]) -> bool:
    return event_type == MARKED and payload.get("kind") == "basket"


def _registry_id(payload: dict[str, Any]) -> str | None:
    value = payload.get("registry_id")
    if value is None or isinstance(value, bool) or value == "":
        return None
    return str(value)


def holder(conn: sqlite3.Connection, registry_id: str, school_year: int) -> str | None:
    """The school holding the pupil's basket for the year, or None."""
    row = conn.execute(
        "SELECT school_code FROM basket_marks WHERE registry_id = ? AND school_year = ? "
        "AND active = 1 ORDER BY rowid LIMIT 1",
        (registry_id, school_year),
    ).fetchone()
    return None if row is None else str(row[0])


def refusal(
    conn: sqlite3.Connection, school_code: str, event_type: str, payload: dict[str, Any]
) -> str | None:
    """Why the basket rule refuses this event, or None."""
    if not _is_basket(event_type, payload):
        return None
    registry_id = _registry_id(payload)
    if registry_id is None:
        return NO_REGISTRY_ID
    school_year = payload.get("school_year")
    if not isinstance(school_year, int) or isinstance(school_year, bool):
        return NO_SCHOOL_YEAR
    held = conn.execute(
        "SELECT 1 FROM basket_marks WHERE registry_id = ? AND school_year = ? AND active = 1 "
        "AND school_code != ? LIMIT 1",
        (registry_id, school_year, school_code),
    ).fetchone()
    return HELD_ELSEWHERE if held else None


def apply(
    conn: sqlite3.Connection,
    school_code: str,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    """What an accepted event does to the marks (inside the batch's transaction)."""
    if _is_basket(event_type, payload):
        enrolment_id = payload.get("enrolment_id")
        conn.execute(
            "INSERT INTO basket_marks (event_id, registry_id, school_year, school_code, "
            "enrolment_id) VALUES (?, ?, ?, ?, ?)",
            (
                event_id,
                _registry_id(payload),
                payload["school_year"],
                school_code,
                enrolment_id if isinstance(enrolment_id, int) else None,
            ),
        )
    elif event_type == UNMARKED and isinstance(payload.get("marked_event_id"), str):
        conn.execute(
            "UPDATE basket_marks SET active = 0 WHERE event_id = ? AND school_code = ?",
            (payload["marked_event_id"].lower(), school_code),
        )
    elif event_type == DEREGISTERED and isinstance(payload.get("enrolment_id"), int):
        conn.execute(
            "UPDATE basket_marks SET active = 0 WHERE school_code = ? AND enrolment_id = ?",
            (school_code, payload["enrolment_id"]),
        )
