"""The registry's wire format (API v1) on the box's side: request bodies out, answers in.

Answers are read strictly: anything but the documented shape is a ``RegistryAnswerError`` that
says what was wrong, never the answer's text (it may echo what was sent).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Final, NoReturn

from emp_edge.errors import RegistryAnswerError
from emp_edge.store.outbox import OutboxEvent, StoredEvent, to_json
from emp_edge.store.outbox_answers import Answer, Verdict

#: the reason kept for a refused event the registry gave none for
NO_REASON: Final = "refused without a reason"
#: how much of the registry's own error message is kept
MESSAGE_MAX: Final = 200

_VERDICTS: Final = {v.value: v for v in Verdict}


def events_body(events: Sequence[StoredEvent | OutboxEvent]) -> bytes:
    """``{"events": [...]}`` as compact UTF-8; a stored event's payload goes out as stored."""
    parts = []
    for event in events:
        payload = event.payload if isinstance(event.payload, str) else to_json(event.payload)
        parts.append(
            f'{{"event_id":{encode_basestring(event.event_id)},"type":'
            f'{encode_basestring(event.type)},"created_at":{encode_basestring(event.created_at)},'
            f'"payload":{payload}}}'
        )
    return ('{"events":[' + ",".join(parts) + "]}").encode()


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _load(body: bytes) -> Any:
    """The answer's JSON: strict (no NaN or Infinity); a RegistryAnswerError when it is none."""
    try:
        return json.loads(body, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise RegistryAnswerError(
            "the registry's answer is not JSON: {reason} (line {line}, column {column})",
            reason=err.msg,
            line=err.lineno,
            column=err.colno,
        ) from None
    except UnicodeDecodeError:
        raise RegistryAnswerError("the registry's answer is not UTF-8 text") from None
    except RecursionError:
        raise RegistryAnswerError("the registry's answer is nested too deeply") from None
    except ValueError as err:  # NaN, Infinity, a number too long to read
        raise RegistryAnswerError(
            "the registry's answer is not JSON: {reason}", reason=str(err)[:MESSAGE_MAX]
        ) from None


def _object(body: bytes) -> dict[str, Any]:
    value = _load(body)
    if not isinstance(value, dict):
        raise RegistryAnswerError("the registry's answer is not a JSON object")
    return value


def parse_event_answers(body: bytes, sent_ids: Sequence[str]) -> list[Answer]:
    """The registry's verdicts on a batch, for the events that were sent.

    Answers naming an event not sent are dropped; an event answered twice keeps its first answer;
    an event not answered gets none (it stays to be sent).
    """
    return read_event_answers(body, sent_ids)[0]


def read_event_answers(body: bytes, sent_ids: Sequence[str]) -> tuple[list[Answer], int]:
    """``parse_event_answers``, and how many results named events that were not sent (an
    answer meant for another request, when more than none)."""
    results = _object(body).get("results")
    if not isinstance(results, list):
        raise RegistryAnswerError("the registry's answer has no list of results")
    sent = set(sent_ids)
    answers: dict[str, Answer] = {}
    strays = 0
    for index, result in enumerate(results, start=1):
        if not isinstance(result, dict):
            raise RegistryAnswerError(
                "result {index} of the registry's answer is not an object", index=index
            )
        event_id = result.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise RegistryAnswerError(
                "result {index} of the registry's answer has no event id", index=index
            )
        status = result.get("status")
        verdict = _VERDICTS.get(status) if isinstance(status, str) else None
        if verdict is None:
            raise RegistryAnswerError(
                "result {index} of the registry's answer has no known status", index=index
            )
        reason = result.get("reason")
        if verdict is Verdict.REJECTED:
            if reason is not None and not isinstance(reason, str):
                raise RegistryAnswerError(
                    "result {index} of the registry's answer has a reason that is not text",
                    index=index,
                )
            reason = reason if reason and reason.strip() else NO_REASON
        else:
            reason = ""
        if event_id not in sent:
            strays += 1
        elif event_id not in answers:
            answers[event_id] = Answer(event_id, verdict, reason)
    return list(answers.values()), strays


def parse_time(body: bytes) -> datetime:
    """The registry's clock from ``GET v1/time`` (an aware moment, in UTC)."""
    now = _object(body).get("now")
    if not isinstance(now, str):
        raise RegistryAnswerError("the registry's time answer has no 'now' text")
    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        raise RegistryAnswerError("the registry's time is not an ISO 8601 moment") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RegistryAnswerError("the registry's time has no UTC offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise RegistryAnswerError("the registry's time is out of range") from None


def refusal_message(body: bytes) -> str:
    """What an error answer says (``error: message``, clipped), or "" when it says nothing
    readable. Only the registry's own code and message: never the request."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(value, dict):
        return ""
    code, message = value.get("error"), value.get("message")
    parts = [p for p in (code, message) if isinstance(p, str) and p.strip()]
    return " ".join(": ".join(parts).split())[:MESSAGE_MAX]
