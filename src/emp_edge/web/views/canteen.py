"""The canteen pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("canteen", __name__, url_prefix="/canteen")
