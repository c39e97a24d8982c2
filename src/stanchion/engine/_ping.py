"""Ping a pooled connection at checkout only when it sat idle long enough to have died unseen.

SQLAlchemy's ``pool_pre_ping`` costs a round trip on every checkout, so one per transaction.
Connections die unseen mostly while idle (proxy, firewall and server idle timeouts); one
killed within the last seconds of use fails its first statement, which a retried unit of work
(`Database.run`) re-runs on a fresh connection.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: Connection info key: when the connection was last checked out (``time.monotonic``).
_LAST_CHECKOUT = "stanchion.last_checkout"


def install_idle_ping(engine: Engine, idle_seconds: float) -> None:
    """Ping connections checked out after `idle_seconds` or more since their last checkout.

    Measured from the last checkout, not check-in, so a connection is pinged at least as
    often as "idle since check-in" would ask (one event per checkout instead of two). A failed
    ping invalidates the pool, as SQLAlchemy's pre-ping does; the pool then reconnects.
    """
    dialect = engine.dialect
    clock = time.monotonic

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        info = record.info
        now = clock()
        last = info.get(_LAST_CHECKOUT)
        info[_LAST_CHECKOUT] = now
        if last is None or now - last < idle_seconds:
            return  # a new connection, or one in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error
            raise
