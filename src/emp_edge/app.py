"""The composition root: reads the settings, opens the store, picks adapters and starts roles.

This is the only module that knows every part; the parts know only what they are handed.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any

from flask import Flask

from emp_edge.clock import SystemClock
from emp_edge.config import Settings
from emp_edge.domain.clock import Clock
from emp_edge.errors import ConfigError
from emp_edge.roster.importer import School, import_classlist
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app
from emp_edge.web.views.pupils import use_classlist_importer

log = logging.getLogger(__name__)


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        force=True,
    )


def open_store(settings: Settings, clock: Clock | None = None, *, create: bool = False) -> Store:
    """The store at the settings' data folder, on the school's clock; not yet migrated."""
    return Store(
        settings.db_path,
        clock or SystemClock(settings.tz),
        busy_timeout_ms=settings["store.busy_timeout_ms"],
        create=create,
    )


def open_services(
    settings: Settings, clock: Clock | None = None, *, create: bool = False
) -> Services:
    """Open the store at the settings' data folder and apply pending migrations."""
    store = open_store(settings, clock, create=create)
    store.migrate()
    clock = store.clock
    return Services(settings=settings, store=store, clock=clock)


def school_of(settings: Settings) -> School:
    """The school this box serves, as the settings name it."""
    return School(settings["school.code"], settings["school.name"], settings["school.municipality"])


def web_app(services: Services, test_config: Mapping[str, Any] | None = None) -> Flask:
    """The admin pages with the parts they use plugged in (the class-list importer)."""
    settings = services.settings
    web = create_app(services, test_config)
    school = School(
        settings["school.code"], settings["school.name"], settings["school.municipality"]
    )
    use_classlist_importer(web, partial(import_classlist, school=school))
    return web


@dataclass
class Running:
    """The roles started by ``serve``; ``url`` is where the web role listens."""

    url: str
    run: Callable[[], None]
    stop: Callable[[], None]


def start_roles(services: Services) -> Running:
    """Start the roles named in the settings (``web`` for now) without blocking."""
    roles = services.settings["roles"]
    if "web" not in roles:
        raise ConfigError(
            "'roles' names no role this version can run: {roles}", roles=", ".join(roles) or "none"
        )
    from waitress import create_server

    server = create_server(
        web_app(services),
        host=services.settings["web.host"],
        port=services.settings["web.port"],
        threads=services.settings["web.threads"],
        ident="emp-edge",
    )
    host = services.settings["web.host"]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{server.effective_port}/"
    log.info("role started role=web url=%s", url)
    return Running(url=url, run=server.run, stop=server.close)


def serve_forever(running: Running, on_stop: Callable[[], None]) -> None:
    """Run until SIGTERM or Ctrl-C, then stop cleanly."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        running.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        running.stop()
        on_stop()
