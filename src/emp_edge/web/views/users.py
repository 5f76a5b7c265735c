"""The users pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("users", __name__, url_prefix="/users")
