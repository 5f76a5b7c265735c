"""The clubs pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("clubs", __name__, url_prefix="/clubs")
