"""``emp-edge registry-sim``: the registry simulator as a process, for demos and drills.

It prints one line, ``registry-sim listening url=<url>``, on stdout, logs a line per request on
stderr, and serves until SIGTERM or Ctrl-C. A bad option is one line on stderr and exit 2.
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import ssl
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from emp_edge.registry_sim import Contract, ContractError, Faults, Registry, RegistryServer

EXIT_BAD_OPTION = 2
RATE = click.FloatRange(0.0, 1.0)


def _refuse(message: str, status: int = EXIT_BAD_OPTION) -> NoReturn:
    click.echo(f"registry-sim: {message}", err=True)
    raise click.exceptions.Exit(status)


class _OneLineCommand(click.Command):
    """Option errors as one line (not click's usage block), exit 2."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            _refuse(err.format_message())


def _boxes(
    boxes: tuple[str, ...], school: str | None, token_file: Path | None
) -> list[tuple[str, str]]:
    pairs = []
    for box in boxes:
        code, _, token = box.partition(":")
        if not code.strip() or not token.strip():
            _refuse(f"--box wants CODE:TOKEN, not {box.split(':')[0]!r}:…")
        pairs.append((code.strip(), token.strip()))
    if token_file is not None:
        if not school:
            _refuse("--token-file needs --school CODE (the school the token is for)")
        try:
            token = token_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            _refuse(f"cannot read the token file {token_file}: {type(err).__name__}")
        if not token:
            _refuse(f"the token file {token_file} is empty")
        pairs.append((school, token))
    return pairs


def _roster(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        _refuse(f"cannot read the roster file {path}: {type(err).__name__}")
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        _refuse(f"the roster file {path} is not a JSON list of items (or {{'items': [...]}})")
    return items


def _faults(rates: dict[str, float], hang_seconds: float, seed: int | None) -> Faults:
    try:
        return Faults(**rates, hang_seconds=hang_seconds, seed=seed)
    except ValueError as err:
        _refuse(str(err))


def _serve_until_stopped(server: RegistryServer) -> None:
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with server:
            click.echo(f"registry-sim listening url={server.url}")
            sys.stdout.flush()
            while not stopped.wait(0.5):  # woken now and then, so a signal is seen at once
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("registry-sim", cls=_OneLineCommand)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0 = a free one).",
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the registry's own SQLite file (made if missing).",
)
@click.option(
    "--box",
    "boxes",
    multiple=True,
    metavar="CODE:TOKEN",
    help="A school's box and its token (repeatable).",
)
@click.option("--school", metavar="CODE", help="The school --token-file and --roster are for.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the token of --school's box.",
)
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A JSON file of roster items to append for --school.",
)
@click.option("--fail-rate", type=RATE, default=0.0, help="Share of requests answered 500/503.")
@click.option("--hang-rate", type=RATE, default=0.0, help="Share of requests never answered.")
@click.option("--cut-rate", type=RATE, default=0.0, help="Share of answers cut half-way.")
@click.option(
    "--ack-lost-rate",
    type=RATE,
    default=0.0,
    help="Share of requests processed, then dropped before answering.",
)
@click.option("--twice-rate", type=RATE, default=0.0, help="Share of answers written twice.")
@click.option(
    "--hang-seconds",
    type=click.FloatRange(min=0.0),
    default=30.0,
    show_default=True,
    help="How long a hanging request stays silent.",
)
@click.option("--seed", type=int, default=None, help="Seed of the fault draws (repeatable runs).")
@click.option(
    "--contract",
    "contract_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The OpenAPI contract whose x-event-payloads judge payloads (default: the shipped one).",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate: serve https.",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key of --tls-cert.",
)
def registry_sim_command(
    port: int,
    data_dir: Path,
    boxes: tuple[str, ...],
    school: str | None,
    token_file: Path | None,
    roster_file: Path | None,
    fail_rate: float,
    hang_rate: float,
    cut_rate: float,
    ack_lost_rate: float,
    twice_rate: float,
    hang_seconds: float,
    seed: int | None,
    contract_file: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> None:
    """A registry simulator on 127.0.0.1: a real HTTP server with its own SQLite and faults."""
    pairs = _boxes(boxes, school, token_file)
    if roster_file is not None and not school:
        _refuse("--roster needs --school CODE (the school the roster is for)")
    items = _roster(roster_file) if roster_file is not None else []
    if (tls_cert is None) != (tls_key is None):
        _refuse("--tls-cert and --tls-key go together")
    tls = (tls_cert, tls_key) if tls_cert is not None and tls_key is not None else None
    rates = {
        "fail_rate": fail_rate,
        "hang_rate": hang_rate,
        "cut_rate": cut_rate,
        "ack_lost_rate": ack_lost_rate,
        "twice_rate": twice_rate,
    }
    faults = _faults(rates, hang_seconds, seed)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        registry = Registry(data_dir, contract=Contract.load(contract_file))
    except ContractError as err:
        _refuse(str(err), 1)
    except (OSError, sqlite3.Error) as err:
        _refuse(f"cannot open the registry in {data_dir}: {err}")
    try:
        for code, token in pairs:
            registry.add_box(code, token)
        if items and school:
            registry.put_roster(school, items)
        server = RegistryServer(registry, faults=faults, port=port, tls=tls)
        try:
            _serve_until_stopped(server)
        except ssl.SSLError as err:
            _refuse(f"cannot use the TLS certificate and key: {err.reason or err}")
        except OSError as err:
            _refuse(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}", 1)
    finally:
        registry.close()
