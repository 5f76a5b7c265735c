"""The box's registry token: one line in a file only the service user can read (mode 0600).

A message about the token names its file and what to do; it never holds the token.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from emp_edge.errors import ConfigError

#: the longest token file read; a real token is a few dozen characters
TOKEN_MAX_BYTES: Final = 4096


def read_token(path: Path) -> str:
    """The token in ``path``; ConfigError unless the file exists, holds one printable line and
    is readable by its owner only (``chmod 600``)."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO does not block
    except FileNotFoundError:
        raise ConfigError(
            "there is no registry token file: put the box's token in it and chmod 600 it",
            where=where,
        ) from None
    except OSError as err:
        raise ConfigError(
            "cannot read the registry token file ({reason}): it must be readable by the service"
            " user only (chmod 600)",
            where=where,
            reason=err.strerror or type(err).__name__,
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                "the registry token file is not a file: put the box's token in a file and chmod"
                " 600 it",
                where=where,
            )
        if info.st_mode & 0o077:
            raise ConfigError(
                "the registry token file can be read by others: chmod 600 it", where=where
            )
        try:
            data = os.read(fd, TOKEN_MAX_BYTES + 1)
        except OSError as err:
            raise ConfigError(
                "cannot read the registry token file ({reason}): chmod 600 it",
                where=where,
                reason=err.strerror or type(err).__name__,
            ) from None
    finally:
        os.close(fd)
    if len(data) > TOKEN_MAX_BYTES:
        raise ConfigError(
            "the registry token file is longer than a token ({limit} bytes at most); it holds"
            " the box's token only (chmod 600)",
            where=where,
            limit=TOKEN_MAX_BYTES,
        )
    token = data.decode("ascii", errors="replace").strip()
    if not token:
        raise ConfigError(
            "the registry token file is empty: put the box's token in it (chmod 600)", where=where
        )
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise ConfigError(
            "the registry token file must hold the box's token alone, one line of printable"
            " ASCII (chmod 600)",
            where=where,
        )
    return token
