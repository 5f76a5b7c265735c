"""The payload checks of the registry contract: ``x-event-payloads`` of the OpenAPI file.

The file's top-level ``x-event-payloads`` maps each event type to a JSON Schema (Draft 2020-12),
usually a ``$ref`` into ``#/components/schemas/…``; refs resolve against the whole document.
A refusal names the field's path and never the value in it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

#: where the contract document lives in the registry (refs inside it resolve against this)
CONTRACT_URI = "urn:emp-edge:registry-api"
PAYLOADS = "x-event-payloads"


class ContractError(Exception):
    """The contract file is missing, unreadable or not a contract."""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def field_path(parts: Iterable[str | int], *, root: str = "payload") -> str:
    """``payload.pupils[0].registry_id`` from the parts of a path."""
    text = root
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _extra_names(error: ValidationError) -> list[str]:
    instance, schema = error.instance, error.schema
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return []
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        str(name)
        for name in instance
        if name not in known and not any(re.search(p, str(name)) for p in patterns)
    ]


def refusal(error: ValidationError) -> str:
    """A short Lithuanian reason for one schema error: what is wrong, and where."""
    where = field_path(error.absolute_path)
    kind = error.validator
    if kind == "required" and isinstance(error.instance, dict):
        missing = [n for n in error.validator_value if n not in error.instance]
        return f"trūksta privalomo lauko: {where}.{missing[0] if missing else '?'}"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extra = _extra_names(error)
        return (
            f"neleistinas laukas: {where}.{extra[0]}" if extra else f"neleistinas laukas: {where}"
        )
    if kind == "type":
        wanted = error.validator_value
        wanted_text = "|".join(wanted) if isinstance(wanted, list) else str(wanted)
        return f"netinkamas lauko tipas: {where} (turi būti {wanted_text})"
    if kind == "format":
        return f"netinkamas lauko formatas: {where} ({error.validator_value})"
    return f"netinkama lauko reikšmė: {where}"


class Contract:
    """The event types the registry knows, and a check of each type's payload."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        payloads = document.get(PAYLOADS)
        if not isinstance(payloads, dict) or not all(isinstance(k, str) for k in payloads):
            raise ContractError(f"the contract has no {PAYLOADS} mapping of event types")
        resource = referencing.jsonschema.DRAFT202012.create_resource(dict(document))
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            CONTRACT_URI, resource
        )
        self._validators: dict[str, Draft202012Validator] = {}
        resolver = self._registry.resolver(CONTRACT_URI)
        for event_type in payloads:
            pointer = f"{CONTRACT_URI}#/{PAYLOADS}/{_escape(event_type)}"
            schema = {"$ref": pointer}
            try:
                target = resolver.lookup(pointer).contents
                if isinstance(target, dict) and "$ref" in target:
                    resolver.lookup(target["$ref"])
                Draft202012Validator.check_schema(target)
            except referencing.exceptions.Unresolvable as err:
                raise ContractError(f"the schema of {event_type} has a broken $ref: {err}") from err
            except jsonschema.SchemaError as err:
                raise ContractError(f"the schema of {event_type} is not a JSON Schema") from err
            self._validators[event_type] = Draft202012Validator(
                schema,
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )

    @classmethod
    def load(cls, path: Path | None = None) -> Contract:
        """The contract from ``path``, or the one shipped with the simulator."""
        try:
            if path is None:
                text = resources.files(__package__).joinpath("registry-api.yaml").read_text("utf-8")
            else:
                text = path.read_text("utf-8")
            document = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as err:
            raise ContractError(f"cannot read the contract: {err}") from err
        except yaml.YAMLError as err:
            raise ContractError(f"the contract is not YAML: {err}") from err
        if not isinstance(document, dict):
            raise ContractError("the contract is not a YAML mapping")
        return cls(document)

    @classmethod
    def shipped(cls) -> Contract:
        """The contract shipped with the simulator, read once per process."""
        return _shipped()

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._validators)

    def refusal(self, event_type: str, payload: object) -> str | None:
        """Why the registry refuses this payload for this type, or None when it is fine."""
        validator = self._validators.get(event_type)
        if validator is None:
            return f"nežinomas įvykio tipas: {event_type}"
        try:
            error = best_match(validator.iter_errors(payload))
        except referencing.exceptions.Unresolvable:
            return f"registro įvykio tipo schema sugadinta: {event_type}"
        return None if error is None else refusal(error)


@functools.cache
def _shipped() -> Contract:
    return Contract.load()
