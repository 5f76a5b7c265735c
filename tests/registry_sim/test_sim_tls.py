"""The simulator over TLS: a box trusting the registry's certificate is served; no other is."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from sim_requests import TOKEN, event

from emp_edge.registry_sim import Contract, Registry, RegistryServer
from registry_rig import running_registry, self_signed_cert


def test_a_box_trusting_the_certificate_is_served(tmp_path: Path, tiny_contract: Contract) -> None:
    cert, key = self_signed_cert(tmp_path / "tls")
    with running_registry(tmp_path, contract=tiny_contract, tls=(cert, key)) as (registry, server):
        assert server.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(cert))
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server.url, headers=headers, verify=trusted, timeout=5) as http:
            assert http.get("v1/time").status_code == 200
            answer = http.post("v1/events", json={"events": [event()]})
            assert answer.json()["results"][0]["status"] == "accepted"
        assert len(registry.accepted()) == 1


def test_default_verification_refuses_the_self_signed_registry(
    tmp_path: Path, tiny_contract: Contract
) -> None:
    cert, key = self_signed_cert(tmp_path / "tls")
    with running_registry(tmp_path, contract=tiny_contract, tls=(cert, key)) as (registry, server):
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(server.url + "v1/time", headers={"Authorization": f"Bearer {TOKEN}"})
        plain = server.url.replace("https://", "http://")
        with pytest.raises(httpx.HTTPError):  # plain HTTP to the TLS port gets no answer
            httpx.get(plain + "v1/time", timeout=1)
        # the failed handshakes did not hurt the server
        trusted = ssl.create_default_context(cafile=str(cert))
        assert httpx.get(server.url + "v1/time", verify=trusted, timeout=5).status_code == 401
        assert registry.received_counts() == {}


def test_a_bad_key_pair_does_not_start(tmp_path: Path, tiny_contract: Contract) -> None:
    cert, _ = self_signed_cert(tmp_path / "one")
    _, other_key = self_signed_cert(tmp_path / "two")
    registry = Registry(tmp_path / "registry", contract=tiny_contract)
    try:
        with pytest.raises(ssl.SSLError):
            RegistryServer(registry, tls=(cert, other_key)).start()
    finally:
        registry.close()
