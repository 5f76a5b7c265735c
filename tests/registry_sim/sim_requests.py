"""Plain requests to the registry simulator, and the tiny contract its tests are judged by.

The tiny contract is written by the tests, so they do not lean on the project's full contract.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

SCHOOL = "190000000"
TOKEN = "box-token"
OTHER_SCHOOL = "290000000"
OTHER_TOKEN = "other-box-token"

TINY_CONTRACT = """\
openapi: 3.1.0
info: {title: tiny registry, version: "1"}
paths: {}
x-event-payloads:
  tap.decided: {$ref: '#/components/schemas/Tap'}
  nvs.funding.marked: {$ref: '#/components/schemas/Marked'}
  nvs.funding.unmarked: {$ref: '#/components/schemas/Unmarked'}
  nvs.enrolment.deregistered: {$ref: '#/components/schemas/Deregistered'}
  canteen.free_meals.daily:
    type: object
    required: [day, pupils]
    properties:
      day: {type: string, format: date}
      pupils: {type: array, items: {$ref: '#/components/schemas/Pupil'}}
components:
  schemas:
    Tap:
      type: object
      required: [card_id]
      properties:
        card_id: {type: integer}
    Pupil:
      type: object
      required: [pupil_id, registry_id]
      additionalProperties: false
      properties:
        pupil_id: {type: integer}
        registry_id: {type: [string, "null"]}
    Marked:
      type: object
      required: [enrolment_id, registry_id, school_year, kind]
      properties:
        enrolment_id: {type: integer}
        registry_id: {type: [string, "null"]}
        school_year: {type: integer}
        kind: {enum: [basket, municipal, state, other]}
    Unmarked:
      type: object
      required: [enrolment_id, marked_event_id]
      properties:
        enrolment_id: {type: integer}
        marked_event_id: {type: string}
    Deregistered:
      type: object
      required: [enrolment_id]
      properties:
        enrolment_id: {type: integer}
"""


def client(url: str, token: str | None, timeout: float = 5.0) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.Client(base_url=url, headers=headers, timeout=timeout)


def event(
    type: str = "tap.decided",
    payload: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
    created_at: str = "2026-10-05T10:30:00+03:00",
) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": type,
        "created_at": created_at,
        "payload": {"card_id": 7} if payload is None else payload,
    }


def mark(
    enrolment_id: int,
    registry_id: str | None = "MR-000123",
    *,
    school_year: int = 2026,
    kind: str = "basket",
) -> dict[str, Any]:
    return event(
        "nvs.funding.marked",
        {
            "enrolment_id": enrolment_id,
            "registry_id": registry_id,
            "school_year": school_year,
            "kind": kind,
        },
    )


def results(http: httpx.Client, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """POST the events and return the per-event results (the answer must be 200)."""
    answer = http.post("v1/events", json={"events": list(events)})
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return list(document["results"])
