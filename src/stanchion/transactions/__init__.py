"""Transactions: units of work, savepoints, isolation, retries and after-commit hooks.

``with db.transaction() as tx``, ``db.run(fn, ...)`` and ``@db.transactional(...)`` are the
entry points; `RetryPolicy` says which failures re-run a function and how soon.
"""

from stanchion._exports import present_as_public as _present_as_public
from stanchion.transactions.async_unit_of_work import AsyncUnitOfWork
from stanchion.transactions.retry import RetryEvent, RetryPolicy
from stanchion.transactions.unit_of_work import UnitOfWork

__all__ = ["AsyncUnitOfWork", "RetryEvent", "RetryPolicy", "UnitOfWork"]

_present_as_public(__name__, globals(), __all__)
