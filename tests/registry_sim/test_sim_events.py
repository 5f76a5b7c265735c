"""The simulator's events over real HTTP: auth, once-forever ids, reasons, the wire's shape."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from sim_requests import OTHER_SCHOOL, OTHER_TOKEN, SCHOOL, TOKEN, client, event, results

from emp_edge.registry_sim import Contract, Registry, RegistryServer
from registry_rig import running_registry

Sim = tuple[Registry, RegistryServer]


# ---------------------------------------------------------------- auth and time


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["no token", "wrong token", "not bearer"],
)
@pytest.mark.parametrize("request_line", [("GET", "v1/time"), ("GET", "v1/roster")])
def test_a_box_without_its_token_is_refused(
    sim: Sim, headers: dict[str, str], request_line: tuple[str, str]
) -> None:
    method, path = request_line
    answer = httpx.request(method, sim[1].url + path, headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert answer.json()["message"]


def test_events_without_a_token_are_not_judged(sim: Sim) -> None:
    with client(sim[1].url, None) as http:
        answer = http.post("v1/events", json={"events": [event()]})
    assert answer.status_code == 401
    assert sim[0].received_counts() == {}


def test_time_is_the_registry_clock_in_utc(box: httpx.Client) -> None:
    from datetime import UTC, datetime, timedelta

    answer = box.get("v1/time")
    assert answer.status_code == 200
    now = datetime.fromisoformat(answer.json()["now"])
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_unknown_paths_and_methods_answer_json(box: httpx.Client) -> None:
    missing = box.get("v1/nothing")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    wrong = box.get("v1/events")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "POST"


# ---------------------------------------------------------------- once forever


def test_each_event_gets_a_result_in_the_order_sent(sim: Sim, box: httpx.Client) -> None:
    first, second, unknown = event(), event(), event("no.such.type", {})
    answer = box.post("v1/events", json={"events": [first, second, unknown]})
    document = answer.json()
    assert [r["event_id"] for r in document["results"]] == [
        first["event_id"],
        second["event_id"],
        unknown["event_id"],
    ]
    assert document["results"][0] == {"event_id": first["event_id"], "status": "accepted"}
    assert document["results"][2]["status"] == "rejected"
    assert document["results"][2]["reason"] == "nežinomas įvykio tipas: no.such.type"
    assert document["received_at"].endswith("+00:00")
    accepted = sim[0].accepted()
    assert [(a.event_id, a.type, a.school_code) for a in accepted] == [
        (first["event_id"], "tap.decided", SCHOOL),
        (second["event_id"], "tap.decided", SCHOOL),
    ]


def test_an_event_id_is_accepted_once_whatever_it_carries_later(
    sim: Sim, box: httpx.Client
) -> None:
    sent = event()
    assert results(box, sent)[0]["status"] == "accepted"
    changed = event("no.such.type", {"anything": 1}, event_id=sent["event_id"])
    assert results(box, sent, changed) == [
        {"event_id": sent["event_id"], "status": "duplicate"},
        {"event_id": sent["event_id"], "status": "duplicate"},
    ]
    with client(sim[1].url, OTHER_TOKEN) as other:  # ids are the registry's, not a school's
        assert results(other, sent)[0]["status"] == "duplicate"
    assert len(sim[0].accepted()) == 1
    assert sim[0].received_counts() == {sent["event_id"]: 4}


def test_the_same_id_twice_in_one_batch_is_accepted_then_duplicate(box: httpx.Client) -> None:
    sent = event()
    assert [r["status"] for r in results(box, sent, sent)] == ["accepted", "duplicate"]


def test_an_id_is_remembered_across_a_restart_on_the_same_data(
    tmp_path: Path, tiny_contract: Contract
) -> None:
    sent = event()
    with running_registry(tmp_path, contract=tiny_contract) as (_, server):
        port = server.port
        with client(server.url, TOKEN) as http:
            assert results(http, sent)[0]["status"] == "accepted"
    with running_registry(tmp_path, contract=tiny_contract, port=port) as (registry, server):
        with client(server.url, TOKEN) as http:
            assert results(http, sent)[0]["status"] == "duplicate"
        assert registry.received_counts() == {sent["event_id"]: 2}
        assert len(registry.accepted()) == 1


def test_a_rejected_id_is_judged_again_when_sent_corrected(sim: Sim, box: httpx.Client) -> None:
    wrong = event(payload={"card_id": "seven"})
    first = results(box, wrong)[0]
    assert first["status"] == "rejected"
    assert results(box, wrong)[0]["status"] == "rejected"  # not remembered as accepted
    corrected = dict(wrong, payload={"card_id": 7})
    assert results(box, corrected)[0] == {"event_id": wrong["event_id"], "status": "accepted"}
    assert results(box, corrected)[0]["status"] == "duplicate"
    assert sim[0].received_counts()[wrong["event_id"]] == 4


def test_an_upper_case_id_is_the_same_event(sim: Sim, box: httpx.Client) -> None:
    sent = event()
    results(box, sent)
    again = dict(sent, event_id=sent["event_id"].upper())
    assert results(box, again) == [{"event_id": again["event_id"], "status": "duplicate"}]


def test_on_batch_sees_the_batch_committed_before_the_answer(
    tmp_path: Path, tiny_contract: Contract
) -> None:
    seen: list[tuple[list[str], int]] = []
    holder: dict[str, Registry] = {}

    def on_batch(event_ids: list[str]) -> None:
        seen.append((event_ids, len(holder["registry"].accepted())))

    with running_registry(tmp_path, contract=tiny_contract, on_batch=on_batch) as (
        registry,
        server,
    ):
        holder["registry"] = registry
        sent = [event(), event(), event("no.such.type", {})]
        with client(server.url, TOKEN) as http:
            results(http, *sent)
    assert seen == [([e["event_id"] for e in sent], 2)]


# ---------------------------------------------------------------- reasons


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event_id": "not-a-uuid"}, "netinkamas įvykio identifikatorius: turi būti UUID"),
        ({"type": "Spaces are not dotted"}, "netinkamas įvykio tipas"),
        ({"type": ".tap"}, "netinkamas įvykio tipas"),
        ({"created_at": "2026-10-05T10:30:00"}, "netinkamas įvykio laikas"),
        ({"created_at": "yesterday"}, "netinkamas įvykio laikas"),
        ({"created_at": "2026-10-05"}, "netinkamas įvykio laikas"),
        ({"created_at": None}, "netinkamas įvykio laikas"),
        ({"payload": [1, 2]}, "netinkamas įvykio turinys"),
        ({"payload": None}, "netinkamas įvykio turinys"),
    ],
)
def test_a_bad_envelope_is_rejected_with_a_reason(
    box: httpx.Client, changes: dict[str, object], reason: str
) -> None:
    sent = dict(event(), **changes)
    result = results(box, sent)[0]
    assert result["event_id"] == sent["event_id"]
    assert result["status"] == "rejected"
    assert result["reason"].startswith(reason)


@pytest.mark.parametrize(
    "created_at",
    ["2031-01-01T00:00:00+00:00", "2020-02-29T23:59:59.123456-05:00", "2026-10-05T07:30:00Z"],
)
def test_any_moment_with_an_offset_is_accepted(box: httpx.Client, created_at: str) -> None:
    # a box's clock may be wrong by hours or years; the registry still takes its events
    assert results(box, event(created_at=created_at))[0]["status"] == "accepted"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "trūksta privalomo lauko: payload.card_id"),
        (
            {"card_id": "PERSONAL-VALUE"},
            "netinkamas lauko tipas: payload.card_id (turi būti integer)",
        ),
    ],
)
def test_a_payload_off_its_schema_is_rejected_naming_the_field(
    box: httpx.Client, payload: dict[str, object], reason: str
) -> None:
    assert results(box, event(payload=payload))[0]["reason"] == reason


def test_a_nested_field_is_named_by_its_path_and_its_value_never(box: httpx.Client) -> None:
    daily = {
        "day": "2026-10-05",
        "pupils": [
            {"pupil_id": 1, "registry_id": None},
            {"pupil_id": 2, "registry_id": 38801010000},  # a personal code where an id belongs
        ],
    }
    reason = results(box, event("canteen.free_meals.daily", daily))[0]["reason"]
    assert reason == "netinkamas lauko tipas: payload.pupils[1].registry_id (turi būti string|null)"
    assert "38801010000" not in reason
    extra = {"day": "2026-10-05", "pupils": [{"pupil_id": 1, "registry_id": None, "name": "Ona"}]}
    reason = results(box, event("canteen.free_meals.daily", extra))[0]["reason"]
    assert reason == "neleistinas laukas: payload.pupils[0].name"
    late = {"day": "2026-13-45", "pupils": []}
    reason = results(box, event("canteen.free_meals.daily", late))[0]["reason"]
    assert reason == "netinkamas lauko formatas: payload.day (date)"


# ---------------------------------------------------------------- the wire's shape


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00",
        b'{"events": [{"event_id": 1}]}',
        b'{"events": {}}',
        b'{"events": []}',
        b"[]",
        b'{"events": [42]}',
        b'{"events": [{"event_id": "x", "payload": NaN}]}',
        b"[" * 100_000,
    ],
    ids=range(9),
)
def test_a_body_not_of_the_wire_is_a_bad_request(sim: Sim, box: httpx.Client, body: bytes) -> None:
    answer = box.post("v1/events", content=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
    assert sim[0].received_counts() == {}


def test_a_batch_holds_1000_events_at_most(sim: Sim, box: httpx.Client) -> None:
    answer = box.post("v1/events", json={"events": [event() for _ in range(1001)]})
    assert answer.status_code == 400
    thousand = box.post("v1/events", json={"events": [event() for _ in range(1000)]})
    assert thousand.status_code == 200
    assert len(sim[0].accepted()) == 1000


def test_a_body_over_8_mib_is_refused_unread(sim: Sim, box: httpx.Client) -> None:
    padding = "x" * (8 * 1024 * 1024)
    answer = box.post("v1/events", json={"events": [event(payload={"card_id": 1, "p": padding})]})
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large"
    assert sim[0].received_counts() == {}
    assert box.get("v1/time").status_code == 200  # the box can go on


def test_a_body_of_unknown_length_is_refused(box: httpx.Client) -> None:
    answer = box.post("v1/events", content=iter([json.dumps({"events": [event()]}).encode()]))
    assert answer.status_code == 411


def test_the_log_has_a_line_per_request_and_no_payload_or_token(
    box: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="emp_edge.registry_sim")
    secret = str(uuid.uuid4())
    results(box, event(payload={"card_id": 1, "note": secret}), event(payload={"card_id": secret}))
    box.get("v1/time")
    lines = [r.getMessage() for r in caplog.records if r.name == "emp_edge.registry_sim"]
    assert "POST /v1/events 200 events=2" in lines
    assert "GET /v1/time 200 events=0" in lines
    assert not [line for line in lines if secret in line or TOKEN in line]


def test_two_schools_are_told_apart_by_their_tokens(sim: Sim) -> None:
    with client(sim[1].url, OTHER_TOKEN) as other:
        sent = event()
        results(other, sent)
    assert [a.school_code for a in sim[0].accepted()] == [OTHER_SCHOOL]


def test_boxes_racing_with_the_same_ids_get_each_accepted_once(sim: Sim) -> None:
    sent = [event() for _ in range(40)]
    verdicts: list[str] = []
    lock = threading.Lock()

    def send(order: list[dict[str, object]]) -> None:
        with client(sim[1].url, TOKEN) as http:
            for start in range(0, len(order), 8):
                answered = results(http, *order[start : start + 8])
                with lock:
                    verdicts.extend(r["status"] for r in answered)

    racers = [threading.Thread(target=send, args=(sent[::step],)) for step in (1, -1, 1, -1)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert verdicts.count("accepted") == 40
    assert verdicts.count("duplicate") == 120
    assert sorted(a.event_id for a in sim[0].accepted()) == sorted(e["event_id"] for e in sent)
