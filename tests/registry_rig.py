"""The registry simulator as a real server on 127.0.0.1, for any test (`from registry_rig import`).

    with running_registry(tmp_path) as (registry, server):
        client = RegistryClient(server.url, "box-token", timeout_s=1)

The registry keeps its SQLite file in ``<tmp_path>/registry``: entering again with the same
``tmp_path`` is the same registry after a restart (what it accepted, it remembers).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emp_edge.registry_sim import Contract, Faults, Registry, RegistryServer

SCHOOL_CODE = "190000000"
TOKEN = "box-token"


@contextmanager
def running_registry(
    tmp_path: Path,
    *,
    school_code: str = SCHOOL_CODE,
    token: str = TOKEN,
    faults: Faults = Faults(),  # noqa: B008 - a frozen dataclass
    tls: tuple[Path, Path] | None = None,
    on_batch: Callable[[list[str]], None] | None = None,
    port: int = 0,
    contract: Contract | None = None,
) -> Iterator[tuple[Registry, RegistryServer]]:
    """A registry knowing one box (``school_code`` with ``token``), served until the block ends."""
    registry = Registry(tmp_path / "registry", contract=contract)
    try:
        registry.add_box(school_code, token)
        with RegistryServer(
            registry, faults=faults, tls=tls, on_batch=on_batch, port=port
        ) as server:
            yield registry, server
    finally:
        registry.close()


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "registry-sim test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "registry-cert.pem", folder / "registry-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file
