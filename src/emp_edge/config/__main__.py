"""``python -m emp_edge.config`` prints the example config file made from the settings table."""

from emp_edge.config.table import example_toml

print(example_toml(), end="")
