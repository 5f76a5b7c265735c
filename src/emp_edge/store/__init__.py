"""SQLite store: pragmas, migrations, the one transaction() write path with its outbox."""

from emp_edge.store.database import Store, connect
from emp_edge.store.outbox import OutboxEvent, Transaction

__all__ = ["OutboxEvent", "Store", "Transaction", "connect"]
