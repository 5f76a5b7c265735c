"""The registry client (API v1 over HTTPS, httpx): the box's one door to the registry.

Every httpx and TLS error is turned into a ``SyncError`` here: ``RegistryUnreachableError`` when
no answer came, ``RegistryAnswerError`` when the answer cannot be read, ``RegistryRefusedError``
for an error status. Answers are read as a stream with a size limit. TLS is always verified.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

import httpx

from emp_edge import __version__
from emp_edge.config.loading import Settings
from emp_edge.errors import (
    ConfigError,
    CursorExpiredError,
    RegistryAnswerError,
    RegistryRefusedError,
    RegistryUnreachableError,
    SyncError,
)
from emp_edge.store.outbox import OutboxEvent, StoredEvent
from emp_edge.store.outbox_answers import Answer
from emp_edge.sync.token import read_token
from emp_edge.sync.wire import events_body, parse_time, read_event_answers, refusal_message

__all__ = ["RegistryClient", "client_from_settings", "read_token"]

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES: Final = 8 * 1024 * 1024
TOKEN_FILE_NAME: Final = "registry.token"  # noqa: S105 (a file name)
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost"})
REFUSED: Final = "the registry refused the request: HTTP {status} {message}"


def _base_url(url: str) -> str:
    """The registry's base URL ending in "/"; https, or http to this computer only."""
    parts = urlsplit(url)
    plain_here = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not parts.hostname or not (parts.scheme == "https" or plain_here):
        raise ConfigError(
            "the registry's address must be https://host/…, or http://127.0.0.1:PORT/ for a"
            " registry on this computer",
            where="sync.registry_url",
        )
    return url if url.endswith("/") else url + "/"


def _tls(ca_file: Path | None) -> ssl.SSLContext | bool:
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as err:
        raise ConfigError(
            "cannot read the CA certificates: {reason}",
            where=str(ca_file),
            reason=getattr(err, "strerror", None) or str(err)[:200],
        ) from None


def _connect_error(err: httpx.ConnectError) -> RegistryUnreachableError:
    text = str(err)
    lower = text.lower()
    if "certificate" in lower:
        return RegistryUnreachableError("the registry's TLS certificate could not be verified")
    if "ssl" in lower or "tls" in lower:
        return RegistryUnreachableError("the TLS handshake with the registry failed")
    if "refused" in lower:
        return RegistryUnreachableError("the registry refused the connection")
    if "name" in lower and ("resolution" in lower or "known" in lower or "servname" in lower):
        return RegistryUnreachableError("the registry's host name cannot be resolved")
    return RegistryUnreachableError(
        "cannot connect to the registry: {reason}", reason=text[:200] or type(err).__name__
    )


class RegistryClient:
    """Talks to the registry at ``base_url`` as the box holding ``token``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float,
        ca_file: Path | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = _base_url(base_url)
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise ConfigError("the registry token must be one word of printable ASCII")
        self.timeout_s = timeout_s
        self.max_answer_bytes = max_answer_bytes
        self._headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": f"emp-edge/{__version__}",
            "Accept": "application/json",
        }
        self._tls = _tls(ca_file)
        self._transport = transport
        self._http = self._connect()

    def _connect(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers=self._headers,
            timeout=httpx.Timeout(self.timeout_s),
            verify=self._tls,
            transport=self._transport,
            follow_redirects=False,
        )

    # ------------------------------------------------------------------ the three calls
    def send_events(self, events: Sequence[StoredEvent | OutboxEvent]) -> list[Answer]:
        """Push a batch (``POST v1/events``); the registry's verdicts on the events sent."""
        if not events:
            return []
        body = self._call(
            "POST",
            "v1/events",
            content=events_body(events),
            headers={"Content-Type": "application/json"},
        )
        answers, strays = read_event_answers(body, [e.event_id for e in events])
        if strays:
            # an answer meant for another request (one the registry sent twice, say): the
            # connection is out of step, so the next request goes on a fresh one
            log.warning("registry answer named events not sent strays=%d: reconnecting", strays)
            self._http.close()
            self._http = self._connect()
        return answers

    def roster_page(self, cursor: str | None, limit: int) -> bytes:
        """One page of roster changes after ``cursor`` (None: from the start), as its raw body.

        CursorExpiredError when the registry no longer knows the cursor (HTTP 410).
        """
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "v1/roster", params=params, gone_is_cursor=True)

    def registry_time(self) -> datetime:
        """The registry's clock (``GET v1/time``), in UTC."""
        return parse_time(self._call("GET", "v1/time"))

    # ------------------------------------------------------------------ the one request
    def _call(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        gone_is_cursor: bool = False,
    ) -> bytes:
        try:
            with self._http.stream(
                method, path, content=content, params=params, headers=headers
            ) as response:
                if response.is_success:
                    return self._read(response)
                raise self._refusal(response, gone_is_cursor=gone_is_cursor)
        except httpx.TimeoutException:
            raise RegistryUnreachableError(
                "the registry did not answer within {seconds} s", seconds=self.timeout_s
            ) from None
        except httpx.ConnectError as err:
            raise _connect_error(err) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError):
            raise RegistryUnreachableError("the connection to the registry broke off") from None
        except httpx.DecodingError:
            raise RegistryAnswerError("the registry's answer could not be decoded") from None
        except httpx.HTTPError as err:
            raise RegistryUnreachableError(
                "cannot talk to the registry: {reason}", reason=type(err).__name__
            ) from None
        except ssl.SSLError:
            raise RegistryUnreachableError("the TLS connection with the registry failed") from None

    def _read(self, response: httpx.Response) -> bytes:
        """The answer's body, refused as broken when it is larger than the limit."""
        limit = self.max_answer_bytes
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> RegistryAnswerError:
        return RegistryAnswerError(
            "the registry's answer is larger than {limit_kb} KiB",
            limit_kb=self.max_answer_bytes // 1024,
        )

    def _refusal(self, response: httpx.Response, *, gone_is_cursor: bool) -> SyncError:
        """The error for an answer with an error status, with the registry's own words."""
        status = response.status_code
        try:
            message = refusal_message(self._read(response))
        except (SyncError, httpx.HTTPError):  # the status says enough
            message = ""
        message = message or response.reason_phrase or ""
        log.warning("registry refused status=%d", status)
        if gone_is_cursor and status == 410:
            return CursorExpiredError(
                "the registry no longer knows the roster cursor: HTTP {status} {message}",
                status=status,
                message=message,
            )
        if status in (401, 403):
            return RegistryRefusedError(
                "the registry did not accept this box's token: HTTP {status} {message}",
                status=status,
                message=message,
            )
        return RegistryRefusedError(REFUSED, status=status, message=message)

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def client_from_settings(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> RegistryClient:
    """The client the settings describe; ConfigError when sync is off or its files are wrong."""
    url = settings["sync.registry_url"]
    if not url:
        raise ConfigError("sync is off: sync.registry_url is empty")
    token_file = settings["sync.token_file"]
    ca_file = settings["sync.ca_file"]
    return RegistryClient(
        url,
        read_token(Path(token_file) if token_file else settings.data_dir / TOKEN_FILE_NAME),
        timeout_s=settings["sync.timeout_ms"] / 1000,
        ca_file=Path(ca_file) if ca_file else None,
        max_answer_bytes=settings["sync.max_answer_kb"] * 1024,
        transport=transport,
    )
