"""Sync with the registry: pushing the outbox, against plain batched HTTP POSTs of the same
payloads to the same simulator in the same run, and pulling a roster of 10,000 pupils.

Push and the bare POSTs take turns round by round, so a noisy neighbour hurts both alike. The
bare side sends fresh event ids, so the simulator does the same work for both (a duplicate would
be cheaper for it to answer).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from emp_edge.domain.clock import FixedClock
from emp_edge.registry_sim import Registry, RegistryServer
from emp_edge.store import Store
from emp_edge.sync.client import RegistryClient
from emp_edge.sync.pull import pull
from emp_edge.sync.push import push

SCHOOL = "190000000"
TOKEN = "bench-token-0123456789"
BATCH = 200


def _payload(number: int) -> dict[str, object]:
    return {
        "terminal": "valgykla-1",
        "role": "canteen",
        "result": "accepted",
        "reason": "ok",
        "card_id": number % 500 + 1,
    }


def _fill(store: Store, count: int, first: int) -> None:
    with store.transaction() as tx:
        for number in range(first, first + count):
            tx.emit("tap.decided", _payload(number))


def _bare_round(http: httpx.Client, count: int, first: int) -> float:
    """Plain batched POSTs of the same payloads with fresh ids; returns events per second."""
    created = datetime.now(UTC).isoformat()
    bodies = []
    for start in range(first, first + count, BATCH):
        events = [
            {
                "event_id": str(uuid.uuid4()),
                "type": "tap.decided",
                "created_at": created,
                "payload": _payload(n),
            }
            for n in range(start, min(start + BATCH, first + count))
        ]
        bodies.append(json.dumps({"events": events}, separators=(",", ":")).encode())
    started = time.perf_counter()
    for body in bodies:
        answer = http.post("v1/events", content=body)
        answer.raise_for_status()
        answer.json()
    return count / (time.perf_counter() - started)


def _push_round(store: Store, client: RegistryClient, count: int) -> float:
    started = time.perf_counter()
    report = push(store, client, batch_size=BATCH)
    seconds = time.perf_counter() - started
    if report.error is not None or report.acked != count:
        raise RuntimeError(f"push did not deliver the round: {report}")
    return count / seconds


def _roster(pupils: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for grade in range(1, 13):
        for letter in "abc":
            items.append(
                {"kind": "class", "key": f"c{grade}{letter}", "deleted": False,
                 "school_year": 2026, "grade": grade, "letter": letter,
                 "label": f"{grade}{letter}"}
            )  # fmt: skip
    for number in range(pupils):
        items.append(
            {"kind": "pupil", "key": f"MR-{number:06d}", "deleted": False,
             "first_name": "Žydrūnė", "last_name": f"Šalčiūtė-{number}",
             "birth_date": "2014-05-06", "sex": "F", "personal_code": None,
             "class_key": f"c{number % 12 + 1}{'abc'[number % 3]}"}
        )  # fmt: skip
    return items


def run(quick: bool) -> dict[str, object]:
    rounds = 3 if quick else 5
    per_round = 2_000 if quick else 10_000
    pupils = 10_000
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        registry = Registry(base / "registry")
        registry.add_box(SCHOOL, TOKEN)
        registry.put_roster(SCHOOL, _roster(pupils))
        store = Store(base / "box.db", FixedClock(datetime.now(UTC)))
        store.migrate()
        with RegistryServer(registry) as server:
            client = RegistryClient(server.url, TOKEN, timeout_s=60)
            http = httpx.Client(
                base_url=server.url,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
                timeout=60,
            )
            sync_rates: list[float] = []
            bare_rates: list[float] = []
            for number in range(rounds):
                _fill(store, per_round, number * per_round)
                bare_rates.append(_bare_round(http, per_round, number * per_round))
                sync_rates.append(_push_round(store, client, per_round))
            http.close()
            pull_store = Store(base / "pull.db", FixedClock(datetime.now(UTC)))
            pull_store.migrate()
            started = time.perf_counter()
            pulled = pull(pull_store, client, school_code=SCHOOL, page_size=1000)
            pull_s = time.perf_counter() - started
            client.close()
            if pulled.error is not None:
                raise RuntimeError(f"the roster pull failed: {pulled.error}")
            count = pull_store.conn.execute("SELECT count(*) FROM pupils").fetchone()[0]
            if count != pupils:
                raise RuntimeError(f"the roster pull brought {count} pupils, not {pupils}")
            pull_store.close()
        store.close()
        registry.close()
    sync_rate = statistics.median(sync_rates)
    bare_rate = statistics.median(bare_rates)
    return {
        "sync_push_events_per_s": round(sync_rate),
        "bare_http_events_per_s": round(bare_rate),
        "sync_vs_bare_ratio": round(sync_rate / bare_rate, 2),
        "sync_push_events": rounds * per_round,
        "roster_pull_10k_s": round(pull_s, 2),
    }
