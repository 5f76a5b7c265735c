"""The cards pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("cards", __name__, url_prefix="/cards")
