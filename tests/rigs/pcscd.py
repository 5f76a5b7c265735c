"""A real pcscd with two virtual readers, for the tests and the benchmark of the pcsc adapter.

pcscd is started in the foreground with a readers folder of our own holding one vsmartcard-vpcd
entry. vpcd offers two slots per entry, which pcscd shows as two readers, ``Virtual PCD 00 00``
and ``Virtual PCD 00 01``; a virtual card (``VpcdSlot``) connects to the TCP port of a slot
(the entry's CHANNELID and the one after it) to be on that reader.

There is one pcscd per machine: its socket path is fixed. A rig therefore holds a lock file for
the machine from its first ``start`` until ``close``, so two test runs (or a test run and the
benchmark) take turns instead of fighting over pcscd. Holding the lock, it removes pcscd's socket
and pid file, so its own pcscd takes the socket over: a pcscd already running (the system's) is
not stopped, but no client reaches it until it is restarted. The vpcd ports are the first free
pair from ``CHANNEL`` on. pcscd is started so that it ends with the thread that started it,
leaving no stray pcscd behind a crashed run. A missing pcscd or vpcd driver is an error, never a
reason to skip.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .vpcd_card import VpcdSlot

PCSCD_DIR = Path("/run/pcscd")
PCSCD_SOCKET = PCSCD_DIR / "pcscd.comm"
PCSCD_PID = PCSCD_DIR / "pcscd.pid"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
FRIENDLY_NAME = "Virtual PCD"
CHANNEL = 0x7E50
"""The first slot's TCP port (32336, below Linux's ephemeral ports); the second is the next."""
LOCK = Path(tempfile.gettempdir()) / "emp-edge-pcscd-rig.lock"
LOCK_WAIT = 600.0
"""Seconds to wait for another run's rig to let go of pcscd."""
_PR_SET_PDEATHSIG = 1


class RigError(RuntimeError):
    """The rig could not be set up: a system part is missing or pcscd did not come up."""


def _pcscd_binary() -> str:
    found = shutil.which("pcscd") or next(
        (str(p) for p in (Path("/usr/sbin/pcscd"), Path("/sbin/pcscd")) if p.exists()), None
    )
    if found is None:
        raise RigError("pcscd is not installed (Debian package: pcscd)")
    if not VPCD_DRIVER.exists():
        raise RigError(f"the vpcd driver {VPCD_DRIVER} is missing (package: vsmartcard-vpcd)")
    return found


def reader_names() -> list[str]:
    """The readers pcscd lists now (empty when it is not running or has none)."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return []
    try:
        hresult, names = scard.SCardListReaders(context, [])
        return list(names) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


def _take_the_socket() -> None:
    """Remove pcscd's socket and pid file, so the pcscd we start next becomes the one clients
    reach (pcscd refuses to start while both name a live pcscd)."""
    for leftover in (PCSCD_SOCKET, PCSCD_PID):
        leftover.unlink(missing_ok=True)


def _pcscd_pid() -> int:
    """The process id in pcscd's pid file (0 when there is none)."""
    try:
        return int(PCSCD_PID.read_bytes().strip(b"\0 \n"))
    except (OSError, ValueError):
        return 0


def _die_with_parent() -> None:
    """In the child before exec: end with the thread that started it (Linux prctl)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_channel(first: int) -> int:
    """The first port from ``first`` on (in steps of 2) that is free together with the next."""
    for channel in range(first, first + 64, 2):
        probes = [socket.socket() for _ in range(2)]
        try:
            for probe, port in zip(probes, (channel, channel + 1), strict=True):
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", port))
            return channel
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RigError(f"no two free TCP ports from {first} on for vpcd")


class PcscdRig:
    """A pcscd of ours with two virtual readers, their card slots, and a switch to stop it."""

    def __init__(self, directory: Path, channel: int = CHANNEL) -> None:
        self.directory = directory
        self.channel = channel = _free_channel(channel)
        self.config = directory / "reader.conf.d"
        self.log = directory / "pcscd.log"
        self.readers = (f"{FRIENDLY_NAME} 00 00", f"{FRIENDLY_NAME} 00 01")
        self.slots = (VpcdSlot(channel), VpcdSlot(channel + 1))
        self._binary = _pcscd_binary()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "vpcd").write_text(
            f'FRIENDLYNAME "{FRIENDLY_NAME}"\n'
            f"DEVICENAME /dev/null:0x{channel:04X}\n"
            f"LIBPATH {VPCD_DRIVER}\n"
            f"CHANNELID 0x{channel:04X}\n",
            encoding="utf-8",
        )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start pcscd (taking the machine's pcscd lock first) and wait until it lists both
        readers."""
        if self.running:
            return
        self._take_lock()
        _take_the_socket()
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, "--foreground", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        try:
            self._wait_ready(timeout)
        except RigError:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RigError(f"pcscd exited at start; see {self.log}")
            ours = self._process is not None and _pcscd_pid() == self._process.pid
            if ours and set(self.readers) <= set(reader_names()):
                return
            if time.monotonic() > deadline:
                raise RigError(f"pcscd did not list {self.readers} in {timeout} s; see {self.log}")
            time.sleep(0.02)

    def _take_lock(self) -> None:
        if self._lock is not None:
            return
        fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RigError(f"another run held {LOCK} for {LOCK_WAIT} s") from None
                time.sleep(0.1)
        self._lock = fd

    def close(self) -> None:
        """Stop pcscd and let another run have the machine's pcscd."""
        self.stop()
        fd, self._lock = self._lock, None
        if fd is not None:
            os.close(fd)  # releases the lock

    def stop(self) -> None:
        """Take the cards away and stop pcscd (as a service stop would)."""
        for slot in self.slots:
            slot.remove()
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        PCSCD_SOCKET.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def wait_empty(self, reader: str, timeout: float = 5.0) -> None:
        """Wait until pcscd itself sees no card on ``reader`` (it polls about every 0.4 s)."""
        from smartcard import scard

        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise RigError(f"no PC/SC context: {scard.SCardGetErrorMessage(hresult)}")
        try:
            deadline = time.monotonic() + timeout
            state = scard.SCARD_STATE_UNAWARE
            while True:
                hresult, states = scard.SCardGetStatusChange(context, 100, [(reader, state)])
                if hresult == scard.SCARD_S_SUCCESS:
                    state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                    if state & scard.SCARD_STATE_EMPTY:
                        return
                if time.monotonic() > deadline:
                    raise RigError(f"pcscd still sees a card on {reader}")
        finally:
            scard.SCardReleaseContext(context)
