"""The crash drill: kill -9 the running terminal while taps stream in, start it again, check.

Every tap whose result reached the kiosk screen must be in the database, every tap row must have
its outbox event (and no event its row missing), and SQLite's integrity check must pass. The
number of kills is ``CRASH_DRILL_KILLS`` (20 by default; the release note quotes a 1,000-kill
run).
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from school_cards import add_card, add_pupil

from emp_edge import app
from emp_edge.config import load_settings

KILLS = int(os.environ.get("CRASH_DRILL_KILLS", "20"))
TERMINAL = "durys-1"
CARDS = 40
_SERVING = re.compile(r"serving (http://127\.0\.0\.1:\d+/)")


def prepare(folder: Path) -> tuple[Path, list[int]]:
    """A box with a web and a simulated terminal, 40 pupils with genuine cards, and its key."""
    config = folder / "emp-edge.toml"
    config.write_text(
        f'data_dir = "{folder / "data"}"\nroles = ["web", "terminal"]\n'
        "[web]\nport = 0\nthreads = 4\n"
        f'[terminal]\nreaders = ["{TERMINAL} check simulated"]\ndebounce_ms = 0\n',
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    services = app.open_services(settings, create=True)
    try:
        app.ensure_master_key(settings)
        cards = []
        for number in range(CARDS):
            pupil = add_pupil(services.store, "Žygimantas", f"Šimkus{number}")
            cards.append(add_card(services.store, pupil, f"04AA{number:010X}").card_id)
    finally:
        services.store.close()
    return config, cards


@contextmanager
def running(config: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "emp_edge", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield process, wait_for_url(process, log, start)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def wait_for_url(process: subprocess.Popen[bytes], log: Path, start: int) -> str:
    """The address the new process prints (the log before ``start`` is earlier runs')."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _SERVING.findall(log.read_bytes()[start:].decode("utf-8", errors="replace"))
        if found and process.poll() is None:
            return str(found[-1])
        if process.poll() is not None:
            raise AssertionError("emp-edge stopped:\n" + log.read_text("utf-8")[-3000:])
        time.sleep(0.02)
    raise AssertionError("emp-edge did not start:\n" + log.read_text("utf-8")[-3000:])


class Screen(threading.Thread):
    """The kiosk page's stream: the ids of the taps whose result was shown."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.shown: list[str] = []
        self.listening = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}kiosk/{TERMINAL}/events", timeout=30) as stream:
                event = ""
                for line in stream.iter_lines():
                    if line.startswith("retry:"):
                        self.listening.set()
                    elif line.startswith("id: "):
                        event = line[4:]
                    elif line == "event: tap" and event:
                        self.shown.append(event)
        except httpx.HTTPError:
            return  # the process was killed


def feed(url: str, cards: list[int], rng: random.Random, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        while not stop.is_set():
            try:
                client.post(
                    "simulator/taps", json={"terminal": TERMINAL, "card_id": rng.choice(cards)}
                )
            except httpx.HTTPError:
                return


def one_kill(config: Path, log: Path, cards: list[int], rng: random.Random) -> list[str]:
    with running(config, log) as (process, url):
        screen = Screen(url)
        screen.start()
        assert screen.listening.wait(10), "the kiosk stream did not open"
        stop = threading.Event()
        feeder = threading.Thread(target=feed, args=(url, cards, rng, stop), daemon=True)
        feeder.start()
        time.sleep(rng.uniform(0.05, 0.5))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stop.set()
        feeder.join(10)
        screen.join(10)
        return list(screen.shown)


def test_taps_shown_survive_kill_minus_nine(tmp_path: Path) -> None:
    config, cards = prepare(tmp_path)
    log = tmp_path / "emp-edge.log"
    rng = random.Random(KILLS)
    shown: list[str] = []
    for _ in range(KILLS):
        shown += one_kill(config, log, cards, rng)
    # after the last crash the terminal serves again
    with running(config, log) as (_, url):
        screen = Screen(url)
        screen.start()
        assert screen.listening.wait(10)
        httpx.post(f"{url}simulator/taps", json={"terminal": TERMINAL, "card_id": cards[0]})
        deadline = time.monotonic() + 10
        while not screen.shown and time.monotonic() < deadline:
            time.sleep(0.01)
        assert screen.shown, "no tap was served after the restart"
    assert len(shown) >= KILLS, "the drill showed too few taps to prove anything"
    db = sqlite3.connect(tmp_path / "data" / "emp-edge.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in db.execute("SELECT event_id FROM taps")}
        missing = [event for event in shown if event not in stored]
        assert missing == [], f"{len(missing)} of {len(shown)} shown taps are not in the database"
        orphans = db.execute(
            "SELECT (SELECT count(*) FROM taps t LEFT JOIN outbox o USING (event_id)"
            "        WHERE o.event_id IS NULL),"
            "       (SELECT count(*) FROM outbox o LEFT JOIN taps t USING (event_id)"
            "        WHERE o.type = 'tap.decided' AND t.event_id IS NULL)"
        ).fetchone()
        assert orphans == (0, 0)
    finally:
        db.close()
    print(f"crash drill: {KILLS} kills, {len(shown)} taps shown, {len(stored)} stored, none lost")
