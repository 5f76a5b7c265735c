"""The registry contract (docs/registry-api.yaml) against the code.

The file is valid OpenAPI 3.1; it names a payload schema for every event type the code emits
and for no other; the payloads a real school writes (the demo's school plus a walk through every
store write that emits) validate against those schemas, as the registry simulator checks them;
no schema lets personal data through; the roster and answer examples fit their schemas.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_school import Outbox, school_outbox
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from emp_edge.config.terminals import ROLES
from emp_edge.domain import clubs
from emp_edge.domain.canteen import LedgerKind
from emp_edge.domain.card_station import Recipient, Requester
from emp_edge.domain.cards import ReplacementReason
from emp_edge.domain.taps import TapReason, TapResult

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "registry-api.yaml"
SOURCE = ROOT / "src" / "emp_edge"
URI = "urn:emp-edge:registry-api"
Contract = dict[str, Any]
#: never in a payload, at the top level nor in pupils[] (the full chip UID included)
PERSONAL_FIELDS = (
    "personal_code",
    "first_name",
    "last_name",
    "name_surname",
    "birth_date",
    "photo",
    "chip_uid",
)


@pytest.fixture(scope="module")
def contract() -> Contract:
    document: Contract = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return document


def validator(contract: Contract, pointer: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for the schema at ``pointer`` in the contract, as the
    simulator builds it: ``$ref`` resolved through a registry holding the whole document, and
    formats (date, date-time, uuid) checked."""
    registry: Registry[Any] = Registry().with_resource(
        URI, Resource.from_contents(contract, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def payload_validator(contract: Contract, event_type: str) -> Draft202012Validator:
    return validator(contract, f"/x-event-payloads/{event_type}")


def paths(check: Draft202012Validator, instance: object) -> list[list[str | int]]:
    """Where the schema finds fault: the path of each error (the registry's reason names it)."""
    return [list(e.absolute_path) for e in check.iter_errors(instance)]


def errors(check: Draft202012Validator, instance: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(instance)]


# ---------------------------------------------------------------- the types the code emits


def _constants() -> dict[str, set[str]]:
    """Module-level string constants of the package, by name (``OPENED: Final = "..."``)."""
    found: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target, value = None, None
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                target, value = node.target.id, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                name = node.targets[0]
                target, value = (name.id if isinstance(name, ast.Name) else None), node.value
            if target and isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.setdefault(target, set()).add(value.value)
    return found


def _types_of(node: ast.expr, constants: dict[str, set[str]], where: str) -> set[str]:
    """The event types an ``emit``'s first argument can be; fails on a form it cannot read."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and len(constants.get(node.id, ())) == 1:
        return set(constants[node.id])
    if isinstance(node, ast.IfExp):
        return _types_of(node.body, constants, where) | _types_of(node.orelse, constants, where)
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'ledger.{entry.kind}'":
        return {f"ledger.{kind}" for kind in LedgerKind if kind is not LedgerKind.SALE}
    raise AssertionError(f"{where}: cannot tell the event type of emit({ast.unparse(node)})")


def emitted_types() -> set[str]:
    """Every event type ``src/emp_edge`` passes to a ``.emit(...)`` call."""
    constants = _constants()
    types: set[str] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and node.args
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                types |= _types_of(node.args[0], constants, where)
    return types


def test_the_contract_is_valid_openapi_3_1(contract: Contract) -> None:
    assert contract["openapi"] == "3.1.0"
    validate_openapi(contract)
    assert {"/v1/time", "/v1/events", "/v1/roster"} <= set(contract["paths"])
    for schema in contract["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_emitted_type_has_a_payload_schema_and_none_is_stale(contract: Contract) -> None:
    emitted = emitted_types()
    listed = set(contract["x-event-payloads"])
    assert {"tap.decided", "ledger.topup", "nvs.session.opened", "user.enabled"} <= emitted
    assert "ledger.sale" not in emitted  # sales ride on their till's tap.decided
    assert sorted(emitted - listed) == [], "emitted but not in x-event-payloads"
    assert sorted(listed - emitted) == [], "in x-event-payloads but emitted nowhere"


def test_every_payload_schema_refuses_personal_data(contract: Contract) -> None:
    schemas = contract["components"]["schemas"]
    guard = {"$ref": "#/components/schemas/NoPersonalData"}
    for event_type, entry in contract["x-event-payloads"].items():
        name = entry["$ref"].rsplit("/", 1)[-1]
        assert guard in schemas[name].get("allOf", []), f"{event_type}: {name} lacks NoPersonalData"
    assert set(schemas["NoPersonalDataFields"]["properties"]) == set(PERSONAL_FIELDS)


@pytest.mark.parametrize(
    ("schema", "values"),
    [
        ("TapReason", {str(reason) for reason in TapReason}),
        ("TapDecided/properties/result", {str(result) for result in TapResult}),
        ("TapDecided/properties/role", set(ROLES)),
        ("CardReplaced/properties/reason", {str(reason) for reason in ReplacementReason}),
        ("CardIssued/properties/received_role", {str(role) for role in Recipient}),
        ("CardRequested/properties/form", {requester.form for requester in Requester}),
        ("FundingKind", set(clubs.FUNDING_KINDS)),
        ("EnrolmentDeregistered/properties/reason", set(clubs.DEPARTURE_REASONS)),
    ],
)
def test_the_contract_names_exactly_the_codes_the_code_has(
    contract: Contract, schema: str, values: set[str]
) -> None:
    node = contract["components"]["schemas"]
    for part in schema.split("/"):
        node = node[part]
    assert set(node["enum"]) == values


# ---------------------------------------------------------------- real payloads


@pytest.fixture(scope="module")
def school_events(tmp_path_factory: pytest.TempPathFactory) -> Outbox:
    """The outbox of a school built as ``emp-edge demo`` builds it, then walked through every
    store write that emits an event (``contract_school``)."""
    return school_outbox(tmp_path_factory.mktemp("contract-school"))


def test_every_type_has_a_real_payload_here(contract: Contract, school_events: Outbox) -> None:
    assert sorted(set(contract["x-event-payloads"]) - {t for t, _ in school_events}) == []


def test_real_payloads_validate_against_their_schemas(
    contract: Contract, school_events: Outbox
) -> None:
    checks = {t: payload_validator(contract, t) for t in contract["x-event-payloads"]}
    refused = {
        f"{event_type} #{number}": found
        for number, (event_type, payload) in enumerate(school_events)
        if (found := errors(checks[event_type], payload))
    }
    assert refused == {}
    unknown = {p["registry_id"] is None for _, p in school_events if "registry_id" in p}
    assert unknown == {True, False}  # pupils with a registry id and pupils known only here


@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_a_payload_with_personal_data_is_refused_naming_the_field(
    contract: Contract, school_events: Outbox, field: str
) -> None:
    firsts = {event_type: payload for event_type, payload in reversed(school_events)}
    for event_type, payload in firsts.items():
        check = payload_validator(contract, event_type)
        bad = {**payload, field: "39001010000"}
        assert [field] in paths(check, bad), f"{event_type} lets {field} through"
        if payload.get("pupils"):
            inner = copy.deepcopy(payload)
            inner["pupils"][0][field] = "Ona"
            assert ["pupils", 0, field] in paths(check, inner), f"{event_type}: pupils[].{field}"


def test_a_payload_missing_a_field_or_wrongly_typed_is_refused(contract: Contract) -> None:
    check = payload_validator(contract, "nvs.funding.marked")
    good = {
        "enrolment_id": 7,
        "pupil_id": 12,
        "registry_id": None,
        "group_id": 3,
        "ktprr_code": "120100101",
        "school_year": 2026,
        "kind": "basket",
        "new_field": 1,
    }
    assert errors(check, good) == []  # extra properties are forward compatible
    assert any("school_year" in e for e in errors(check, {**good, "school_year": "2026"}))
    missing = {k: v for k, v in good.items() if k != "registry_id"}
    assert any("registry_id" in e for e in errors(check, missing))
    assert errors(
        payload_validator(contract, "pupil.diet_note.set"),
        {"pupil_id": 1, "has_note": True, "note": "Alergija"},
    )


# ---------------------------------------------------------------- the wire's examples


def test_the_roster_examples_fit_and_bad_items_do_not(contract: Contract) -> None:
    check = validator(contract, "/components/schemas/RosterItem")
    page = contract["components"]["examples"]["RosterPage"]["value"]
    assert errors(validator(contract, "/components/schemas/RosterPage"), page) == []
    items = page["items"]
    assert {item["kind"] for item in items} == {
        "class",
        "pupil",
        "meal_entitlement",
        "programme",
        "top_up",
    }
    assert any(item["deleted"] for item in items)
    pupil = next(item for item in items if item["kind"] == "pupil")
    top_up = next(item for item in items if item["kind"] == "top_up")
    for bad in (
        {"kind": "pupil", "key": "MR-1", "deleted": True, "first_name": "Ona"},  # fat tombstone
        {**pupil, "personal_code": "123"},
        {k: v for k, v in pupil.items() if k != "last_name"},
        {**top_up, "amount_cents": 0},
        {**pupil, "kind": "teacher"},
        {**pupil, "deleted": "no"},
    ):
        assert errors(check, bad), bad


def test_the_event_examples_fit(contract: Contract) -> None:
    examples = contract["components"]["examples"]
    batch = examples["EventBatch"]["value"]
    assert errors(validator(contract, "/components/schemas/EventBatch"), batch) == []
    for event in batch["events"]:
        assert errors(payload_validator(contract, event["type"]), event["payload"]) == []
    answers = validator(contract, "/components/schemas/EventResults")
    assert errors(answers, examples["EventResults"]["value"]) == []
    moment = "2026-10-05T15:02:00+00:00"
    for result in (
        {"event_id": "a", "status": "rejected"},  # a rejection always has its reason
        {"event_id": "a", "status": "accepted", "reason": "x"},  # and only a rejection
        {"event_id": "a", "status": "maybe"},
    ):
        assert errors(answers, {"results": [result], "received_at": moment}), result
    assert errors(validator(contract, "/components/schemas/EventBatch"), {"events": []})
