"""The registry's answers to pushed events, written back to the outbox in one transaction.

An event the registry accepted, or already had (a duplicate: it was sent before and the answer
was lost), is acknowledged and never sent again. A refused event stays in the outbox with the
registry's reason and is not sent again until a person sends it again, as it was or corrected.
Events of a batch that got no answer stay to be sent, with the failure noted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from emp_edge.errors import InputError
from emp_edge.store import enrolments
from emp_edge.store.outbox import Transaction, to_json
from emp_edge.store.sync_jobs import error_record

#: how much of the registry's reason or of an error is kept
REASON_MAX: Final = 500
#: the largest corrected payload a person may send
PAYLOAD_MAX: Final = 64 * 1024


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Answer:
    """The registry's answer to one event."""

    event_id: str
    verdict: Verdict
    reason: str = ""


@dataclass(frozen=True)
class Recorded:
    """What one batch's answers did to the outbox."""

    acked: int
    rejected: int
    unknown: int  # answers naming no event waiting here (already acknowledged, or never sent)


#: event types whose rows elsewhere follow the registry's verdict (accepted, reason)
VerdictFollower = Callable[[Transaction, str, bool, str], bool]
FOLLOWERS: Final[Mapping[str, VerdictFollower]] = {
    "nvs.funding.marked": enrolments.registry_answer,
}


def _clip(text: str) -> str:
    return " ".join(text.split())[:REASON_MAX]


def record_answers(tx: Transaction, answers: Sequence[Answer]) -> Recorded:
    """Write the registry's answers to the events still waiting; others are counted, not changed."""
    now = tx.now()
    acked = rejected = unknown = 0
    for answer in answers:
        row = tx.execute(
            "SELECT type FROM outbox WHERE event_id = ? AND acked_at IS NULL", (answer.event_id,)
        ).fetchone()
        if row is None:
            unknown += 1
            continue
        accepted = answer.verdict is not Verdict.REJECTED
        reason = _clip(answer.reason) if not accepted else ""
        if accepted:
            tx.execute(
                "UPDATE outbox SET acked_at = ?, answer = ?, answered_at = ?, attempts = attempts"
                " + 1, last_error = NULL, rejected_reason = NULL WHERE event_id = ?",
                (now, str(answer.verdict), now, answer.event_id),
            )
            acked += 1
        else:
            tx.execute(
                "UPDATE outbox SET answer = 'rejected', answered_at = ?, attempts = attempts + 1,"
                " last_error = NULL, rejected_reason = ? WHERE event_id = ?",
                (now, reason or "refused without a reason", answer.event_id),
            )
            rejected += 1
        follower = FOLLOWERS.get(row[0])
        if follower is not None:
            try:
                follower(tx, answer.event_id, accepted, reason)
            except InputError as err:  # the box's own rows disagree; the answer is still kept
                tx.execute(
                    "UPDATE outbox SET last_error = ? WHERE event_id = ?",
                    (error_record(err), answer.event_id),
                )
    return Recorded(acked, rejected, unknown)


def record_failure(tx: Transaction, event_ids: Iterable[str], error: str) -> int:
    """Note a failed sending of events still waiting; returns how many were noted.

    ``error`` is a ``sync_jobs.error_record`` (JSON with the English template and parameters).
    """
    ids = list(event_ids)
    noted = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        noted += tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?"  # noqa: S608
            f" WHERE acked_at IS NULL AND event_id IN ({marks})",
            (error[: REASON_MAX * 4], *chunk),
        ).rowcount
    return noted


@dataclass(frozen=True)
class RefusedEvent:
    """A refused event, for the person who corrects it."""

    seq: int
    event_id: str
    type: str
    created_at: str
    answered_at: str | None
    reason: str
    payload: dict[str, Any]
    corrections: int


_REFUSED = (
    "SELECT seq, event_id, type, created_at, answered_at, rejected_reason, payload,"
    " (SELECT count(*) FROM outbox_corrections c WHERE c.event_id = o.event_id)"
    " FROM outbox o WHERE rejected_reason IS NOT NULL"
)


def _refused(rows: Iterable[tuple[Any, ...]]) -> list[RefusedEvent]:
    return [
        RefusedEvent(seq, eid, kind, created, answered, reason, json.loads(payload), int(n))
        for seq, eid, kind, created, answered, reason, payload, n in rows
    ]


def refused_events(conn: sqlite3.Connection, limit: int = 100) -> list[RefusedEvent]:
    """Refused events, oldest first, with how often each was sent again already."""
    return _refused(conn.execute(f"{_REFUSED} ORDER BY seq LIMIT ?", (limit,)))


def refused_event(conn: sqlite3.Connection, seq: int) -> RefusedEvent:
    """One refused event by its number; InputError when there is none."""
    found = _refused(conn.execute(f"{_REFUSED} AND seq = ?", (seq,)))
    if not found:
        raise InputError("event {seq} is not refused by the registry", seq=seq)
    return found[0]


def send_again(
    tx: Transaction,
    seq: int,
    *,
    user_id: int | None,
    payload: Mapping[str, Any] | None = None,
) -> RefusedEvent:
    """Put a refused event back to be sent, as it was or with a corrected ``payload``.

    The event keeps its id: the registry never accepted it, so the id is still free there. The
    registry's reason and the old payload are kept in ``outbox_corrections``.
    """
    event = refused_event(tx.conn, seq)
    old_payload: str | None = None
    if payload is not None:
        if not isinstance(payload, Mapping):
            raise InputError("a corrected payload is a JSON object", where=f"event {seq}")
        text = to_json(payload)
        if len(text.encode()) > PAYLOAD_MAX:
            raise InputError(
                "a corrected payload is at most {limit} bytes",
                where=f"event {seq}",
                limit=PAYLOAD_MAX,
            )
        old_payload = to_json(event.payload)
        tx.execute("UPDATE outbox SET payload = ? WHERE seq = ?", (text, seq))
    tx.execute(
        "INSERT INTO outbox_corrections (event_id, at, user_id, action, rejected_reason,"
        " old_payload) VALUES (?, ?, ?, ?, ?, ?)",
        (
            event.event_id,
            tx.now(),
            user_id,
            "resent" if payload is None else "corrected",
            event.reason,
            old_payload,
        ),
    )
    tx.execute(
        "UPDATE outbox SET rejected_reason = NULL, answer = NULL, last_error = NULL WHERE seq = ?",
        (seq,),
    )
    return event
