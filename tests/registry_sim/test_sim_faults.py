"""Each fault of the simulator, as a box's HTTP client meets it."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from sim_requests import TOKEN, client, event, results

from emp_edge.registry_sim import Contract, Fault, Faults, Registry, RegistryServer
from registry_rig import running_registry

Sim = tuple[Registry, RegistryServer]


# ---------------------------------------------------------------- the switches


def test_every_kind_splits_the_total_evenly() -> None:
    faults = Faults.every_kind(0.30, hang_seconds=0.5, seed=3)
    assert list(faults.rates().values()) == [pytest.approx(0.06)] * 5
    assert (faults.hang_seconds, faults.seed) == (0.5, 3)


@pytest.mark.parametrize(
    "wrong",
    [
        {"fail_rate": 1.5},
        {"cut_rate": -0.1},
        {"fail_rate": 0.6, "hang_rate": 0.6},
        {"twice_rate": float("nan")},
        {"hang_seconds": -1.0},
    ],
)
def test_impossible_switches_are_refused(wrong: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"rate|hang_seconds"):
        Faults(**wrong)


def test_a_draw_falls_on_one_fault_or_none() -> None:
    faults = Faults(fail_rate=0.1, hang_rate=0.1, cut_rate=0.1, ack_lost_rate=0.1, twice_rate=0.1)
    assert [faults.pick(d) for d in (0.05, 0.15, 0.25, 0.35, 0.45, 0.55)] == [
        Fault.FAIL,
        Fault.HANG,
        Fault.CUT,
        Fault.ACK_LOST,
        Fault.TWICE,
        None,
    ]
    assert (faults.fail_status(0.01), faults.fail_status(0.09)) == (500, 503)


def test_the_server_binds_127_0_0_1_only(tmp_path: Path, tiny_contract: Contract) -> None:
    registry = Registry(tmp_path / "registry", contract=tiny_contract)
    try:
        for host in ("0.0.0.0", "::", "localhost", "192.168.1.10"):
            with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
                RegistryServer(registry, host=host)
    finally:
        registry.close()


# ---------------------------------------------------------------- each fault, from the client


def test_fail_answers_500_or_503_and_processes_nothing(sim: Sim, box: httpx.Client) -> None:
    sim[1].faults = Faults(fail_rate=1.0, seed=1)
    statuses = set()
    for _ in range(12):
        answer = box.post("v1/events", json={"events": [event()]})
        statuses.add(answer.status_code)
        assert answer.json()["error"] in ("internal_error", "unavailable")
    assert statuses == {500, 503}
    assert sim[0].received_counts() == {}


def test_hang_leaves_the_client_to_time_out_and_processes_nothing(sim: Sim) -> None:
    sim[1].faults = Faults(hang_rate=1.0, hang_seconds=1.0)
    with client(sim[1].url, TOKEN, timeout=0.3) as http:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            http.post("v1/events", json={"events": [event()]})
        assert time.monotonic() - started < 0.9
    assert sim[0].received_counts() == {}


def test_a_hanging_request_closes_its_connection_when_the_hang_ends(sim: Sim) -> None:
    sim[1].faults = Faults(hang_rate=1.0, hang_seconds=0.2)
    with client(sim[1].url, TOKEN, timeout=3) as http, pytest.raises(httpx.RemoteProtocolError):
        http.get("v1/time")


def test_stop_does_not_wait_for_hanging_requests(tmp_path: Path, tiny_contract: Contract) -> None:
    errors: list[BaseException] = []
    with running_registry(
        tmp_path, contract=tiny_contract, faults=Faults(hang_rate=1.0, hang_seconds=30)
    ) as (_, server):

        def ask() -> None:
            try:
                with client(server.url, TOKEN, timeout=10) as http:
                    http.get("v1/time")
            except httpx.HTTPError as err:
                errors.append(err)

        waiting = [threading.Thread(target=ask) for _ in range(3)]
        for thread in waiting:
            thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
    for thread in waiting:
        thread.join(timeout=5)
    assert len(errors) == 3  # each was cut off, none answered


def test_cut_processes_the_batch_and_sends_half_the_body(sim: Sim, box: httpx.Client) -> None:
    sim[1].faults = Faults(cut_rate=1.0)
    sent = [event(), event()]
    with pytest.raises(httpx.RemoteProtocolError):
        box.post("v1/events", json={"events": sent})
    assert {a.event_id for a in sim[0].accepted()} == {e["event_id"] for e in sent}
    sim[1].faults = Faults()
    assert [r["status"] for r in results(box, *sent)] == ["duplicate", "duplicate"]


def test_cut_shows_as_an_incomplete_body_with_the_full_length(sim: Sim) -> None:
    sim[1].faults = Faults(cut_rate=1.0)
    head, body = raw_exchange(sim[1], b"GET /v1/time HTTP/1.1\r\n", b"")
    length = int(header(head, "Content-Length"))
    assert 0 < len(body) < length


def test_ack_lost_commits_then_drops_the_connection(sim: Sim, box: httpx.Client) -> None:
    sim[1].faults = Faults(ack_lost_rate=1.0)
    sent = event()
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        box.post("v1/events", json={"events": [sent]})
    assert [a.event_id for a in sim[0].accepted()] == [sent["event_id"]]
    sim[1].faults = Faults()
    assert results(box, sent)[0]["status"] == "duplicate"


def test_twice_writes_the_whole_answer_twice(sim: Sim, box: httpx.Client) -> None:
    sim[1].faults = Faults(twice_rate=1.0)
    sent = event()
    assert results(box, sent)[0]["status"] == "accepted"  # the client reads the first copy
    # the second copy waits on the kept-alive connection: httpx takes it for the next answer
    assert results(box, sent)[0]["status"] == "accepted"
    with client(sim[1].url, TOKEN) as fresh:
        assert results(fresh, sent)[0]["status"] == "duplicate"
    body = f'{{"events": [{json.dumps(event())}]}}'.encode()
    request = b"POST /v1/events HTTP/1.1\r\nContent-Type: application/json\r\n"
    head, rest = raw_exchange(sim[1], request, body)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert rest.count(b"HTTP/1.1 200 OK\r\n") == 1  # a second answer follows the first body
    assert rest.count(b'"status":"accepted"') == 2


def test_the_same_seed_gives_the_same_faults(tmp_path: Path, tiny_contract: Contract) -> None:
    def outcomes(seed: int) -> list[int]:
        seen = []
        with (
            running_registry(
                tmp_path / str(seed),
                contract=tiny_contract,
                faults=Faults(fail_rate=0.5, seed=seed),
            ) as (_, server),
            client(server.url, TOKEN) as http,
        ):
            for _ in range(16):
                seen.append(http.get("v1/time").status_code)
        return seen

    first = outcomes(7)
    assert first == outcomes(7)
    assert 200 in first
    assert {500, 503} & set(first)


# ---------------------------------------------------------------- raw HTTP, for what httpx hides


def header(head: bytes, name: str) -> str:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    raise AssertionError(f"no {name} header")


def raw_exchange(server: RegistryServer, request: bytes, body: bytes) -> tuple[bytes, bytes]:
    """One request on a fresh socket; (head of the answer, everything after the head)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
        sock.sendall(
            request
            + f"Host: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n".encode()
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    return head, rest
