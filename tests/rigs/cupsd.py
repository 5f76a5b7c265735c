"""A private cupsd on loopback, for the tests and the benchmark of the card printers.

cupsd runs in the foreground with a folder of its own (configuration, spool, cache, state and
logs) and listens on 127.0.0.1 only, on a free port, so several test workers can each run one
next to the machine's own CUPS. Clients reach it with ``cups.setServer(rig.server)`` (pycups)
or ``-h rig.server`` (the command-line tools). Its policy lets anyone on loopback do anything and
see everything (a job's name too), so tests can stop and start queues without a password.

Queues that really deliver:

- a raw queue to a ``JobListener`` of the test (a TCP "printer" that keeps the exact bytes it
  was sent), ``add_raw_queue``;
- a queue with a PPD of a CR80 card printer (``CARD_PPD``: the card size, A4, duplex) writing
  to a file, ``add_card_queue``: cups-filters' pdftopdf puts the job on the media asked for.

What cupsd does, found on Debian 12's CUPS 2.4: it needs no ``User``/``Group`` lines and runs
as root or as any other user; run as root it starts the backends as ``lp``, so its folder must
be one ``lp`` can pass through (a private temporary folder, mode 0755, not pytest's 0700 one).
A socket queue to a closed port keeps the job "processing" while the backend retries; only
with ``contimeout`` in the device URI does it give up ("The printer is not responding."),
after about 5 s, and then ``printer-error-policy`` decides: ``abort-job`` aborts the job, the
default here (``retry-job``) holds it for a later try. A printer that resets the connection
mid-job is still reported "completed" by the socket backend. A missing cupsd is an error,
never a reason to skip.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
LOOPBACK = "127.0.0.1"

CARD_PPD = """*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "EMPCARD.PPD"
*Manufacturer: "emp-edge"
*Product: "(card printer rig)"
*ModelName: "emp-edge card printer rig"
*ShortNickName: "emp-edge card printer rig"
*NickName: "emp-edge card printer rig (PDF out)"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsFilter: "application/vnd.cups-pdf 0 -"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: A4
*PageSize CR80/CR80 card: ""
*PageSize A4/A4: ""
*CloseUI: *PageSize
*OpenUI *PageRegion/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageRegion
*DefaultPageRegion: A4
*PageRegion CR80/CR80 card: ""
*PageRegion A4/A4: ""
*CloseUI: *PageRegion
*DefaultImageableArea: A4
*ImageableArea CR80/CR80 card: "0 0 242.65 153.01"
*ImageableArea A4/A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension CR80/CR80 card: "242.65 153.01"
*PaperDimension A4/A4: "595 842"
*OpenUI *Duplex/Two-sided: PickOne
*OrderDependency: 20 AnySetup *Duplex
*DefaultDuplex: None
*Duplex None/Off: ""
*Duplex DuplexNoTumble/Long edge: ""
*Duplex DuplexTumble/Short edge: ""
*CloseUI: *Duplex
"""
"""A card printer's PPD: CR80 and A4 (A4 the default, so a job lands on CR80 only when it asks
for it), one- and two-sided; the PDF from pdftopdf goes to the device as it is."""


class RigError(RuntimeError):
    """The rig could not be set up: a system part is missing or cupsd did not come up."""


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None
    )
    if found is None:
        raise RigError(f"{name} is not installed (Debian packages: cups cups-client cups-bsd)")
    return found


def _die_with_parent() -> None:
    """In the child before exec: end with the thread that started it (Linux prctl)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class JobListener:
    """A TCP "printer" on loopback: each connection is one job, kept as the bytes received.

    With ``hold=True`` it takes connections and never reads nor closes them: a printer that
    took the card and got stuck, so the job never ends.
    """

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self._server = socket.create_server((LOOPBACK, 0))
        self._server.settimeout(0.2)
        self.port = int(self._server.getsockname()[1])
        self.jobs: list[bytes] = []
        self._held: list[socket.socket] = []
        self._arrived = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="cups-job-listener", daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"socket://{LOOPBACK}:{self.port}"

    def _serve(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.hold:
                self._held.append(connection)
                continue
            connection.settimeout(30)
            threading.Thread(target=self._receive, args=(connection,), daemon=True).start()

    def _receive(self, connection: socket.socket) -> None:
        chunks: list[bytes] = []
        with connection:
            while chunk := connection.recv(1 << 16):
                chunks.append(chunk)
        with self._arrived:
            self.jobs.append(b"".join(chunks))
            self._arrived.notify_all()

    def wait_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """The first ``count`` jobs, waiting for them to arrive."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise RigError(f"{len(self.jobs)} of {count} jobs arrived in {timeout} s")
            return self.jobs[:count]

    def close(self) -> None:
        self._closed = True
        self._server.close()
        for connection in self._held:
            connection.close()
        self._thread.join(timeout=2)


class CupsdRig:
    """A cupsd of ours on 127.0.0.1 and a free port, with helpers to set up its queues."""

    def __init__(self) -> None:
        self._cupsd = _binary("cupsd")
        self._lpadmin = _binary("lpadmin")
        self.root = Path(tempfile.mkdtemp(prefix="emp-edge-cupsd-"))
        self.root.chmod(0o755)  # run as root, cupsd starts its backends as lp
        self.port = 0
        self.log = self.root / "log" / "error_log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        """The server as the CUPS clients take it: ``127.0.0.1:PORT``."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _configure(self) -> tuple[Path, Path]:
        root = self.root
        folders = {name: root / name for name in ("etc", "spool", "tmp", "cache", "state", "log")}
        for folder in folders.values():
            folder.mkdir(exist_ok=True)
            folder.chmod(0o755)
        files = folders["etc"] / "cups-files.conf"
        files.write_text(
            f"ServerRoot {folders['etc']}\n"
            f"RequestRoot {folders['spool']}\n"
            f"TempDir {folders['tmp']}\n"
            f"CacheDir {folders['cache']}\n"
            f"StateDir {folders['state']}\n"
            f"AccessLog {folders['log'] / 'access_log'}\n"
            f"ErrorLog {self.log}\n"
            f"PageLog {folders['log'] / 'page_log'}\n"
            "FileDevice Yes\n"
            "SystemGroup root\n",
            encoding="utf-8",
        )
        config = folders["etc"] / "cupsd.conf"
        config.write_text(
            f"Listen {LOOPBACK}:{self.port}\n"
            "Browsing No\n"
            "DefaultAuthType None\n"
            "LogLevel warn\n"
            "MaxJobs 0\n"
            "<Location />\n  Order allow,deny\n  Allow localhost\n</Location>\n"
            "<Policy default>\n  JobPrivateAccess all\n  JobPrivateValues none\n"
            "  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n",
            encoding="utf-8",
        )
        return config, files

    def start(self, timeout: float = 10.0) -> None:
        """Start cupsd and wait until it takes connections (about 70 ms)."""
        if self.running:
            return
        for _ in range(3):  # the free port may be taken between the probe and cupsd's bind
            self.port = free_port()
            config, files = self._configure()
            self._process = subprocess.Popen(
                [self._cupsd, "-f", "-c", str(config), "-s", str(files)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
            if self._wait_ready(timeout):
                return
        raise RigError(f"cupsd did not start; see {self.log}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.running:
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    return True
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RigError(f"cupsd did not listen in {timeout} s; see {self.log}") from None
                time.sleep(0.005)
        return False

    def stop(self) -> None:
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

    def close(self) -> None:
        """Stop cupsd and remove its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [tool, "-h", self.server, *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RigError(f"{Path(tool).name} {' '.join(args)}: {done.stderr.strip()}")

    def add_raw_queue(self, name: str, device_uri: str, error_policy: str = "abort-job") -> None:
        """A raw queue (the job's bytes go to the device as they are), enabled and accepting."""
        self._run(
            self._lpadmin, "-p", name, "-E", "-v", device_uri, "-m", "raw",
            "-o", f"printer-error-policy={error_policy}",
        )  # fmt: skip

    def add_card_queue(self, name: str, output: Path) -> None:
        """A queue with the card printer's PPD (``CARD_PPD``) writing each job to ``output``."""
        ppd = self.root / "etc" / f"{name}.ppd"
        ppd.write_text(CARD_PPD, encoding="ascii")
        self._run(
            self._lpadmin, "-p", name, "-E", "-v", output.as_uri(), "-P", str(ppd),
            "-o", "printer-error-policy=abort-job",
        )  # fmt: skip

    def disable(self, name: str, reason: str) -> None:
        """Stop the queue with a reason, as ``cupsdisable -r`` at the station would."""
        self._run(_binary("cupsdisable"), "-r", reason, name)

    def enable(self, name: str) -> None:
        self._run(_binary("cupsenable"), name)

    def reject(self, name: str, reason: str) -> None:
        """Make the queue refuse new jobs, as ``cupsreject -r`` would."""
        self._run(_binary("cupsreject"), "-r", reason, name)

    def delete(self, name: str) -> None:
        self._run(self._lpadmin, "-x", name)
