"""The unit of work: one connection, one transaction, explicit commit."""

from __future__ import annotations

from sqlalchemy import Engine

from hub.adapters.change_store import ChangeStore
from hub.adapters.config_store import ConfigStore
from hub.adapters.inbound_store import InboundStore
from hub.adapters.order_event_store import OrderEventStore
from hub.adapters.outbox import Outbox
from hub.adapters.repository import Repository
from hub.adapters.users_store import UsersStore


class SqlUnitOfWork:
    """Opens a transaction on enter; rolls back on exit unless :meth:`commit` was called."""

    def __init__(self, engine: Engine, readonly: bool = False):
        self.engine, self.readonly = engine, readonly

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
        if self.readonly:
            self.conn = self.conn.execution_options(readonly=True)
        self.conn.begin()
        self.repo = Repository(self.conn)
        self.outbox = Outbox(self.conn)
        self.inbound = InboundStore(self.conn)
        self.users = UsersStore(self.conn)
        self.configs = ConfigStore(self.conn)
        self.changes = ChangeStore(self.conn)
        self.order_events = OrderEventStore(self.conn)
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        """Make the transaction's changes permanent."""
        self.conn.commit()

    def rollback(self) -> None:
        """Throw the transaction's changes away."""
        self.conn.rollback()
