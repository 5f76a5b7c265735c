"""The one-provider basket rule across schools, as the boxes see it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sim_requests import OTHER_SCHOOL, OTHER_TOKEN, SCHOOL, client, event, mark, results

from emp_edge.registry_sim import Registry, RegistryServer

Sim = tuple[Registry, RegistryServer]
HELD = "mokinio NVŠ krepšelis šiems mokslo metams jau pažymėtas kito teikėjo"


@pytest.fixture
def other(sim: Sim) -> Iterator[httpx.Client]:
    with client(sim[1].url, OTHER_TOKEN) as http:
        yield http


def test_a_basket_held_by_one_school_is_refused_to_another(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    assert results(box, mark(11))[0]["status"] == "accepted"
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL
    refused = results(other, mark(51))[0]
    assert refused["status"] == "rejected"
    assert refused["reason"] == HELD
    assert "MR-000123" not in refused["reason"]
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL


def test_the_basket_is_per_school_year_and_per_pupil(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    results(box, mark(11))
    assert results(other, mark(51, school_year=2027))[0]["status"] == "accepted"
    assert results(other, mark(52, "MR-000999"))[0]["status"] == "accepted"
    assert sim[0].basket_holder("MR-000123", 2027) == OTHER_SCHOOL


def test_the_same_school_may_mark_the_basket_again(box: httpx.Client) -> None:
    results(box, mark(11))
    assert results(box, mark(12))[0]["status"] == "accepted"  # another of its own groups


def test_other_kinds_of_funding_are_not_the_basket(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    results(box, mark(11))
    assert results(other, mark(51, kind="municipal"))[0]["status"] == "accepted"
    assert results(other, mark(52, None, kind="state"))[0]["status"] == "accepted"
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL


def test_a_basket_mark_without_a_registry_id_cannot_be_checked(sim: Sim, box: httpx.Client) -> None:
    refused = results(box, mark(11, None))[0]
    assert refused["status"] == "rejected"
    assert "registro numeris" in refused["reason"]
    assert sim[0].accepted() == []


def test_unmarking_releases_the_basket(sim: Sim, box: httpx.Client, other: httpx.Client) -> None:
    marked = mark(11)
    results(box, marked)
    unmark = event(
        "nvs.funding.unmarked", {"enrolment_id": 11, "marked_event_id": marked["event_id"]}
    )
    assert results(box, unmark)[0]["status"] == "accepted"
    assert sim[0].basket_holder("MR-000123", 2026) is None
    assert results(other, mark(51))[0]["status"] == "accepted"
    assert sim[0].basket_holder("MR-000123", 2026) == OTHER_SCHOOL


def test_another_school_cannot_unmark_a_mark_it_does_not_hold(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    marked = mark(11)
    results(box, marked)
    unmark = event(
        "nvs.funding.unmarked", {"enrolment_id": 11, "marked_event_id": marked["event_id"]}
    )
    results(other, unmark)
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL


def test_deregistration_from_the_enrolment_releases_the_basket(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    results(box, mark(11))
    results(other, event("nvs.enrolment.deregistered", {"enrolment_id": 11}))  # not its enrolment
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL
    results(box, event("nvs.enrolment.deregistered", {"enrolment_id": 12}))  # another enrolment
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL
    results(box, event("nvs.enrolment.deregistered", {"enrolment_id": 11}))
    assert sim[0].basket_holder("MR-000123", 2026) is None
    assert results(other, mark(51))[0]["status"] == "accepted"


def test_a_rejected_or_duplicate_event_changes_nothing(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    marked = mark(11)
    results(box, marked)
    refused = mark(51)
    results(other, refused)
    unmark = event(
        "nvs.funding.unmarked", {"enrolment_id": 51, "marked_event_id": refused["event_id"]}
    )
    results(other, unmark)  # withdrawing a refused mark leaves the holder alone
    assert sim[0].basket_holder("MR-000123", 2026) == SCHOOL
    release = event(
        "nvs.funding.unmarked", {"enrolment_id": 11, "marked_event_id": marked["event_id"]}
    )
    results(box, release)
    assert results(box, marked)[0]["status"] == "duplicate"  # the old mark sent again
    assert sim[0].basket_holder("MR-000123", 2026) is None


def test_a_batch_is_judged_event_by_event_in_order(
    sim: Sim, box: httpx.Client, other: httpx.Client
) -> None:
    marked = mark(11)
    release = event(
        "nvs.funding.unmarked", {"enrolment_id": 11, "marked_event_id": marked["event_id"]}
    )
    assert [r["status"] for r in results(box, marked, release)] == ["accepted", "accepted"]
    assert sim[0].basket_holder("MR-000123", 2026) is None
    again = results(
        other, mark(51), mark(52), event("nvs.enrolment.deregistered", {"enrolment_id": 51})
    )
    assert [r["status"] for r in again] == ["accepted", "accepted", "accepted"]
    assert sim[0].basket_holder("MR-000123", 2026) == OTHER_SCHOOL  # enrolment 52 still holds it
    assert results(box, mark(13))[0]["reason"] == HELD
