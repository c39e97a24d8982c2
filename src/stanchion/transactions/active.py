"""Which units of work are open in the current context (thread or asyncio task).

A context variable, not the connection, answers "is a transaction already open here?", so the
answer stays right when a test plugin binds sessions to an outer transaction.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from stanchion.errors import TransactionAlreadyOpen

#: The databases with an open unit of work in this context, innermost last.
_OPEN: ContextVar[tuple[object, ...]] = ContextVar("stanchion_open_transactions", default=())


def is_open(database: object) -> bool:
    """True when a unit of work on `database` is open in the current context."""
    # A plain loop, not any(...): this runs at the start of every transaction.
    for open_db in _OPEN.get():  # noqa: SIM110
        if open_db is database:
            return True
    return False


def refuse_if_open(database: object, what: str) -> None:
    """Raise `TransactionAlreadyOpen` when a unit of work on `database` is already open here."""
    if is_open(database):
        raise TransactionAlreadyOpen(
            f"{what} was called inside an open transaction on the same database: "
            "use the open transaction's session, or tx.savepoint() for a nested part"
        )


def enter(database: object) -> Token[tuple[object, ...]]:
    """Record that a unit of work on `database` is open; returns the token for `leave`."""
    return _OPEN.set((*_OPEN.get(), database))


def leave(token: Token[tuple[object, ...]], database: object) -> None:
    """Forget the unit of work recorded by `token`, even from a copied context."""
    try:
        _OPEN.reset(token)
    except ValueError:  # left from another context (e.g. a framework's teardown): drop ours only
        current = list(_OPEN.get())
        for index in range(len(current) - 1, -1, -1):
            if current[index] is database:
                del current[index]
                break
        _OPEN.set(tuple(current))
