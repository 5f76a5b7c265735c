"""The registry as a real HTTP server on 127.0.0.1, with faults drawn per request.

Stdlib ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive, a daemon thread per connection), plain or
TLS. Each request gets one random draw from ``random.Random(faults.seed)``: it may fail (500/503,
nothing processed), hang (nothing processed, silence), be cut (processed, half the body), lose its
answer (processed and committed, the connection drops), or be answered twice. One log line per
request: method, path, status, number of events, fault — never a payload or a token.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from emp_edge.registry_sim.faults import Fault, Faults
from emp_edge.registry_sim.registry import Registry, utc_now
from emp_edge.registry_sim.roster import ExpiredCursorError
from emp_edge.registry_sim.wire import (
    MAX_BODY,
    Answer,
    BadRequestError,
    error,
    read_batch,
    read_roster_query,
)

log = logging.getLogger("emp_edge.registry_sim")

HOST = "127.0.0.1"
#: a too-large body up to this size is read and dropped, so the client sees the 413
DRAIN_LIMIT = 64 * 1024 * 1024
ROUTES = {"/v1/time": "GET", "/v1/events": "POST", "/v1/roster": "GET"}

OnBatch = Callable[[list[str]], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, sim: RegistryServer, port: int) -> None:
        self.sim = sim
        super().__init__((HOST, port), _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS look-up of the address
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended badly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "emp-edge-registry-sim"
    timeout = 60  # an idle keep-alive connection is closed after this
    server: _Server

    # ------------------------------------------------------------ connection

    def setup(self) -> None:
        super().setup()
        self.server.sim._opened(self.connection)

    def handle(self) -> None:
        try:
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()
            super().handle()
        except (ssl.SSLError, OSError) as err:
            log.debug("connection dropped: %s", type(err).__name__)
            self.close_connection = True

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            self.server.sim._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)

    # ------------------------------------------------------------ requests

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        sim = self.server.sim
        path, _, query = self.path.partition("?")
        body = self._read_body()
        if body is None:
            return
        if isinstance(body, Answer):
            self._deliver(method, path, body, None)
            return
        faults, fault, draw = sim._draw()
        if fault is Fault.FAIL:
            status = faults.fail_status(draw)
            code = "internal_error" if status == 500 else "unavailable"
            self._deliver(method, path, error(status, code), fault)
            return
        if fault is Fault.HANG:
            log.info("%s %s - fault=hang", method, path)
            sim._stopping.wait(faults.hang_seconds)
            self.close_connection = True
            return
        try:
            answer = self._answer(method, path, query, body)
        except Exception:  # the server's edge: any failure is a 500 answer
            log.exception("%s %s failed", method, path)
            answer = error(500, "internal_error")
        self._deliver(method, path, answer, fault)

    def _read_body(self) -> bytes | Answer | None:
        """The request's body; an error Answer when it cannot be read; None when the client left."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return error(411, "length_required")
        text = self.headers.get("Content-Length")
        if text is None:
            if self.command == "POST":
                self.close_connection = True
                return error(411, "length_required")
            return b""
        if not (text.isascii() and text.isdigit()):
            self.close_connection = True
            return error(400, "bad_request", "netinkamas Content-Length")
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True
            if length <= DRAIN_LIMIT:
                left = length
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    left -= len(chunk)
            return error(413, "payload_too_large")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _answer(self, method: str, path: str, query: str, body: bytes) -> Answer:
        sim = self.server.sim
        wanted = ROUTES.get(path)
        if wanted is None:
            return error(404, "not_found")
        if method != wanted:
            return Answer(405, error(405, "method_not_allowed").document, headers={"Allow": wanted})
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        school = sim.registry.school_of(token.strip()) if scheme.lower() == "bearer" else None
        if school is None:
            return error(401, "unauthorized")
        if path == "/v1/time":
            return Answer(200, {"now": utc_now()})
        if path == "/v1/roster":
            try:
                cursor, limit = read_roster_query(query)
                page = sim.registry.roster_page(school, cursor, limit)
            except BadRequestError as err:
                return error(400, "bad_request", str(err))
            except ExpiredCursorError:
                return error(410, "cursor_expired")
            document = {"items": page.items, "next_cursor": page.next_cursor, "more": page.more}
            return Answer(200, document, len(page.items), "items")
        try:
            events = read_batch(body)
        except BadRequestError as err:
            return error(400, "bad_request", str(err))
        batch = sim.registry.receive(school, events)
        if sim.on_batch is not None:
            sim.on_batch([result.event_id for result in batch.results])
        results = [result.to_wire() for result in batch.results]
        return Answer(200, {"results": results, "received_at": batch.received_at}, len(events))

    def _deliver(self, method: str, path: str, answer: Answer, fault: Fault | None) -> None:
        body = answer.body()
        close = self.close_connection or answer.status in (411, 413) or fault is Fault.CUT
        lines = [
            f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in answer.headers.items()),
        ]
        if close:
            lines.append("Connection: close")
        whole = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        # logged before the answer goes: a client never sees an answer before its log line
        shown = f" fault={fault.value}" if fault else ""
        log.info(
            "%s %s %d %s=%d%s", method, path, answer.status, answer.counted, answer.count, shown
        )
        if fault is Fault.ACK_LOST:
            self.close_connection = True
        elif fault is Fault.CUT:
            self.wfile.write(whole[: len(whole) - len(body) + len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(whole * 2 if fault is Fault.TWICE else whole)
            self.close_connection = close


class RegistryServer:
    """The simulator served on 127.0.0.1 (only): ``with RegistryServer(registry) as server: …``."""

    def __init__(
        self,
        registry: Registry,
        *,
        faults: Faults = Faults(),  # noqa: B008 - a frozen dataclass
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
        on_batch: OnBatch | None = None,
        host: str = HOST,
    ) -> None:
        if host != HOST:
            raise ValueError(f"the registry simulator listens on {HOST} only, not {host!r}")
        self.registry = registry
        self.on_batch = on_batch
        self._port = port
        self._tls = tls
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.seed)  # noqa: S311 - faults, not secrets
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311 - faults, not secrets

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the registry simulator is not started")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{HOST}:{self._port}/"

    def start(self) -> RegistryServer:
        if self._httpd is not None:
            raise RuntimeError("the registry simulator is already started")
        self._stopping.clear()
        httpd = _Server(self, self._port)
        if self._tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(self._tls[0], self._tls[1])
            except (OSError, ssl.SSLError):
                httpd.server_close()
                raise
            httpd.socket = context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._port = int(httpd.server_address[1])  # a restart keeps the port
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"registry-sim:{self._port}",
            daemon=True,
        )
        self._thread.start()
        log.info("registry simulator listening on %s (%s)", self.url, self._faults)
        return self

    def stop(self) -> None:
        """Stop serving: hanging requests wake up, open connections are closed."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        with self._lock:
            open_now = dict(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for handler in open_now.values():
            handler.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ for the handlers

    def _draw(self) -> tuple[Faults, Fault | None, float]:
        with self._lock:
            faults, draw = self._faults, self._rng.random()
        return faults, faults.pick(draw), draw

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections[connection] = threading.current_thread()
            stopping = self._stopping.is_set()
        if stopping:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)
