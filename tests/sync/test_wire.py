"""The wire on the box's side: the events body out, the registry's answers in (strict, fuzzed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emp_edge.errors import RegistryAnswerError
from emp_edge.store.outbox import OutboxEvent, StoredEvent, to_json
from emp_edge.store.outbox_answers import Answer, Verdict
from emp_edge.sync.wire import (
    NO_REASON,
    events_body,
    parse_event_answers,
    parse_time,
    refusal_message,
)

IDS = ["e-1", "e-2", "e-3"]
SECRET = "Žemaitė-38001010000"  # stands for anything an answer might echo


def _answer(*results: dict[str, Any]) -> bytes:
    return json.dumps({"results": list(results), "received_at": "2026-10-05T07:30:00Z"}).encode()


# ---------------------------------------------------------------------- the body out
def test_the_body_carries_stored_payloads_as_they_are_and_is_compact_utf8() -> None:
    payload = {"pupil_id": 3, "note": "Šiauliai", "pupils": [{"a": 1}]}
    stored = StoredEvent(1, "id-1", "card.issued", to_json(payload), "2026-10-05T07:30:00+00:00")
    body = events_body([stored])
    assert b"\n" not in body
    assert b", " not in body
    assert "Šiauliai".encode() in body  # UTF-8, not \u escapes
    assert json.loads(body) == {
        "events": [
            {
                "event_id": "id-1",
                "type": "card.issued",
                "created_at": "2026-10-05T07:30:00+00:00",
                "payload": payload,
            }
        ]
    }


def test_an_event_read_with_its_payload_makes_the_same_body_as_a_stored_one() -> None:
    payload = {"b": [1, 2], "a": "ą"}
    read = OutboxEvent(
        4, "id-4", "nvs.funding.marked", payload, "2026-10-05T07:30:00+00:00", 0, None
    )
    stored = StoredEvent(4, "id-4", "nvs.funding.marked", to_json(payload), read.created_at)
    assert events_body([read]) == events_body([stored])
    assert json.loads(events_body([read, stored]))["events"][1]["payload"] == payload


# ---------------------------------------------------------------------- answers in
def test_answers_come_back_for_the_events_sent() -> None:
    body = _answer(
        {"event_id": "e-1", "status": "accepted"},
        {"event_id": "e-2", "status": "duplicate"},
        {"event_id": "e-3", "status": "rejected", "reason": "krepšelis jau pažymėtas"},
    )
    assert parse_event_answers(body, IDS) == [
        Answer("e-1", Verdict.ACCEPTED),
        Answer("e-2", Verdict.DUPLICATE),
        Answer("e-3", Verdict.REJECTED, "krepšelis jau pažymėtas"),
    ]


def test_answers_for_events_not_sent_are_dropped_and_the_first_of_two_wins() -> None:
    body = _answer(
        {"event_id": "e-9", "status": "accepted"},
        {"event_id": "e-2", "status": "rejected", "reason": "pirmas"},
        {"event_id": "e-2", "status": "accepted"},
    )
    assert parse_event_answers(body, IDS) == [Answer("e-2", Verdict.REJECTED, "pirmas")]


def test_a_refusal_without_a_reason_gets_one_and_an_acceptance_keeps_none() -> None:
    body = _answer(
        {"event_id": "e-1", "status": "rejected"},
        {"event_id": "e-2", "status": "rejected", "reason": "  "},
        {"event_id": "e-3", "status": "accepted", "reason": "ignored"},
    )
    answers = parse_event_answers(body, IDS)
    assert [a.reason for a in answers] == [NO_REASON, NO_REASON, ""]


def test_events_not_answered_get_no_answer() -> None:
    assert parse_event_answers(_answer({"event_id": "e-3", "status": "accepted"}), IDS) == [
        Answer("e-3", Verdict.ACCEPTED)
    ]
    assert parse_event_answers(_answer(), IDS) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "not JSON"),
        (b"<html>" + SECRET.encode() + b"</html>", "not JSON"),
        (b"\xff\xfe\xfa", "not"),
        (b'{"results": [NaN]}', "not JSON"),
        (b'{"results": [{"event_id": "e-1", "status": "accepted", "n": Infinity}]}', "not JSON"),
        (b'{"results": [{"n": ' + b"9" * 5000 + b"}]}", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'["results"]', "not a JSON object"),
        (b'{"results": {"e-1": "accepted"}}', "no list of results"),
        (b'{"result": []}', "no list of results"),
        (b'{"results": ["e-1"]}', "result 1 of the registry's answer is not an object"),
        (
            b'{"results": [{"status": "accepted"}]}',
            "result 1 of the registry's answer has no event id",
        ),
        (b'{"results": [{"event_id": 7, "status": "accepted"}]}', "has no event id"),
        (b'{"results": [{"event_id": "e-1", "status": "ACCEPTED"}]}', "has no known status"),
        (b'{"results": [{"event_id": "e-1"}]}', "has no known status"),
        (
            b'{"results": [{"event_id": "e-1", "status": "accepted"},'
            b' {"event_id": "e-2", "status": "rejected", "reason": ["x"]}]}',
            "result 2 of the registry's answer has a reason that is not text",
        ),
        (_answer({"event_id": "e-1", "status": "accepted"})[:-7], "not JSON"),  # half received
    ],
)
def test_a_malformed_answer_says_what_is_wrong_and_never_echoes_it(body: bytes, says: str) -> None:
    with pytest.raises(RegistryAnswerError, match=says) as caught:
        parse_event_answers(body, IDS)
    assert SECRET not in str(caught.value)


def test_a_malformed_answer_for_an_event_not_sent_still_spoils_the_answer() -> None:
    body = _answer({"event_id": "e-1", "status": "accepted"}, {"event_id": "x", "status": "?"})
    with pytest.raises(RegistryAnswerError, match="result 2"):
        parse_event_answers(body, IDS)


# ---------------------------------------------------------------------- the registry's clock
@pytest.mark.parametrize(
    "now",
    ["2026-10-05T07:30:00Z", "2026-10-05T10:30:00+03:00", "2026-10-05T07:30:00.000000+00:00"],
)
def test_the_registry_time_is_an_aware_moment_in_utc(now: str) -> None:
    moment = parse_time(json.dumps({"now": now}).encode())
    assert moment == datetime(2026, 10, 5, 7, 30, tzinfo=UTC)
    assert moment.utcoffset() is not None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"now": "2026-10-05T07:30:00"}', "no UTC offset"),
        (b'{"now": "yesterday"}', "not an ISO 8601 moment"),
        (b'{"now": 1759650600}', "no 'now' text"),
        (b'{"time": "2026-10-05T07:30:00Z"}', "no 'now' text"),
        (b'"2026-10-05T07:30:00Z"', "not a JSON object"),
        (b'{"now": "0001-01-01T00:00:00+14:00"}', "out of range"),
        (b"{", "not JSON"),
    ],
)
def test_a_bad_time_answer_is_refused(body: bytes, says: str) -> None:
    with pytest.raises(RegistryAnswerError, match=says):
        parse_time(body)


# ---------------------------------------------------------------------- error answers
def test_an_error_answer_gives_its_code_and_message_clipped() -> None:
    assert refusal_message(b'{"error": "unauthorized", "message": "bad token"}') == (
        "unauthorized: bad token"
    )
    assert refusal_message(b'{"error": "payload_too_large"}') == "payload_too_large"
    assert len(refusal_message(json.dumps({"message": "x" * 10_000}).encode())) == 200
    assert refusal_message(b"<html>Bad Gateway</html>") == ""
    assert refusal_message(b'{"error": 5}') == ""


# ---------------------------------------------------------------------- fuzz
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from([*IDS, "accepted", "duplicate", "rejected"])
)
JUNK = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RESULT = (
    st.fixed_dictionaries(
        {},
        optional={
            "event_id": st.sampled_from([*IDS, "e-9"]) | JUNK,
            "status": st.sampled_from(["accepted", "duplicate", "rejected"]) | JUNK,
            "reason": st.text(max_size=30) | JUNK,
        },
    )
    | JUNK
)
ANSWER = st.fixed_dictionaries({}, optional={"results": st.lists(RESULT, max_size=6) | JUNK}) | JUNK


def _well_formed(answers: list[Answer]) -> None:
    assert isinstance(answers, list)
    assert len({a.event_id for a in answers}) == len(answers)
    for answer in answers:
        assert answer.event_id in IDS
        assert isinstance(answer.verdict, Verdict)
        assert bool(answer.reason) == (answer.verdict is Verdict.REJECTED)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes_give_answers_or_an_answer_error(body: bytes) -> None:
    for parse in (lambda b: parse_event_answers(b, IDS), parse_time):
        try:
            result = parse(body)
        except RegistryAnswerError:
            continue
        if isinstance(result, list):
            _well_formed(result)
        else:
            assert result.utcoffset() is not None


@settings(max_examples=300)
@given(ANSWER, st.integers(min_value=0, max_value=400))
def test_fuzz_json_ish_answers_whole_or_cut_give_answers_or_an_answer_error(
    value: Any, cut: int
) -> None:
    text = json.dumps(value, allow_nan=True).encode()
    for body in (text, text[:cut]):
        try:
            answers = parse_event_answers(body, IDS)
        except RegistryAnswerError as err:
            said = err.template  # says what was wrong
            assert said
            continue
        _well_formed(answers)


@settings(max_examples=200)
@given(st.one_of(JUNK, st.fixed_dictionaries({"now": st.text(max_size=40) | JUNK})))
def test_fuzz_json_ish_time_answers_give_a_moment_or_an_answer_error(value: Any) -> None:
    try:
        moment = parse_time(json.dumps(value, allow_nan=True).encode())
    except RegistryAnswerError:
        return
    assert moment.tzinfo is UTC
