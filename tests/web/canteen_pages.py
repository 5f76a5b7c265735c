"""What the canteen page tests read back: the database as text, events, audit rows, page text."""

from __future__ import annotations

import html
import json
from typing import Any

from flask import Flask
from flask_babel import force_locale, gettext

from emp_edge.store import Store


def dump(store: Store) -> list[str]:
    """The whole database as SQL text: equal dumps mean nothing at all was written."""
    return list(store.conn.iterdump())


def events(store: Store, kind: str) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT payload FROM outbox WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(row[0]) for row in rows]


def audit_rows(store: Store, action: str) -> list[tuple[str, str, str]]:
    return store.conn.execute(
        "SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY id", (action,)
    ).fetchall()


def seen(app: Flask, template: str, **params: Any) -> str:
    """A text as a Lithuanian reader sees it (translated template, filled in)."""
    with app.test_request_context(), force_locale("lt"):
        text = str(gettext(template))
    return text.format(**params) if params else text


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))
