"""Judging one event of a batch: duplicate, or rejected with a Lithuanian reason, or accepted.

An event id is accepted once, forever: sent again it is a duplicate whatever it carries. A
rejected id is not remembered as accepted, so it is judged again when it comes back. Only an
accepted event changes the registry's state. Everything runs inside the batch's transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from emp_edge.registry_sim import baskets
from emp_edge.registry_sim.contract import Contract

Verdict = Literal["accepted", "duplicate", "rejected"]

_TYPE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAX_TYPE_LENGTH = 100

BAD_ID = "netinkamas įvykio identifikatorius: turi būti UUID"
BAD_TYPE = "netinkamas įvykio tipas: turi būti taškais atskirti žodžiai"
BAD_TIME = "netinkamas įvykio laikas: turi būti ISO 8601 data ir laikas su laiko juostos poslinkiu"
BAD_PAYLOAD = "netinkamas įvykio turinys: turi būti JSON objektas"


@dataclass(frozen=True)
class Result:
    event_id: str  # as the box sent it
    verdict: Verdict
    reason: str = ""

    def to_wire(self) -> dict[str, str]:
        answer = {"event_id": self.event_id, "status": self.verdict}
        if self.verdict == "rejected":
            answer["reason"] = self.reason
        return answer


def canonical_id(event_id: str) -> str | None:
    """The event id in lower-case UUID form, or None when it is not a UUID."""
    if not _UUID.fullmatch(event_id):
        return None
    return str(uuid.UUID(event_id))


def _has_offset(text: object) -> bool:
    if not isinstance(text, str) or "T" not in text.upper():
        return False
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.utcoffset() is not None


def envelope_refusal(event: dict[str, Any]) -> str | None:
    """What is wrong with the event's frame (not its payload), or None."""
    kind = event.get("type")
    if not isinstance(kind, str) or len(kind) > MAX_TYPE_LENGTH or not _TYPE.fullmatch(kind):
        return BAD_TYPE
    if not _has_offset(event.get("created_at")):
        return BAD_TIME
    if not isinstance(event.get("payload"), dict):
        return BAD_PAYLOAD
    return None


def judge(
    conn: sqlite3.Connection,
    contract: Contract,
    school_code: str,
    event: dict[str, Any],
    received_at: str,
) -> Result:
    """The verdict on one event, with its receipt logged and, if accepted, its effects written."""
    sent_id: str = event["event_id"]
    event_id = canonical_id(sent_id)
    if event_id is None:
        result = Result(sent_id, "rejected", BAD_ID)
    elif conn.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone():
        result = Result(sent_id, "duplicate")
    else:
        reason = (
            envelope_refusal(event)
            or contract.refusal(event["type"], event["payload"])
            or baskets.refusal(conn, school_code, event["type"], event["payload"])
        )
        if reason:
            result = Result(sent_id, "rejected", reason)
        else:
            conn.execute(
                "INSERT INTO events (event_id, school_code, type, payload, created_at, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    school_code,
                    event["type"],
                    json.dumps(event["payload"], ensure_ascii=False),
                    event["created_at"],
                    received_at,
                ),
            )
            baskets.apply(conn, school_code, event_id, event["type"], event["payload"])
            result = Result(sent_id, "accepted")
    conn.execute(
        "INSERT INTO receipts (event_id, school_code, verdict, reason, received_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (event_id or sent_id, school_code, result.verdict, result.reason or None, received_at),
    )
    return result
