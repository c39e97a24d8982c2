"""`TransactionObserver`: what a tracer or meter is told about units of work and their retries.

The transaction layer stays free of any telemetry library: a database may carry an observer
(``database.observer``; stanchion.observability provides one), and units of work call it only
when it is there, so nothing runs when observability is off.
"""

from __future__ import annotations

from typing import Any, Protocol

from stanchion.transactions._core import TransactionState, UnitOfWorkCore

__all__ = ["TransactionObserver", "TransactionState", "UnitOfWorkCore"]


class TransactionObserver(Protocol):
    """Told when a unit of work begins and ends, and whether a failed attempt is re-run."""

    def unit_started(self, tx: UnitOfWorkCore) -> Any:
        """Called as the unit opens; returns a handle passed back to `unit_ended`."""

    def unit_ended(
        self, tx: UnitOfWorkCore, handle: Any, error: BaseException | None, retry_in: float | None
    ) -> None:
        """Called once: `error` ended it (None: committed); `retry_in` seconds to a re-run."""
