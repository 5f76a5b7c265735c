"""Running the real ``emp-edge`` command in a child process, as a person or systemd would."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx

COMMAND = [sys.executable, "-m", "emp_edge"]


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMP_EDGE_")}
    env.update(EMP_EDGE_DATA_DIR=str(data_dir), EMP_EDGE_LOG_LEVEL="WARNING", **extra)
    return env


def emp_edge(
    *args: str, env: dict[str, str], input_text: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


class Lines:
    """The lines a child process writes, read by a thread so that waiting never blocks."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first new line matching ``pattern``; fails with what was read if none comes."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.seen)}")


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def sign_in(client: httpx.Client, url: str, username: str, password: str) -> httpx.Response:
    """Sign in through the real login form (reading its CSRF token); returns the dashboard."""
    form = client.get(url + "login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    assert token, form.text
    done = client.post(
        url + "login",
        data={"username": username, "password": password, "csrf_token": token[1]},
    )
    assert done.status_code == 302, done.text
    return client.get(url)
