"""A bound on every call to a server that stops answering (a dead host, a hung proxy).

Drivers with no client-side read timeout (psycopg, asyncpg) would wait until the network heals.
While a statement, COMMIT, ROLLBACK or ping is in flight its connection is *armed*; one watchdog
thread per process shuts the socket of a call still waiting past its deadline, so the driver
fails it as a lost connection (the pool drops it) instead of hanging: ConnectionLost, or
CommitOutcomeUnknown during COMMIT. Arming is a dict store, so the normal path stays cheap.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

#: Gives the socket file descriptor of a driver connection (the backend profile knows how).
SocketOf = Callable[[Any], int]

#: How late past its deadline the watchdog may notice a call (it wakes at least this often).
TICK_S = 0.5


class _Watchdog:
    """Armed calls by connection, and the thread that ends the overdue ones."""

    def __init__(self) -> None:
        # id(DBAPI connection) -> (deadline, driver connection, how to find its socket)
        self.armed: dict[int, tuple[float, Any, SocketOf]] = {}
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def ensure_running(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="stanchion-peer-timeout", daemon=True
                )
                self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(TICK_S)
            now = time.monotonic()
            for key, entry in list(self.armed.items()):
                if entry[0] <= now and self.armed.get(key) is entry:
                    _shut(entry[1], entry[2])
                    self.armed.pop(key, None)


_WATCHDOG = _Watchdog()


def _shut(driver_connection: Any, socket_of: SocketOf) -> None:
    """Shut the connection's socket both ways: the waiting driver call sees the end of stream."""
    try:
        duplicate = os.dup(socket_of(driver_connection))
    except Exception:  # closed meanwhile (each driver says so its own way): nothing waits on it
        return
    peer = socket.socket(fileno=duplicate)
    try:
        peer.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        peer.close()


def install_peer_timeout(engine: Engine, seconds: float, socket_of: SocketOf) -> None:
    """Fail any call on `engine` still waiting for the server after `seconds` (+ `TICK_S`).

    The dialect's own execute, commit, rollback and ping methods are wrapped on this engine's
    dialect: no engine event is added, so statements keep SQLAlchemy's event-free fast path."""
    armed = _WATCHDOG.armed
    clock = time.monotonic
    _WATCHDOG.ensure_running()

    def arm(dbapi_connection: Any) -> int:
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        key = id(dbapi_connection)
        armed[key] = (clock() + seconds, driver, socket_of)
        return key

    dialect = engine.dialect
    finders: dict[str, Callable[..., Any]] = {
        "do_execute": _statement_connection,
        "do_executemany": _statement_connection,
        "do_execute_no_params": _no_params_connection,
        "do_commit": _pooled_connection,
        "do_rollback": _pooled_connection,
        "do_ping": _pooled_connection,
    }
    for name, find in finders.items():
        setattr(dialect, name, _guarded(getattr(dialect, name), find, arm))


def _statement_connection(
    _cursor: Any, _statement: Any, _parameters: Any, context: Any = None
) -> Any:
    """The DBAPI connection of a ``do_execute``/``do_executemany`` call (None: no context)."""
    return None if context is None else context.root_connection.connection.dbapi_connection


def _no_params_connection(_cursor: Any, _statement: Any, context: Any = None) -> Any:
    """The DBAPI connection of a ``do_execute_no_params`` call (None: no context)."""
    return None if context is None else context.root_connection.connection.dbapi_connection


def _pooled_connection(connection: Any) -> Any:
    """The DBAPI connection of a ``do_commit/do_rollback/do_ping`` call (pooled or raw)."""
    return getattr(connection, "dbapi_connection", connection)


def _guarded(
    call: Callable[..., Any], find: Callable[..., Any], arm: Callable[[Any], int]
) -> Callable[..., Any]:
    """`call`, with the connection `find` names in its arguments armed while it runs."""
    armed = _WATCHDOG.armed

    def guarded(*args: Any) -> Any:
        connection = find(*args)
        if connection is None:
            return call(*args)
        key = arm(connection)
        try:
            return call(*args)
        finally:
            armed.pop(key, None)

    return guarded
