"""The admin app on a real SQLite file, visited through Flask's test client with CSRF on.

Helpers (make_user, Visitor, signed_in, every_right, PASSWORD) are in ``visitor.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from visitor import Visitor

from emp_edge.config import load_settings
from emp_edge.domain.clock import FixedClock
from emp_edge.services import Services
from emp_edge.store import Store
from emp_edge.web import create_app


@pytest.fixture
def services(tmp_path: Path, store: Store, clock: FixedClock) -> Services:
    settings = load_settings(None, env={"EMP_EDGE_DATA_DIR": str(tmp_path / "data")})
    return Services(settings=settings, store=store, clock=clock)


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services, {"TESTING": True, "SECRET_KEY": "k" * 32})


@pytest.fixture
def visitor(app: Flask) -> Visitor:
    return Visitor(app.test_client())
