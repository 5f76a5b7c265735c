"""The Flask app factory. Views get the store and the clock from ``services``, never globals."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template

from emp_edge import __version__
from emp_edge.errors import StoreError
from emp_edge.services import Services
from emp_edge.store.outbox import backlog


def create_app(services: Services, test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(JSON_AS_ASCII=False)
    if test_config:
        app.config.update(test_config)
    app.extensions["emp_edge"] = services
    settings = services.settings

    @app.get("/healthz")
    def healthz() -> tuple[Any, int]:
        try:
            conn = services.store.conn
            conn.execute("SELECT 1").fetchone()
            waiting = len(services.store.pending_migrations())
            queued = backlog(conn)
        except (sqlite3.Error, StoreError) as err:
            return jsonify(status="error", database=str(err), version=__version__), 503
        status = "ok" if waiting == 0 else "migrations pending"
        return jsonify(
            status=status,
            version=__version__,
            database="ok",
            pending_migrations=waiting,
            outbox_backlog=queued,
        ), (200 if waiting == 0 else 503)

    @app.get("/")
    def index() -> str:
        conn = services.store.conn
        pupils = conn.execute("SELECT count(*) FROM pupils WHERE active = 1").fetchone()[0]
        classes = conn.execute(
            "SELECT count(DISTINCT class_id) FROM pupils WHERE active = 1"
        ).fetchone()[0]
        return render_template(
            "index.html",
            school_name=settings["school.name"],
            pupils=pupils,
            classes=classes,
            today=services.clock.today().isoformat(),
            version=__version__,
        )

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
