"""The settings in force, read-only: each one's value, where it came from, and its help.

Settings are changed in the config file (or the environment) and take effect on restart. Admins
only; the view is recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from emp_edge.config import SETTINGS, Setting
from emp_edge.domain.access import ADMIN
from emp_edge.web.access import audit_view, needs, services

blueprint = Blueprint("settings", __name__, url_prefix="/settings")

#: a setting whose key ends so holds a secret: the page says only whether it is set
SECRET_ENDINGS = ("key", "secret", "password", "token")


@dataclass(frozen=True)
class Shown:
    name: str
    value: str
    source: str
    help: str
    changed: bool  # not the default


def _value(setting: Setting, value: Any) -> str:
    if setting.key.endswith(SECRET_ENDINGS):
        return str(gettext("(set, not shown)")) if value else "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if value == "":
        return "—"
    return str(value)


def _source(source: str) -> str:
    if source == "default":
        return str(gettext("default"))
    if source == "environment":
        return str(gettext("environment"))
    if source == "override":
        return str(gettext("set by the command"))
    return str(gettext("file %(path)s", path=source))


@blueprint.get("/")
@needs(ADMIN)
def index() -> ResponseReturnValue:
    settings = services().settings
    rows = [
        Shown(
            name=setting.name,
            value=_value(setting, settings[setting.name]),
            source=_source(settings.sources.get(setting.name, "default")),
            help=setting.help,
            changed=settings.sources.get(setting.name, "default") != "default",
        )
        for setting in SETTINGS
    ]
    audit_view("settings.viewed")
    return render_template("settings/index.html", rows=rows)
