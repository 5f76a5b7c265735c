"""The payload checks read from a contract's ``x-event-payloads``: loading, refs, reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_requests import TINY_CONTRACT

from emp_edge.registry_sim import Contract, ContractError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_contract_loads_with_the_event_types() -> None:
    types = Contract.load().event_types
    assert {"canteen.free_meals.daily", "nvs.funding.marked"} <= types


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("openapi: [unclosed", "not YAML"),
        ("- a list\n", "not a YAML mapping"),
        ("openapi: 3.1.0\npaths: {}\n", "no x-event-payloads"),
        ("x-event-payloads: [a, b]\n", "no x-event-payloads"),
        ("x-event-payloads:\n  a.b: {$ref: '#/components/schemas/Gone'}\n", "broken $ref"),
        ("x-event-payloads:\n  a.b: {type: 5}\n", "not a JSON Schema"),
    ],
)
def test_what_is_not_a_contract_is_refused(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ContractError, match=said.replace("$", r"\$")):
        Contract.load(write(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="cannot read"):
        Contract.load(tmp_path / "nowhere.yaml")


@pytest.mark.parametrize(
    ("event_type", "payload", "reason"),
    [
        ("tap.decided", {"card_id": 1}, None),
        ("tap.decided", {"card_id": 1, "more": "allowed here"}, None),
        (
            "nvs.funding.marked",
            {"enrolment_id": 1, "registry_id": None, "school_year": 2026, "kind": "gift"},
            "netinkama lauko reikšmė: payload.kind",
        ),
        (
            "nvs.funding.marked",
            {"enrolment_id": 1, "registry_id": None, "kind": "basket"},
            "trūksta privalomo lauko: payload.school_year",
        ),
        (
            "canteen.free_meals.daily",
            {"day": "2026-10-05", "pupils": [{"pupil_id": 1}]},
            "trūksta privalomo lauko: payload.pupils[0].registry_id",
        ),
        ("canteen.free_meals.daily", [], "netinkamas lauko tipas: payload (turi būti object)"),
        ("card.issued", {}, "nežinomas įvykio tipas: card.issued"),
    ],
)
def test_reasons_name_what_and_where(
    tiny_contract: Contract, event_type: str, payload: Any, reason: str | None
) -> None:
    assert tiny_contract.refusal(event_type, payload) == reason


def test_a_schema_written_in_place_and_refs_between_schemas(tmp_path: Path) -> None:
    text = TINY_CONTRACT + (
        "    Wrapper:\n"
        "      type: object\n"
        "      properties:\n"
        "        inner: {$ref: '#/components/schemas/Tap'}\n"
    )
    text = text.replace(
        "x-event-payloads:\n",
        "x-event-payloads:\n  test.wrapped: {$ref: '#/components/schemas/Wrapper'}\n",
    )
    contract = Contract.load(write(tmp_path, text))
    assert contract.refusal("test.wrapped", {"inner": {"card_id": 3}}) is None
    assert (
        contract.refusal("test.wrapped", {"inner": {}})
        == "trūksta privalomo lauko: payload.inner.card_id"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.from_regex(r"V\d{6}", fullmatch=True),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_FIELDS = ("card_id", "day", "pupils", "pupil_id", "registry_id", "enrolment_id",
                "school_year", "kind", "marked_event_id")  # fmt: skip


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


@settings(max_examples=60, deadline=None)
@given(
    event_type=st.sampled_from(
        ["tap.decided", "nvs.funding.marked", "canteen.free_meals.daily", "x.y"]
    ),
    payload=json_values
    | st.fixed_dictionaries({}, optional={name: json_values for name in KNOWN_FIELDS}),
)
def test_any_payload_gets_a_verdict_and_the_reason_never_shows_a_value(
    tiny_contract_for_hypothesis: Contract, event_type: str, payload: Any
) -> None:
    reason = tiny_contract_for_hypothesis.refusal(event_type, payload)
    assert reason is None or isinstance(reason, str)
    for value in _strings(payload):
        assert value not in (reason or "")


@pytest.fixture(scope="module")
def tiny_contract_for_hypothesis(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return Contract.load(write(tmp_path_factory.mktemp("contract"), TINY_CONTRACT))
