"""The simulator's roster over real HTTP: pages by opaque cursor, tombstones, 410 on compaction."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from sim_requests import OTHER_SCHOOL, OTHER_TOKEN, SCHOOL, TOKEN, client

from emp_edge.registry_sim import Contract, Registry, RegistryServer
from registry_rig import running_registry

Sim = tuple[Registry, RegistryServer]


def klass(key: str, label: str = "5a") -> dict[str, Any]:
    grade = int(label[0])
    return {"kind": "class", "key": key, "deleted": False, "school_year": 2026, "grade": grade,
            "letter": label[1:], "label": label}  # fmt: skip


def pupil(key: str, class_key: str | None, last_name: str = "Žemaitė") -> dict[str, Any]:
    return {"kind": "pupil", "key": key, "deleted": False, "first_name": "Ūla",
            "last_name": last_name, "birth_date": "2015-03-04", "sex": "F",
            "personal_code": None, "class_key": class_key}  # fmt: skip


def tombstone(kind: str, key: str) -> dict[str, Any]:
    return {"kind": kind, "key": key, "deleted": True}


def page(http: httpx.Client, cursor: str | None = None, limit: int | None = None) -> Any:
    params: dict[str, str | int] = {}
    if cursor is not None:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = limit
    answer = http.get("v1/roster", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def read_all(http: httpx.Client, cursor: str = "", limit: int = 2) -> tuple[list[Any], str]:
    items: list[Any] = []
    while True:
        document = page(http, cursor, limit)
        items += document["items"]
        cursor = document["next_cursor"]
        if not document["more"]:
            return items, cursor


def test_an_empty_roster_is_one_empty_page(box: httpx.Client) -> None:
    document = page(box)
    assert document["items"] == []
    assert document["more"] is False
    assert 0 < len(document["next_cursor"]) <= 200
    assert page(box, document["next_cursor"])["items"] == []


def test_pages_follow_the_changes_in_order(sim: Sim, box: httpx.Client) -> None:
    items = [klass("c-5a"), pupil("MR-1", "c-5a"), pupil("MR-2", "c-5a"), pupil("MR-3", None)]
    sim[0].put_roster(SCHOOL, items)
    first = page(box, limit=3)
    assert first["items"] == items[:3]
    assert first["more"] is True
    second = page(box, first["next_cursor"], limit=3)
    assert second["items"] == items[3:]
    assert second["more"] is False
    assert page(box, second["next_cursor"], limit=3) == {
        "items": [],
        "next_cursor": second["next_cursor"],
        "more": False,
    }


def test_a_page_exactly_full_says_no_more(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [klass("c-5a"), pupil("MR-1", "c-5a")])
    assert page(box, limit=2)["more"] is False


def test_a_cursor_carries_on_with_later_changes_and_tombstones(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [klass("c-5a"), pupil("MR-1", "c-5a")])
    _, cursor = read_all(box)
    sim[0].put_roster(SCHOOL, [pupil("MR-1", "c-5a", "Žukauskienė"), tombstone("pupil", "MR-1")])
    items, _ = read_all(box, cursor)
    assert items == [pupil("MR-1", "c-5a", "Žukauskienė"), tombstone("pupil", "MR-1")]


def test_a_tombstone_is_kind_key_and_deleted_only(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [dict(pupil("MR-1", None), deleted=True)])
    assert page(box)["items"] == [{"kind": "pupil", "key": "MR-1", "deleted": True}]


def test_a_school_reads_only_its_own_roster(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [klass("c-5a")])
    sim[0].put_roster(OTHER_SCHOOL, [klass("k-6b", "6b")])
    with client(sim[1].url, OTHER_TOKEN) as other:
        assert read_all(other)[0] == [klass("k-6b", "6b")]
    assert read_all(box)[0] == [klass("c-5a")]


def test_the_limit_defaults_to_500_and_is_1_to_1000(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [pupil(f"MR-{n}", None) for n in range(501)])
    assert len(page(box)["items"]) == 500
    for bad in ("0", "1001", "ten", "-1", ""):
        answer = box.get("v1/roster", params={"limit": bad})
        assert (answer.status_code, answer.json()["error"]) == (400, "bad_request"), bad


@pytest.mark.parametrize(
    "cursor",
    [
        "garbled!",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        base64.urlsafe_b64encode(b"1.2.3").decode(),
        "x" * 300,
    ],
)
def test_a_cursor_the_registry_does_not_know_has_expired(box: httpx.Client, cursor: str) -> None:
    answer = box.get("v1/roster", params={"cursor": cursor})
    assert answer.status_code == 410
    assert answer.json()["error"] == "cursor_expired"


def test_a_cursor_from_beyond_the_log_has_expired(sim: Sim, box: httpx.Client) -> None:
    sim[0].put_roster(SCHOOL, [klass("c-5a")])
    cursor = page(box)["next_cursor"]
    epoch, seq = base64.urlsafe_b64decode(cursor + "==").decode().split(".")
    ahead = base64.urlsafe_b64encode(f"{epoch}.{int(seq) + 50}".encode()).decode().rstrip("=")
    assert box.get("v1/roster", params={"cursor": ahead}).status_code == 410


def test_compaction_expires_old_cursors_and_keeps_the_latest_in_order(
    sim: Sim, box: httpx.Client
) -> None:
    registry = sim[0]
    registry.put_roster(SCHOOL, [klass("c-5a"), pupil("MR-1", "c-5a"), pupil("MR-2", "c-5a")])
    _, cursor = read_all(box)
    registry.put_roster(
        SCHOOL,
        [
            klass("c-5a", "5b"),  # the class renamed after its pupils came
            pupil("MR-1", "c-5a", "Žukauskienė"),
            tombstone("pupil", "MR-2"),
            klass("c-6a", "6a"),
        ],
    )
    registry.compact_roster()
    answer = box.get("v1/roster", params={"cursor": cursor})
    assert (answer.status_code, answer.json()["error"]) == (410, "cursor_expired")
    items, fresh = read_all(box)
    assert items == [
        klass("c-5a", "5b"),
        klass("c-6a", "6a"),
        pupil("MR-1", "c-5a", "Žukauskienė"),
        tombstone("pupil", "MR-2"),
    ]
    assert page(box, fresh)["items"] == []


def test_a_cursor_survives_a_restart(tmp_path: Path, tiny_contract: Contract) -> None:
    with running_registry(tmp_path, contract=tiny_contract) as (registry, server):
        registry.put_roster(SCHOOL, [klass("c-5a"), pupil("MR-1", "c-5a")])
        with client(server.url, TOKEN) as http:
            cursor = page(http, limit=1)["next_cursor"]
    with (
        running_registry(tmp_path, contract=tiny_contract) as (_, server),
        client(server.url, TOKEN) as http,
    ):
        assert page(http, cursor)["items"] == [pupil("MR-1", "c-5a")]


def test_a_bad_item_is_served_as_it_was_seeded(sim: Sim, box: httpx.Client) -> None:
    odd = {"kind": "pupil", "deleted": False, "first_name": 5}  # no key: the box must cope
    sim[0].put_roster(SCHOOL, [odd, klass("c-5a")])
    assert page(box)["items"] == [odd, klass("c-5a")]
    sim[0].compact_roster()
    assert page(box)["items"] == [klass("c-5a"), odd]
