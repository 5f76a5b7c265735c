"""Push: the outbox to the registry in order, each batch's answers in one transaction.

A registry played by httpx's MockTransport (it remembers each event id it accepted, forever),
then the registry simulator as a real server on 127.0.0.1; the store is a real SQLite file.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from club_rows import add_group, add_programme, enrol
from club_school import add_pupil
from emp_edge.domain.clock import FixedClock
from emp_edge.errors import RegistryAnswerError, RegistryRefusedError, RegistryUnreachableError
from emp_edge.registry_sim import Faults, Registry
from emp_edge.store import Store
from emp_edge.store.enrolments import set_funding
from emp_edge.store.outbox import StoredEvent, Transaction, backlog, pending_raw
from emp_edge.store.outbox_answers import refused_events, send_again
from emp_edge.store.sync_jobs import Job, job_states, kept_error
from emp_edge.sync.client import RegistryClient
from emp_edge.sync.push import PushReport, push
from registry_rig import running_registry

SECRET = "Petraitytė"  # a name that must never reach a log line
Reply = Callable[[list[dict[str, Any]]], httpx.Response]


class FakeRegistry:
    """The registry's events endpoint: each id accepted once forever, ``duplicate`` after."""

    def __init__(self) -> None:
        self.accepted: set[str] = set()
        self.received: Counter[str] = Counter()
        self.requests: list[list[str]] = []
        self.script: deque[Reply] = deque()  # replies for the next requests, then the normal one
        self.refuse: Callable[[dict[str, Any]], str | None] = lambda event: None
        self.whole: Callable[[list[dict[str, Any]], int], httpx.Response | None] = (
            lambda events, size: None
        )
        self.during: Callable[[], None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["events"]
        self.requests.append([e["event_id"] for e in events])
        if self.during is not None:
            self.during()
        if self.script:
            return self.script.popleft()(events)
        whole = self.whole(events, len(request.content))
        return whole if whole is not None else self.judge(events)

    def judge(self, events: list[dict[str, Any]]) -> httpx.Response:
        results = []
        for event in events:
            event_id = event["event_id"]
            self.received[event_id] += 1
            reason = self.refuse(event)
            if reason:
                results.append({"event_id": event_id, "status": "rejected", "reason": reason})
            elif event_id in self.accepted:
                results.append({"event_id": event_id, "status": "duplicate"})
            else:
                self.accepted.add(event_id)
                results.append({"event_id": event_id, "status": "accepted"})
        return httpx.Response(200, json={"results": results, "received_at": "2026-10-05T07:30:00Z"})

    def client(self) -> RegistryClient:
        return RegistryClient(
            "https://registry.test/", "t0ken", timeout_s=1, transport=httpx.MockTransport(self)
        )


def _status(status: int, code: str = "server_error") -> Reply:
    return lambda events: httpx.Response(status, json={"error": code, "message": "try later"})


def _raise(error: Exception) -> Reply:
    def reply(events: list[dict[str, Any]]) -> httpx.Response:
        raise error

    return reply


def emit(store: Store, count: int, kind: str = "card.issued") -> list[str]:
    with store.transaction() as tx:
        return [tx.emit(kind, {"card_id": n, "who": SECRET}) for n in range(count)]


def outbox(store: Store) -> dict[str, dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT event_id, seq, acked_at, answer, rejected_reason, attempts, last_error FROM outbox"
    )
    keys = ("seq", "acked_at", "answer", "rejected_reason", "attempts", "last_error")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def client(registry: FakeRegistry) -> Iterator[RegistryClient]:
    with registry.client() as c:
        yield c


# ---------------------------------------------------------------------- the plain road
def test_push_sends_the_outbox_in_order_in_batches_and_acknowledges_it(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 7)
    report = push(store, client, batch_size=3)
    assert report == PushReport(sent=7, acked=7, duplicates=0, rejected=0, batches=3, error=None)
    assert registry.requests == [ids[0:3], ids[3:6], ids[6:7]]
    assert backlog(store.conn) == 0
    rows = outbox(store)
    assert {r["answer"] for r in rows.values()} == {"accepted"}
    assert {r["attempts"] for r in rows.values()} == {1}
    state = job_states(store.conn)[Job.PUSH]
    assert state.last_success_at is not None
    assert state.failures == 0
    assert state.last_report["acked"] == 7
    assert state.last_report["batches"] == 3
    assert push(store, client, batch_size=3) == PushReport(error=None)  # nothing left to send
    assert len(registry.requests) == 3


def test_an_empty_outbox_sends_nothing_and_counts_as_a_success(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    assert push(store, client, batch_size=10) == PushReport()
    assert registry.requests == []
    assert job_states(store.conn)[Job.PUSH].last_success_at is not None


def test_events_the_registry_had_already_are_acknowledged_as_duplicates(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 4)
    registry.accepted.update(ids[:2])  # sent before, the answer lost
    report = push(store, client, batch_size=10)
    assert (report.acked, report.duplicates) == (4, 2)
    assert [outbox(store)[i]["answer"] for i in ids] == ["duplicate"] * 2 + ["accepted"] * 2


def test_progress_is_told_after_each_batch(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    emit(store, 5)
    told: list[tuple[int, int]] = []
    push(store, client, batch_size=2, progress=lambda done, total: told.append((done, total)))
    assert told == [(2, 5), (4, 5), (5, 5)]


def test_events_written_while_pushing_wait_for_the_next_run(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    emit(store, 2)
    registry.during = lambda: emit(store, 1, "tap.decided")
    report = push(store, client, batch_size=1)
    assert report.sent == 2
    assert backlog(store.conn) == 2  # written during the run: sent next time


# ---------------------------------------------------------------------- refusals per event
def test_a_refused_event_is_kept_with_the_reason_and_not_sent_again(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 3)
    registry.refuse = lambda e: "nežinomas tipas" if e["payload"]["card_id"] == 1 else None
    report = push(store, client, batch_size=10)
    assert (report.acked, report.rejected, report.error) == (2, 1, None)
    (refused,) = refused_events(store.conn)
    assert (refused.event_id, refused.reason) == (ids[1], "nežinomas tipas")
    assert outbox(store)[ids[1]]["answer"] == "rejected"
    push(store, client, batch_size=10)
    assert registry.received[ids[1]] == 1  # waits for a person
    registry.refuse = lambda e: None
    with store.transaction(require_event=False) as tx:
        send_again(tx, refused.seq, user_id=None, payload={"card_id": 1, "fixed": True})
    report = push(store, client, batch_size=10)
    assert (report.sent, report.acked) == (1, 1)
    assert registry.received[ids[1]] == 2
    assert outbox(store)[ids[1]]["answer"] == "accepted"


def test_a_refused_basket_mark_becomes_a_rejected_mark(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    pupil = add_pupil(store, "Ona", SECRET)  # known only here: no registry id
    enrolment = enrol(store, pupil, add_group(store, add_programme(store)))
    with store.transaction() as tx:
        set_funding(tx, enrolment, ["basket", "municipal"])
    reason = "krepšelio žymos be registro numerio patikrinti negalima"
    registry.refuse = lambda e: (
        reason
        if e["type"] == "nvs.funding.marked"
        and e["payload"]["kind"] == "basket"
        and e["payload"]["registry_id"] is None
        else None
    )
    report = push(store, client, batch_size=50)
    assert report.rejected == 1
    marks = dict(
        store.conn.execute(
            "SELECT kind, state || ':' || coalesce(registry_reason, '') FROM funding_marks"
            " WHERE enrolment_id = ?",
            (enrolment,),
        ).fetchall()
    )
    assert marks == {"basket": f"rejected:{reason}", "municipal": "accepted:"}


def test_events_the_answer_left_out_stay_to_send_and_the_run_says_so(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 4)

    def half(events: list[dict[str, Any]]) -> httpx.Response:
        answered = registry.judge(events[:2]).json()
        answered["results"].append({"event_id": "not-sent", "status": "rejected", "reason": "?"})
        answered["results"].append({"event_id": ids[0], "status": "rejected", "reason": "late"})
        return httpx.Response(200, json=answered)

    registry.script.append(half)
    report = push(store, client, batch_size=4)
    assert (report.sent, report.acked, report.unanswered, report.batches) == (4, 2, 2, 1)
    assert isinstance(report.error, RegistryAnswerError)
    rows = outbox(store)
    assert rows[ids[0]]["answer"] == "accepted"  # the first answer wins
    assert [rows[i]["answer"] for i in ids[2:]] == [None, None]
    assert [rows[i]["attempts"] for i in ids] == [1, 1, 1, 1]
    assert backlog(store.conn) == 2
    assert push(store, client, batch_size=4).acked == 2
    assert backlog(store.conn) == 0
    registry.script.append(lambda events: httpx.Response(200, json={"results": []}))
    more = emit(store, 2)
    report = push(store, client, batch_size=5)
    assert report.unanswered == 2
    assert [outbox(store)[i]["attempts"] for i in more] == [1, 1]
    assert kept_error(outbox(store)[more[0]]["last_error"]).template.startswith(
        "the registry's answer left this event out"
    )
    assert job_states(store.conn)[Job.PUSH].failures == 1
    report = push(store, client, batch_size=5)
    assert (report.sent, report.acked, report.error) == (2, 2, None)


# ---------------------------------------------------------------------- failed batches
def test_a_failed_batch_ends_the_run_and_its_events_stay_noted(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 6)
    registry.script.extend([registry.judge, _status(503)])
    report = push(store, client, batch_size=2)
    assert (report.sent, report.acked, report.batches) == (4, 2, 1)
    assert isinstance(report.error, RegistryRefusedError)
    assert report.error.status == 503
    assert len(registry.requests) == 2  # the third batch waits
    rows = outbox(store)
    failed = kept_error(rows[ids[2]]["last_error"])
    assert failed is not None
    assert failed.params["status"] == 503
    assert (rows[ids[2]]["attempts"], rows[ids[4]]["attempts"]) == (1, 0)
    state = job_states(store.conn)[Job.PUSH]
    assert state.failures == 1
    kept = kept_error(state.last_error)
    assert kept is not None
    assert kept.english == "the registry refused the request: HTTP 503 server_error: try later"
    assert state.last_report["acked"] == 2
    report = push(store, client, batch_size=2)
    assert (report.sent, report.acked, report.error) == (4, 4, None)
    assert job_states(store.conn)[Job.PUSH].failures == 0
    assert Counter(registry.received.values()) == Counter({1: 6})


def test_an_answer_lost_on_the_way_back_is_a_duplicate_next_time(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 3)

    def ack_lost(events: list[dict[str, Any]]) -> httpx.Response:
        registry.judge(events)
        raise httpx.RemoteProtocolError("server disconnected without sending a response")

    registry.script.append(ack_lost)
    report = push(store, client, batch_size=10)
    assert isinstance(report.error, RegistryUnreachableError)
    assert backlog(store.conn) == 3
    report = push(store, client, batch_size=10)
    assert (report.acked, report.duplicates) == (3, 3)
    assert registry.accepted == set(ids)


@pytest.mark.parametrize(
    "reply",
    [
        _raise(httpx.ReadTimeout("timed out")),
        lambda events: httpx.Response(200, content=b'{"results": [{"event_id": 1}]}'),
        _status(401, "unauthorized"),
        _status(429, "slow_down"),
    ],
)
def test_any_sync_error_keeps_every_event_of_the_batch(
    store: Store, registry: FakeRegistry, client: RegistryClient, reply: Reply
) -> None:
    emit(store, 3)
    registry.script.append(reply)
    report = push(store, client, batch_size=10)
    assert report.error is not None
    assert (report.acked, report.rejected, report.batches) == (0, 0, 0)
    assert len(registry.requests) == 1  # not halved: only 400 and 413 are
    assert backlog(store.conn) == 3


# ---------------------------------------------------------------------- halving on 400/413
def test_a_batch_refused_as_malformed_is_halved_to_find_the_one_event(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 8)
    poison = ids[5]

    def whole(events: list[dict[str, Any]], size: int) -> httpx.Response | None:
        if any(e["event_id"] == poison for e in events):
            return httpx.Response(400, json={"error": "bad_request", "message": "event 1: bad"})
        return None

    registry.whole = whole
    report = push(store, client, batch_size=8)
    assert (report.sent, report.acked, report.rejected, report.error) == (8, 7, 1, None)
    assert registry.requests == [ids, ids[:4], ids[4:], ids[4:6], [ids[4]], [poison], ids[6:]]
    assert Counter(registry.received.values()) == Counter({1: 7})
    (refused,) = refused_events(store.conn)
    assert refused.event_id == poison
    assert refused.reason == "the registry refused the request: HTTP 400 bad_request: event 1: bad"


def test_a_batch_too_large_is_halved_and_an_event_too_large_alone_is_kept_refused(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    emit(store, 5)
    with store.transaction() as tx:
        big = tx.emit("card.issued", {"blob": "x" * 5000})
    emit(store, 4)

    def whole(events: list[dict[str, Any]], size: int) -> httpx.Response | None:
        if size > 4000:
            return httpx.Response(413, json={"error": "payload_too_large"})
        return None

    registry.whole = whole
    report = push(store, client, batch_size=20)
    assert (report.sent, report.acked, report.rejected, report.error) == (10, 9, 1, None)
    assert [e.event_id for e in refused_events(store.conn)] == [big]
    assert "HTTP 413 payload_too_large" in refused_events(store.conn)[0].reason
    assert len(registry.requests) <= 1 + 2 * 4  # one request per halving level and side


def test_a_registry_refusing_every_request_keeps_all_but_one_event(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    emit(store, 16)
    registry.whole = lambda events, size: httpx.Response(400, json={"error": "bad_request"})
    report = push(store, client, batch_size=16)
    assert isinstance(report.error, RegistryRefusedError)
    assert report.rejected == 1
    assert backlog(store.conn) == 15
    assert len(registry.requests) < 16


def test_a_refused_first_event_does_not_stop_the_run(
    store: Store, registry: FakeRegistry, client: RegistryClient
) -> None:
    ids = emit(store, 4)
    bad = {ids[0], ids[3]}

    def whole(events: list[dict[str, Any]], size: int) -> httpx.Response | None:
        if bad & {e["event_id"] for e in events}:
            return httpx.Response(400, json={"error": "bad_request"})
        return None

    registry.whole = whole
    report = push(store, client, batch_size=4)
    assert (report.acked, report.rejected, report.error) == (2, 2, None)


# ---------------------------------------------------------------------- logs
def test_the_log_names_counts_and_types_never_a_payload(
    store: Store, registry: FakeRegistry, client: RegistryClient, caplog: pytest.LogCaptureFixture
) -> None:
    emit(store, 3)
    emit(store, 1, "tap.decided")
    registry.refuse = lambda e: "blogai" if e["type"] == "tap.decided" else None
    with caplog.at_level(logging.DEBUG):
        push(store, client, batch_size=10)
    assert SECRET not in caplog.text
    assert "t0ken" not in caplog.text
    assert "events=4" in caplog.text
    assert "types=card.issued:3,tap.decided:1" in caplog.text
    assert "accepted=3 duplicate=0 rejected=1" in caplog.text


# ---------------------------------------------------------------------- fuzz
@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "emp-edge.db"
    store = Store(path, FixedClock(datetime.fromisoformat("2026-10-05T10:30:00+03:00")))
    store.migrate()
    store.close()
    return path


_VERDICT = st.sampled_from(["accepted", "duplicate", "rejected", "ACCEPTED", None, 1])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data(), count=st.integers(1, 7), batch=st.integers(1, 4))
def test_fuzz_a_push_over_fuzzed_answers_leaves_the_outbox_consistent(
    template_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    count: int,
    batch: int,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(template_db, folder / "emp-edge.db")
    store = Store(
        folder / "emp-edge.db", FixedClock(datetime.fromisoformat("2026-10-05T10:30:00+03:00"))
    )
    said: dict[str, set[str]] = {}  # what 200 answers said first about each event
    refused_whole: set[str] = set()  # events sent alone and refused as a whole (400/413)

    def reply(request: httpx.Request) -> httpx.Response:
        sent = [e["event_id"] for e in json.loads(request.content)["events"]]
        kind = data.draw(st.sampled_from(["answers", "junk", "cut", "status", "error"]))
        if kind == "error":
            raise data.draw(st.sampled_from([httpx.ReadError("x"), httpx.ConnectTimeout("x")]))
        if kind == "status":
            status = data.draw(st.sampled_from([400, 413, 401, 500, 503, 204, 302]))
            if status in (400, 413) and len(sent) == 1:
                refused_whole.add(sent[0])
            return httpx.Response(status)
        if kind == "junk":
            return httpx.Response(200, content=data.draw(st.binary(max_size=40)))
        ids = st.sampled_from([*sent, "other"]) | st.text(max_size=3) | st.integers()
        result = st.fixed_dictionaries(
            {"event_id": ids, "status": _VERDICT},
            optional={"reason": st.text(max_size=5) | st.none() | st.integers()},
        )
        results = data.draw(st.lists(result, max_size=len(sent) + 2))
        body = json.dumps({"results": results}).encode()
        if kind == "cut":
            body = body[: data.draw(st.integers(0, len(body)))]
        else:
            seen: set[str] = set()
            for r in results:
                if isinstance(r["event_id"], str) and r["event_id"] not in seen:
                    seen.add(r["event_id"])
                    said.setdefault(r["event_id"], set()).add(str(r["status"]))
        return httpx.Response(200, content=body)

    try:
        ids = emit(store, count)
        client = RegistryClient(
            "https://registry.test/", "t", timeout_s=1, transport=httpx.MockTransport(reply)
        )
        for _ in range(3):
            report = push(store, client, batch_size=batch)
            assert report.sent <= count
        rows = outbox(store)
        assert sorted(rows) == sorted(ids)  # nothing lost, nothing made up
        for event_id, row in rows.items():
            if row["acked_at"] is not None:
                assert said.get(event_id, set()) & {"accepted", "duplicate"}
                assert row["answer"] in ("accepted", "duplicate")
                assert row["rejected_reason"] is None
            elif row["rejected_reason"] is not None:
                assert row["answer"] == "rejected"
                assert "rejected" in said.get(event_id, set()) or event_id in refused_whole
            else:
                assert row["answer"] is None
    finally:
        store.close()
        shutil.rmtree(folder)


# ---------------------------------------------------------------------- the simulator
SIM_TOKEN = "box-token"  # registry_rig's


def taps(tx: Transaction, count: int) -> list[str]:
    """Canteen taps as a till writes them (a type the registry knows)."""
    return [
        tx.emit(
            "tap.decided",
            {
                "terminal": "valgykla-1",
                "role": "canteen",
                "result": "accepted",
                "reason": "ok",
                "card_id": n % 50 + 1,
            },
        )
        for n in range(count)
    ]


def drain(store: Store, client: RegistryClient, *, batch_size: int, runs: int) -> int:
    """Push until nothing waits; how many runs it took."""
    for run in range(1, runs + 1):
        report = push(store, client, batch_size=batch_size)
        if report.error is None and backlog(store.conn) == 0:
            return run
    raise AssertionError(f"{backlog(store.conn)} events still wait after {runs} runs")


def delivered_exactly_once(store: Store, registry: Registry, ids: list[str]) -> None:
    accepted = [event.event_id for event in registry.accepted()]
    assert sorted(accepted) == sorted(ids)  # each once, none lost
    assert {r["answer"] for r in outbox(store).values()} <= {"accepted", "duplicate"}
    assert backlog(store.conn) == 0


@pytest.mark.parametrize(
    "faults",
    [
        Faults.every_kind(0.30, hang_seconds=0.3, seed=30),
        Faults(fail_rate=0.5, seed=1),
        Faults(hang_rate=0.5, hang_seconds=0.3, seed=2),
        Faults(cut_rate=0.5, seed=3),
        Faults(ack_lost_rate=0.5, seed=4),
        Faults(twice_rate=1.0, seed=5),
    ],
    ids=["every-kind-30%", "fail", "hang", "cut", "ack-lost", "twice-always"],
)
def test_push_through_the_simulator_faults_delivers_every_event_once(
    tmp_path: Path, store: Store, faults: Faults
) -> None:
    with store.transaction() as tx:
        ids = taps(tx, 60)
    with (
        running_registry(tmp_path / "registry", faults=faults) as (registry, server),
        RegistryClient(server.url, SIM_TOKEN, timeout_s=0.15) as client,
    ):
        runs = drain(store, client, batch_size=7, runs=80)
        delivered_exactly_once(store, registry, ids)
    assert runs > 1  # the faults did fail runs
    assert job_states(store.conn)[Job.PUSH].failures == 0


def test_an_answer_sent_twice_is_not_taken_for_the_next_batch(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with store.transaction() as tx:
        ids = taps(tx, 4)
    with (
        running_registry(tmp_path / "registry", faults=Faults(twice_rate=1.0)) as (registry, srv),
        RegistryClient(srv.url, SIM_TOKEN, timeout_s=1) as client,
    ):
        report = push(store, client, batch_size=2)
        # the second batch read the first one's answer again: none of it counts, and the
        # client goes on a fresh connection
        assert (report.acked, report.unanswered) == (2, 2)
        assert "reconnecting" in caplog.text
        assert backlog(store.conn) == 2
        report = push(store, client, batch_size=2)
        assert (report.acked, report.duplicates, report.error) == (2, 2, None)
        delivered_exactly_once(store, registry, ids)


def _basket_school(store: Store, registry_id: str | None) -> tuple[int, str]:
    """A pupil in a group with the basket and a municipal mark: (enrolment, basket event id)."""
    pupil = add_pupil(store, "Ona", SECRET, registry_id=registry_id)
    enrolment = enrol(store, pupil, add_group(store, add_programme(store)))
    with store.transaction() as tx:
        set_funding(tx, enrolment, ["basket", "municipal"])
    (basket,) = store.conn.execute(
        "SELECT event_id FROM funding_marks WHERE enrolment_id = ? AND kind = 'basket'",
        (enrolment,),
    ).fetchone()
    return enrolment, str(basket)


def _marks(store: Store, enrolment: int) -> dict[str, tuple[str, str | None]]:
    rows = store.conn.execute(
        "SELECT kind, state, registry_reason FROM funding_marks WHERE enrolment_id = ?",
        (enrolment,),
    )
    return {kind: (state, reason) for kind, state, reason in rows}


def test_the_simulator_refuses_a_basket_it_cannot_check_and_the_mark_becomes_rejected(
    tmp_path: Path, store: Store
) -> None:
    enrolment, basket = _basket_school(store, registry_id=None)
    with (
        running_registry(tmp_path / "registry") as (_, server),
        RegistryClient(server.url, SIM_TOKEN, timeout_s=2) as client,
    ):
        report = push(store, client, batch_size=50)
    assert report.error is None
    refused = {e.event_id: e.reason for e in refused_events(store.conn)}
    assert "nenurodytas mokinio registro numeris" in refused[basket]
    marks = _marks(store, enrolment)
    assert marks["basket"] == ("rejected", refused[basket])
    assert marks["municipal"][0] == "accepted"


def test_a_basket_held_by_another_school_is_refused_and_the_mark_becomes_rejected(
    tmp_path: Path, store: Store
) -> None:
    enrolment, basket = _basket_school(store, registry_id="MR-000123")
    (ours,) = [e for e in pending_raw(store.conn, 100) if e.event_id == basket]
    with running_registry(tmp_path / "registry") as (registry, server):
        registry.add_box("190000009", "other-box")
        with RegistryClient(server.url, "other-box", timeout_s=2) as other:
            other_mark = StoredEvent(1, "7f0b2a4e-8c1d-4c38-9f3e-2f6d7b1c9a10", ours.type,
                                     ours.payload, ours.created_at)  # fmt: skip
            assert other.send_events([other_mark])[0].verdict.value == "accepted"
        assert registry.basket_holder("MR-000123", ours_year(ours)) == "190000009"
        with RegistryClient(server.url, SIM_TOKEN, timeout_s=2) as client:
            report = push(store, client, batch_size=50)
    assert report.error is None
    refused = {e.event_id: e.reason for e in refused_events(store.conn)}
    assert "jau pažymėtas kito teikėjo" in refused[basket]
    assert _marks(store, enrolment)["basket"] == ("rejected", refused[basket])


def ours_year(event: StoredEvent) -> int:
    return int(json.loads(event.payload)["school_year"])


def test_nothing_reaches_the_simulator_without_the_right_token(
    tmp_path: Path, store: Store
) -> None:
    with store.transaction() as tx:
        taps(tx, 3)
    with (
        running_registry(tmp_path / "registry") as (registry, server),
        RegistryClient(server.url, "not-the-token", timeout_s=2) as client,
    ):
        report = push(store, client, batch_size=50)
        assert registry.accepted() == []
    assert isinstance(report.error, RegistryRefusedError)
    assert report.error.status == 401
    assert backlog(store.conn) == 3
    assert job_states(store.conn)[Job.PUSH].failures == 1


def test_an_oversized_event_is_found_by_halving_against_the_simulator(
    tmp_path: Path, store: Store
) -> None:
    with store.transaction() as tx:
        ids = taps(tx, 3)
        big = tx.emit("tap.decided", {"blob": "x" * (9 * 1024 * 1024)})
        ids += taps(tx, 3)
    with (
        running_registry(tmp_path / "registry") as (registry, server),
        RegistryClient(server.url, SIM_TOKEN, timeout_s=5) as client,
    ):
        report = push(store, client, batch_size=10)
        assert (report.acked, report.rejected, report.error) == (6, 1, None)
        assert sorted(e.event_id for e in registry.accepted()) == sorted(ids)
    (refused,) = refused_events(store.conn)
    assert refused.event_id == big
    assert "HTTP 413" in refused.reason
