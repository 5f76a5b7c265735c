"""The Flask app factory. Views get the store and the clock from ``services``, never globals."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from emp_edge import __version__
from emp_edge.errors import ConfigError
from emp_edge.services import Services
from emp_edge.web import access, i18n, pages, session
from emp_edge.web.views import AREAS, NAV
from emp_edge.web.views.canteen import DayPrinter, use_day_printer

#: no inline scripts or styles anywhere; the pages load their own files only
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secret_key(data_dir: Path) -> bytes:
    """The key that signs session cookies: made once, kept in the data folder (0600)."""
    path = data_dir / "session.key"
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        key = path.read_bytes()
    except FileExistsError:
        key = path.read_bytes()
    except OSError as err:
        raise ConfigError(
            "cannot keep the session key: {reason}", where=str(path), reason=err.strerror or err
        ) from err
    if len(key) < 32:
        raise ConfigError("the session key file is too short; delete it to make a new one",
                          where=str(path))  # fmt: skip
    return key


def create_app(
    services: Services,
    test_config: Mapping[str, Any] | None = None,
    *,
    day_printer: DayPrinter | None = None,
) -> Flask:
    """The admin pages; ``day_printer`` prints a till's day report on its receipt printer."""
    app = Flask(__name__)
    app.config.update(
        JSON_AS_ASCII=False,
        SESSION_COOKIE_NAME="emp_edge_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,  # and Secure whenever the request came over TLS
        PERMANENT_SESSION_LIFETIME=session.IDLE_TIMEOUT,
        IDLE_TIMEOUT=session.IDLE_TIMEOUT,
        ABSOLUTE_TIMEOUT=session.ABSOLUTE_TIMEOUT,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session, which times out
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        LIVE_INTERVAL_SECONDS=2.0,
        LIVE_LIFETIME_SECONDS=30.0,
        LIVE_RETRY_MS=1000,
        LIVE_MAX_STREAMS=max(1, services.settings["web.threads"] // 2),
        KIOSK_HEARTBEAT_SECONDS=5.0,  # a closed screen frees its thread at the next beat
        KIOSK_LIFETIME_SECONDS=300.0,
        KIOSK_RETRY_MS=1000,
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
    )
    if test_config:
        app.config.update(test_config)
    # kiosk streams have slots of their own: the threads the dashboard's streams leave, less one
    # for the pages
    app.config.setdefault(
        "KIOSK_MAX_STREAMS",
        max(1, services.settings["web.threads"] - app.config["LIVE_MAX_STREAMS"] - 1),
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(services.settings.data_dir)
    app.extensions["emp_edge"] = services
    use_day_printer(app, day_printer)

    CSRFProtect(app)
    i18n.setup(app)
    session.setup(app)
    app.before_request(access.enforce)
    pages.setup(app)
    app.register_blueprint(session.blueprint)
    for blueprint in AREAS:
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(
        may=access.may, version=__version__, menu=NAV, view_endpoints=app.view_functions
    )
    app.after_request(_headers)
    return app


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # pages may hold pupils' personal data
    return response
