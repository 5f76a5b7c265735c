"""The pupils pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("pupils", __name__, url_prefix="/pupils")
