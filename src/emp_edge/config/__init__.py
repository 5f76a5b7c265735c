"""Settings: one table of (name, default, help), loaded defaults → TOML file → EMP_EDGE_* env."""

from emp_edge.config.loading import DEFAULT_CONFIG_PATH, Settings, load_settings
from emp_edge.config.setting import Setting
from emp_edge.config.table import SETTINGS, example_toml

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SETTINGS",
    "Setting",
    "Settings",
    "example_toml",
    "load_settings",
]
