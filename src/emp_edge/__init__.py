"""emp-edge: the school's side of the Lithuanian electronic student ID card (EMP)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emp-edge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
