"""The one exception tree of emp-edge.

::

    EdgeError                       anything emp-edge raises on purpose
    ├── ConfigError                 a setting, a config file or the environment is wrong
    ├── InputError                  data given by a person or a file is wrong (says what and where)
    │   └── TransitionError         a card (or other record) cannot move to the state asked for
    ├── StoreError                  the database cannot be opened, migrated or written
    ├── DeviceError                 a piece of hardware failed
    │   ├── ReaderError             a card reader
    │   └── PrinterError            a card or receipt printer
    └── SyncError                   the registry could not be reached or refused a batch
        ├── RegistryUnreachableError    no answer: refused connection, timeout, cut, TLS
        ├── RegistryAnswerError         an answer that cannot be read: malformed, oversized, half
        └── RegistryRefusedError        an error status for the whole request (401, 400, 5xx…)
            └── CursorExpiredError      the registry no longer knows the roster cursor (410)

Adapters translate the errors of the libraries they wrap into these types at the boundary;
nothing in the middle of the code catches a bare ``Exception``.

A message is an English template with named parameters (``"{field} is empty"``); ``str(err)``
fills it in. Pages translate ``err.template`` and fill it with ``err.params``, so the Lithuanian
text is made where the user is, not in the domain.
"""

from __future__ import annotations

from typing import Any


class EdgeError(Exception):
    """Base of every error emp-edge raises on purpose."""

    def __init__(self, template: str, *, where: str | None = None, **params: Any) -> None:
        self.template = template
        self.params = params
        self.where = where
        super().__init__(self.message)

    @property
    def reason(self) -> str:
        """The message without its place."""
        return self.template.format(**self.params) if self.params else self.template

    @property
    def message(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # copied and pickled whole, whatever the subclass's own arguments are
        return (_rebuilt, (type(self), self.template, self.where, self.params))


def _rebuilt(
    kind: type[EdgeError], template: str, where: str | None, params: dict[str, Any]
) -> EdgeError:
    return kind(template, where=where, **params)


class ConfigError(EdgeError):
    """A setting, a config file or an environment variable is wrong."""


class InputError(EdgeError):
    """Data given by a person or a file is wrong; the message says what and where."""


class TransitionError(InputError):
    """A record cannot move from its state to the one asked for."""


class StoreError(EdgeError):
    """The database cannot be opened, migrated or written."""


class DeviceError(EdgeError):
    """A piece of hardware failed."""


class ReaderError(DeviceError):
    """A card reader failed or is gone."""


class PrinterError(DeviceError):
    """A card or receipt printer failed, is off or is out of paper."""


class SyncError(EdgeError):
    """The registry could not be reached, or it refused what was sent."""


class RegistryUnreachableError(SyncError):
    """No answer came: the connection was refused, timed out or was cut, or TLS failed."""


class RegistryAnswerError(SyncError):
    """The registry answered something that cannot be read: malformed, oversized, half."""


class RegistryRefusedError(SyncError):
    """The registry answered the whole request with an error status."""

    def __init__(self, template: str, *, status: int, where: str | None = None, **params: Any):
        super().__init__(template, where=where, status=status, **params)
        self.status = status

    @property
    def retryable(self) -> bool:
        """A server error, throttling or timeout, worth trying again later."""
        return self.status >= 500 or self.status in (408, 425, 429)


class CursorExpiredError(RegistryRefusedError):
    """The registry no longer knows the roster cursor: the roster is read again from the start."""
