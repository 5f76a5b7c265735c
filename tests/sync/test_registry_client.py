"""The registry client: requests as the contract says, every failure turned into a SyncError.

The error mapping is checked with httpx's MockTransport; timeouts, cut bodies, refused
connections and TLS against real sockets on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emp_edge import __version__
from emp_edge.config.loading import load_settings
from emp_edge.errors import (
    ConfigError,
    CursorExpiredError,
    RegistryAnswerError,
    RegistryRefusedError,
    RegistryUnreachableError,
)
from emp_edge.store.outbox import StoredEvent
from emp_edge.store.outbox_answers import Answer, Verdict
from emp_edge.sync.client import RegistryClient, client_from_settings, read_token
from registry_rig import SCHOOL_CODE as SIM_SCHOOL
from registry_rig import TOKEN as SIM_TOKEN
from registry_rig import running_registry, self_signed_cert

TOKEN = "box-token-8f3a"
EVENTS = [
    StoredEvent(1, "e-1", "card.issued", '{"card_id":1}', "2026-10-05T07:30:00+00:00"),
    StoredEvent(
        2, "e-2", "card.returned", '{"card_id":2,"place":"Šiauliai"}', "2026-10-05T07:31:00+00:00"
    ),
]
Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, **options: Any) -> RegistryClient:
    return RegistryClient(
        "https://registry.test/api/",
        TOKEN,
        timeout_s=options.pop("timeout_s", 2.0),
        transport=httpx.MockTransport(handler),
        **options,
    )


def _accept_all(request: httpx.Request) -> httpx.Response:
    events = json.loads(request.content)["events"]
    results = [{"event_id": e["event_id"], "status": "accepted"} for e in events]
    return httpx.Response(200, json={"results": results, "received_at": "2026-10-05T07:30:00Z"})


# ---------------------------------------------------------------------- requests
def test_events_go_as_the_contract_says_with_the_token_and_our_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _accept_all(request)

    with _client(handler) as client:
        answers = client.send_events(EVENTS)
    assert answers == [Answer("e-1", Verdict.ACCEPTED), Answer("e-2", Verdict.ACCEPTED)]
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://registry.test/api/v1/events"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == f"emp-edge/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert [e["payload"] for e in body["events"]] == [
        {"card_id": 1},
        {"card_id": 2, "place": "Šiauliai"},
    ]
    assert "Šiauliai".encode() in request.content


def test_nothing_to_send_sends_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with _client(handler) as client:
        assert client.send_events([]) == []


def test_the_roster_is_read_by_cursor_and_comes_back_raw() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=b'{"items":[],"next_cursor":"c2","more":false}')

    with _client(handler) as client:
        assert client.roster_page(None, 500) == b'{"items":[],"next_cursor":"c2","more":false}'
        client.roster_page("c/1+&x", 20)
    assert seen[0].path == "/api/v1/roster"
    assert dict(seen[0].params) == {"limit": "500"}
    assert dict(seen[1].params) == {"limit": "20", "cursor": "c/1+&x"}


def test_the_registry_clock_is_read() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/time"
        return httpx.Response(200, json={"now": "2026-10-05T10:30:00+03:00"})

    with _client(handler) as client:
        assert client.registry_time() == dt.datetime(2026, 10, 5, 7, 30, tzinfo=dt.UTC)


def test_a_base_url_without_its_slash_gets_one() -> None:
    client = RegistryClient("https://registry.test/api", TOKEN, timeout_s=1)
    assert client.base_url == "https://registry.test/api/"
    client.close()


@pytest.mark.parametrize(
    "url", ["http://registry.test/", "ftp://registry.test/", "registry.test", "https:///x"]
)
def test_plain_http_goes_only_to_this_computer(url: str) -> None:
    with pytest.raises(ConfigError, match="https://host"):
        RegistryClient(url, TOKEN, timeout_s=1)


@pytest.mark.parametrize("token", ["", "two words", "žetonas", "line\nbreak"])
def test_a_token_that_cannot_go_in_a_header_is_refused_without_being_shown(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RegistryClient("https://registry.test/", token, timeout_s=1)
    assert not token or token not in str(caught.value)


# ---------------------------------------------------------------------- error statuses
@pytest.mark.parametrize("status", [400, 404, 413, 429, 500, 503])
def test_an_error_status_is_a_refusal_with_the_registry_words(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "some_code", "message": "what went wrong"})

    with _client(handler) as client, pytest.raises(RegistryRefusedError) as caught:
        client.send_events(EVENTS)
    err = caught.value
    assert type(err) is RegistryRefusedError
    assert err.status == status
    assert str(err) == f"the registry refused the request: HTTP {status} some_code: what went wrong"
    assert err.retryable == (status >= 500 or status == 429)
    assert "card_id" not in str(err)  # never the events sent


def test_a_refused_token_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "unauthorized", "message": "unknown token"})

    with _client(handler) as client, pytest.raises(RegistryRefusedError) as caught:
        client.registry_time()
    assert caught.value.status == 401
    assert "did not accept this box's token" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_an_error_without_json_gives_the_status_phrase() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, content=b"<html>proxy down</html>")

    with _client(handler) as client, pytest.raises(RegistryRefusedError) as caught:
        client.send_events(EVENTS)
    assert str(caught.value) == "the registry refused the request: HTTP 502 Bad Gateway"


def test_gone_on_the_roster_is_an_expired_cursor_and_elsewhere_a_refusal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(410, json={"error": "cursor_expired"})

    with _client(handler) as client:
        with pytest.raises(CursorExpiredError) as caught:
            client.roster_page("old", 500)
        assert caught.value.status == 410
        with pytest.raises(RegistryRefusedError) as other:
            client.send_events(EVENTS)
        assert not isinstance(other.value, CursorExpiredError)


def test_a_redirect_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    with _client(handler) as client, pytest.raises(RegistryRefusedError) as caught:
        client.registry_time()
    assert caught.value.status == 302


# ---------------------------------------------------------------------- unreadable answers
def test_an_answer_over_the_limit_is_refused_by_its_length() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 20_000)

    with (
        _client(handler, max_answer_bytes=16 * 1024) as client,
        pytest.raises(RegistryAnswerError, match="larger than 16 KiB"),
    ):
        client.roster_page(None, 10)


def test_an_answer_over_the_limit_is_refused_while_streaming() -> None:
    chunks_read: list[int] = []

    def endless() -> Iterator[bytes]:
        for n in range(10_000):
            chunks_read.append(n)
            yield b"y" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())  # no Content-Length

    with (
        _client(handler, max_answer_bytes=16 * 1024) as client,
        pytest.raises(RegistryAnswerError, match="larger than 16 KiB"),
    ):
        client.roster_page(None, 10)
    assert len(chunks_read) < 100  # stopped reading, not buffered to the end


def test_a_malformed_answer_is_an_answer_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"results": "all fine"}')

    with _client(handler) as client, pytest.raises(RegistryAnswerError, match="no list"):
        client.send_events(EVENTS)


def test_an_answer_that_cannot_be_decoded_is_an_answer_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip", headers={"Content-Encoding": "gzip"})

    with _client(handler) as client, pytest.raises(RegistryAnswerError, match="decoded"):
        client.registry_time()


# ---------------------------------------------------------------------- no answer (mapped)
@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (httpx.ConnectTimeout("timed out"), "the registry did not answer within 2.0 s"),
        (httpx.ReadTimeout("timed out"), "the registry did not answer within 2.0 s"),
        (httpx.PoolTimeout("timed out"), "the registry did not answer within 2.0 s"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "the registry's TLS certificate could not be verified",
        ),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version"), "TLS handshake"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "refused the connection"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "host name cannot be resolved",
        ),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "cannot connect"),
        (httpx.RemoteProtocolError("peer closed connection"), "broke off"),
        (httpx.ReadError("connection reset"), "broke off"),
        (httpx.WriteError("broken pipe"), "broke off"),
        (httpx.UnsupportedProtocol("nope"), "cannot talk to the registry"),
    ],
)
def test_every_httpx_error_becomes_unreachable(raised: Exception, says: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    with _client(handler) as client, pytest.raises(RegistryUnreachableError, match=says):
        client.send_events(EVENTS)


# ---------------------------------------------------------------------- real sockets
class _Rig(BaseHTTPRequestHandler):
    """A loopback server whose ``behave`` decides each answer."""

    behave: Callable[[BaseHTTPRequestHandler], None]
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        type(self).behave(self)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).behave(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _server(
    behave: Callable[[BaseHTTPRequestHandler], None], tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    handler = type("Rig", (_Rig,), {"behave": staticmethod(behave)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _send_json(handler: BaseHTTPRequestHandler, value: object, status: int = 200) -> None:
    body = json.dumps(value).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _time(handler: BaseHTTPRequestHandler) -> None:
    assert handler.headers["Authorization"] == f"Bearer {TOKEN}"
    _send_json(handler, {"now": "2026-10-05T07:30:00Z"})


def test_a_registry_that_hangs_times_out() -> None:
    release = threading.Event()

    def hang(handler: BaseHTTPRequestHandler) -> None:
        release.wait(5)

    with _server(hang) as url:
        client = RegistryClient(url, TOKEN, timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(RegistryUnreachableError, match=r"did not answer within 0\.3 s"):
            client.registry_time()
        assert time.monotonic() - started < 2
        release.set()
        client.close()


def test_a_body_cut_mid_way_broke_off() -> None:
    def cut(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b'{"results": [{"event_id"')
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True

    with (
        _server(cut) as url,
        RegistryClient(url, TOKEN, timeout_s=1) as client,
        pytest.raises(RegistryUnreachableError, match="broke off"),
    ):
        client.send_events(EVENTS)


def test_a_connection_dropped_before_answering_broke_off() -> None:
    def drop(handler: BaseHTTPRequestHandler) -> None:
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True

    with (
        _server(drop) as url,
        RegistryClient(url, TOKEN, timeout_s=1) as client,
        pytest.raises(RegistryUnreachableError, match="broke off"),
    ):
        client.send_events(EVENTS)


def test_a_registry_not_listening_refuses_the_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        RegistryClient(f"http://127.0.0.1:{port}/", TOKEN, timeout_s=1) as client,
        pytest.raises(RegistryUnreachableError, match="refused the connection"),
    ):
        client.registry_time()


# ---------------------------------------------------------------------- TLS
def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("test registry CA"))
        .issuer_name(name("test registry CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return _certificates(tmp_path_factory.mktemp("tls"))


def _server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_with_the_ca_file_set_is_trusted(tls_files: tuple[Path, Path, Path]) -> None:
    ca, cert, key = tls_files
    with (
        _server(_time, _server_tls(cert, key)) as url,
        RegistryClient(url, TOKEN, timeout_s=2, ca_file=ca) as client,
    ):
        assert client.registry_time().year == 2026


def test_tls_with_an_unknown_ca_is_refused(tls_files: tuple[Path, Path, Path]) -> None:
    _, cert, key = tls_files
    with (
        _server(_time, _server_tls(cert, key)) as url,
        RegistryClient(url, TOKEN, timeout_s=2) as client,  # the system's CAs only
        pytest.raises(RegistryUnreachableError, match="certificate could not be verified"),
    ):
        client.registry_time()


def test_an_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match="cannot read the CA certificates") as caught:
        RegistryClient("https://registry.test/", TOKEN, timeout_s=1, ca_file=bad)
    assert str(bad) in str(caught.value)
    with pytest.raises(ConfigError, match="cannot read the CA certificates"):
        RegistryClient("https://registry.test/", TOKEN, timeout_s=1, ca_file=tmp_path / "none")


# ---------------------------------------------------------------------- the token file
def _token_file(folder: Path, text: str, mode: int = 0o600) -> Path:
    path = folder / "registry.token"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_the_token_is_read_from_a_private_file(tmp_path: Path) -> None:
    assert read_token(_token_file(tmp_path, f"{TOKEN}\n")) == TOKEN
    assert read_token(_token_file(tmp_path, TOKEN, 0o400)) == TOKEN


@pytest.mark.parametrize(
    ("text", "mode", "says"),
    [
        (TOKEN, 0o644, "can be read by others: chmod 600 it"),
        (TOKEN, 0o640, "can be read by others: chmod 600 it"),
        (TOKEN, 0o604, "can be read by others: chmod 600 it"),
        ("", 0o600, "is empty"),
        ("  \n", 0o600, "is empty"),
        (f"{TOKEN}\nsecond-{TOKEN}", 0o600, "the box's token alone"),
        (f"{TOKEN}ž", 0o600, "the box's token alone"),
        (TOKEN * 1000, 0o600, "longer than a token"),
    ],
)
def test_a_bad_token_file_names_the_file_and_chmod_never_the_token(
    tmp_path: Path, text: str, mode: int, says: str
) -> None:
    path = _token_file(tmp_path, text, mode)
    with pytest.raises(ConfigError, match=says) as caught:
        read_token(path)
    assert str(path) in str(caught.value)
    assert "chmod 600" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_missing_token_file_or_a_folder_says_what_to_do(tmp_path: Path) -> None:
    for path, says in (
        (tmp_path / "none.token", "no registry token file"),
        (tmp_path, "not a file"),
    ):
        with pytest.raises(ConfigError, match=says) as caught:
            read_token(path)
        assert str(path) in str(caught.value)
        assert "chmod 600" in str(caught.value)


def test_an_unreadable_token_file_says_what_to_do(tmp_path: Path) -> None:
    # a path through a file cannot be opened, whoever runs the test (root reads a 0000 file)
    path = _token_file(tmp_path, TOKEN) / "token"
    with pytest.raises(ConfigError, match="cannot read the registry token file") as caught:
        read_token(path)
    assert "chmod 600" in str(caught.value)


# ---------------------------------------------------------------------- from the settings
def test_sync_is_off_with_no_registry_address(tmp_path: Path) -> None:
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"^sync is off: sync.registry_url is empty$"):
        client_from_settings(settings)


def test_the_client_from_the_settings_uses_the_token_in_the_data_folder(tmp_path: Path) -> None:
    _token_file(tmp_path, TOKEN)
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path)}).replace(
        sync__registry_url="https://registry.test/api",
        sync__timeout_ms=1500,
        sync__max_answer_kb=16,
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"now": "2026-10-05T07:30:00Z"})

    with client_from_settings(settings, transport=httpx.MockTransport(handler)) as client:
        client.registry_time()
        assert client.timeout_s == 1.5
        assert client.max_answer_bytes == 16 * 1024
    assert str(seen[0].url) == "https://registry.test/api/v1/time"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_client_from_the_settings_reads_the_token_file_and_ca_file_set(
    tmp_path: Path, tls_files: tuple[Path, Path, Path]
) -> None:
    ca, cert, key = tls_files
    token_file = _token_file(tmp_path, TOKEN, 0o644)
    with _server(_time, _server_tls(cert, key)) as url:
        settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path)}).replace(
            sync__registry_url=url, sync__token_file=str(token_file), sync__ca_file=str(ca)
        )
        with pytest.raises(ConfigError, match="chmod 600"):
            client_from_settings(settings)
        token_file.chmod(0o600)
        with client_from_settings(settings) as client:
            assert client.registry_time().year == 2026


# ---------------------------------------------------------------------- the simulator
def test_the_simulator_over_tls_is_trusted_with_its_certificate_as_the_ca_file(
    tmp_path: Path,
) -> None:
    cert, key = self_signed_cert(tmp_path / "tls")
    with running_registry(tmp_path / "registry", tls=(cert, key)) as (_, server):
        assert server.url.startswith("https://127.0.0.1:")
        with RegistryClient(server.url, SIM_TOKEN, timeout_s=2, ca_file=cert) as client:
            moment = client.registry_time()
            assert abs((moment - dt.datetime.now(dt.UTC)).total_seconds()) < 60
        with (
            RegistryClient(server.url, SIM_TOKEN, timeout_s=2) as client,
            pytest.raises(RegistryUnreachableError, match="certificate could not be verified"),
        ):
            client.registry_time()


def test_the_simulator_roster_is_read_and_a_compacted_cursor_has_expired(tmp_path: Path) -> None:
    item = {"kind": "class", "key": "c-5a", "deleted": False, "school_year": 2026, "grade": 5,
            "letter": "a", "label": "5a"}  # fmt: skip
    with (
        running_registry(tmp_path / "registry") as (registry, server),
        RegistryClient(server.url, SIM_TOKEN, timeout_s=2) as client,
    ):
        registry.put_roster(SIM_SCHOOL, [item, {**item, "label": "5 a"}])
        page = json.loads(client.roster_page(None, 1))
        assert page["items"] == [item]
        assert page["more"] is True
        registry.compact_roster()
        with pytest.raises(CursorExpiredError) as caught:
            client.roster_page(page["next_cursor"], 1)
        assert caught.value.status == 410
        assert json.loads(client.roster_page(None, 10))["items"] == [{**item, "label": "5 a"}]


def test_the_simulator_refuses_a_wrong_token(tmp_path: Path) -> None:
    with (
        running_registry(tmp_path / "registry") as (_, server),
        RegistryClient(server.url, "wrong-token", timeout_s=2) as client,
        pytest.raises(RegistryRefusedError, match="did not accept this box's token") as caught,
    ):
        client.registry_time()
    assert caught.value.status == 401
    assert "wrong-token" not in str(caught.value)
