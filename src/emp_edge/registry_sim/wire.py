"""The registry's side of THE WIRE: reading a request's body and query, and the JSON it answers.

Error answers are ``{"error": code, "message": text}``; messages are Lithuanian, as the registry's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

MAX_BODY = 8 * 1024 * 1024
MAX_EVENTS = 1000
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500

MESSAGES = {
    "bad_request": "netinkama užklausa",
    "unauthorized": "neteisingas arba nenurodytas prieigos raktas",
    "not_found": "tokio adreso nėra",
    "method_not_allowed": "šiuo adresu toks metodas negalimas",
    "cursor_expired": "registras šio žymeklio nebežino: skaitykite sąrašą nuo pradžios",
    "length_required": "nenurodytas užklausos ilgis (Content-Length)",
    "payload_too_large": "užklausa didesnė nei 8 MiB",
    "internal_error": "registro vidinė klaida",
    "unavailable": "registras laikinai nepasiekiamas",
}


class BadRequestError(Exception):
    """The request is not what the wire says; the message (Lithuanian) says why."""


@dataclass(frozen=True)
class Answer:
    """What the registry answers one request: a status and a JSON document."""

    status: int
    document: dict[str, Any]
    count: int = 0  # how many events the request carried, or roster items answered
    counted: str = "events"  # (both for the log line)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False, separators=(",", ":")).encode()


def error(status: int, code: str, message: str | None = None) -> Answer:
    return Answer(status, {"error": code, "message": message or MESSAGES[code]})


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_batch(body: bytes) -> list[dict[str, Any]]:
    """The events of a ``POST v1/events`` body; BadRequestError when it is not that shape."""
    try:
        document = json.loads(body, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise BadRequestError("užklausos turinys nėra JSON") from err
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise BadRequestError("užklausa turi būti JSON objektas su sąrašu „events“")
    events: list[Any] = document["events"]
    if not 1 <= len(events) <= MAX_EVENTS:
        raise BadRequestError(f"pakete turi būti nuo 1 iki {MAX_EVENTS} įvykių")
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("event_id"), str):
            raise BadRequestError("kiekvienas įvykis turi būti objektas su tekstiniu „event_id“")
    return events


def read_roster_query(query: str) -> tuple[str, int]:
    """(cursor, limit) of a ``GET v1/roster`` query; BadRequestError on a bad limit."""
    params = parse_qs(query, keep_blank_values=True)
    cursors = params.get("cursor", [""])
    limits = params.get("limit", [str(DEFAULT_LIMIT)])
    if len(cursors) > 1 or len(limits) > 1:
        raise BadRequestError("parametrai cursor ir limit nurodomi ne daugiau kaip po kartą")
    text = limits[0]
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_LIMIT):
        raise BadRequestError(f"limit turi būti sveikasis skaičius nuo 1 iki {MAX_LIMIT}")
    return cursors[0], int(text)
