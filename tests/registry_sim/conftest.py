"""Fixtures of the registry simulator's tests: the tiny contract, the simulator as a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sim_requests import OTHER_SCHOOL, OTHER_TOKEN, SCHOOL, TINY_CONTRACT, TOKEN, client

from emp_edge.registry_sim import Contract, Registry, RegistryServer
from registry_rig import running_registry


@pytest.fixture
def tiny_contract(tmp_path: Path) -> Contract:
    path = tmp_path / "tiny-registry-api.yaml"
    path.write_text(TINY_CONTRACT, encoding="utf-8")
    return Contract.load(path)


@pytest.fixture
def sim(tmp_path: Path, tiny_contract: Contract) -> Iterator[tuple[Registry, RegistryServer]]:
    """The simulator with the tiny contract, knowing two schools' boxes."""
    with running_registry(tmp_path, school_code=SCHOOL, token=TOKEN, contract=tiny_contract) as (
        registry,
        server,
    ):
        registry.add_box(OTHER_SCHOOL, OTHER_TOKEN)
        yield registry, server


@pytest.fixture
def box(sim: tuple[Registry, RegistryServer]) -> Iterator[httpx.Client]:
    """The first school's box, as plain httpx."""
    with client(sim[1].url, TOKEN) as http:
        yield http
