"""Helpers for the page tests: accounts as the users page makes them, and a browser with CSRF."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emp_edge.domain.access import Area, Level
from emp_edge.store import Store
from emp_edge.store.accounts import Details, NewUser, add_user, set_disabled

PASSWORD = "Teisingas-slaptažodis-7"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_user(
    store: Store,
    username: str,
    *,
    admin: bool = False,
    levels: Mapping[Area, Level] | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    disabled: bool = False,
    password: str = PASSWORD,
    first_name: str = "Ona",
    last_name: str = "Žukauskienė",
) -> int:
    """An account as the users page would make it; returns its id."""
    today = store.clock.today()
    details = Details(
        first_name=first_name,
        last_name=last_name,
        valid_from=valid_from or date(today.year - 1, 9, 1),
        valid_to=valid_to,
    )
    with store.transaction() as tx:
        user_id = add_user(
            tx,
            NewUser(
                username=username,
                password=password,
                is_admin=admin,
                details=details,
                levels=dict(levels or {}),
            ),
        )
        if disabled:
            set_disabled(tx, user_id, True)
    return user_id


@dataclass
class Visitor:
    """A browser: keeps its cookies and sends the CSRF token of its session with each form."""

    client: FlaskClient

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def token(self) -> str:
        page = self.client.get("/login" if not self.signed_in() else "/").get_data(as_text=True)
        found = _TOKEN.search(page)
        assert found, "no CSRF token on the page"
        return found[1]

    def signed_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session

    def post(self, path: str, data: Mapping[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        fields = dict(data or {})
        fields.setdefault("csrf_token", self.token())
        return self.client.post(path, data=fields, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/login", {"username": username, "password": password})


def signed_in(app: Flask, username: str, password: str = PASSWORD) -> Visitor:
    """A new browser, signed in as ``username``."""
    browser = Visitor(app.test_client())
    response = browser.sign_in(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def every_right(level: Level = Level.MANAGER) -> dict[Area, Level]:
    return {area: level for area in Area}
