"""The admin pages: a Flask app made by create_app(services, test_config=None)."""

from emp_edge.web.factory import create_app

__all__ = ["create_app"]
