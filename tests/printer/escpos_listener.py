"""Network receipt printers on 127.0.0.1 for the tests: real TCP listeners in a thread.

``EscposListener`` accepts connections like a printer's port 9100, keeps every byte it gets and
answers the paper status query (``DLE EOT 4``) with the status byte it is set to give. With
``deaf=True`` it accepts and never reads or answers: a printer that hangs.

Imported as ``from escpos_listener import …`` (pytest puts this folder on the path).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PAPER_QUERY = b"\x10\x04\x04"
PAPER_OK = 0x12
PAPER_NEAR_END = 0x1E
PAPER_END = 0x72


class EscposListener:
    def __init__(self, *, answers: list[int] | None = None, deaf: bool = False) -> None:
        #: status bytes given to the paper queries in turn; the last one again after that
        self.answers = list(answers or [PAPER_OK])
        self.deaf = deaf
        self.jobs: list[bytes] = []  # what each connection sent, in order
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.1)  # so that close() is noticed
        self.port: int = self._server.getsockname()[1]
        self._closing = threading.Event()
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            if self.deaf:
                self._held.append(conn)  # never read, never answered, closed at the end
                continue
            threading.Thread(target=self._job, args=(conn,), daemon=True).start()

    def _job(self, conn: socket.socket) -> None:
        received = bytearray()
        asked = 0
        with conn:
            conn.settimeout(5)
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                received += chunk
                while received.count(PAPER_QUERY) > asked:
                    answer = self.answers[min(asked, len(self.answers) - 1)]
                    conn.sendall(bytes((answer,)))
                    asked += 1
        with self._done:
            self.jobs.append(bytes(received))
            self._done.notify_all()

    def wait_jobs(self, count: int, timeout: float = 5) -> list[bytes]:
        """The first ``count`` connections' bytes, once their senders have closed them."""
        with self._done:
            self._done.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(2)
        self._server.close()
        for conn in self._held:
            conn.close()


@contextmanager
def listening(**kwargs: object) -> Iterator[EscposListener]:
    listener = EscposListener(**kwargs)  # type: ignore[arg-type]
    try:
        yield listener
    finally:
        listener.close()


def closed_port() -> int:
    """A loopback port with nothing listening on it (a printer that is switched off)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def without_status_queries(job: bytes) -> bytes:
    """What was sent to be printed: the job without its paper status queries."""
    return job.replace(PAPER_QUERY, b"")
