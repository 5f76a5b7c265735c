"""``python -m emp_edge`` is the ``emp-edge`` command."""

from emp_edge.cli import main

main()
