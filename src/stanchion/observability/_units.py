"""Units of work as spans and counters: isolation, access mode, attempt and outcome.

The unit's span is made current while it runs, so its statements' spans are its children. A
failed attempt that `run` re-runs ends as ``retried`` with a ``stanchion.retry`` event (error
type, delay); a commit whose outcome is unknown is marked with its own event and attribute.
"""

from __future__ import annotations

import json
import logging
import random
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from sqlalchemy import event
from sqlalchemy.orm import Mapper, ORMExecuteState, QueryContext, Session

from stanchion.engine.lazyloads import LazyLoadTracker
from stanchion.errors import CommitOutcomeUnknown
from stanchion.observability import _names as n
from stanchion.observability._instruments import Instruments
from stanchion.transactions.observer import TransactionState, UnitOfWorkCore

logger = logging.getLogger("stanchion.nplusone")

#: The N+1 tracker of the sampled unit of work running in this context, if any.
_TRACKER: ContextVar[LazyLoadTracker | None] = ContextVar("stanchion_nplusone", default=None)


def _on_load(target: Any, context: QueryContext) -> None:
    tracker = _TRACKER.get()
    if tracker is not None:
        tracker.loaded(target, context)


def _on_execute(state: ORMExecuteState) -> None:
    tracker = _TRACKER.get()
    if tracker is not None:
        tracker.executed(state)


_listening = False


def _listen_for_lazy_loads() -> None:
    """Install the two ORM listeners once per process (they cost nothing outside a sample)."""
    global _listening
    if not _listening:
        event.listen(Mapper, "load", _on_load)
        event.listen(Session, "do_orm_execute", _on_execute)
        _listening = True


def error_type(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


class UnitTelemetry:
    """The `TransactionObserver` a database carries when observability is on."""

    def __init__(
        self,
        *,
        base: dict[str, Any],
        tracer: Tracer | None,
        instruments: Instruments | None,
        nplusone_sample: float,
        nplusone_threshold: int,
    ) -> None:
        self.base = base
        self.tracer = tracer
        self.instruments = instruments
        self.sample = nplusone_sample
        self.threshold = nplusone_threshold
        self._by_outcome: dict[str, dict[str, Any]] = {}
        if nplusone_sample > 0:
            _listen_for_lazy_loads()

    def unit_started(self, tx: UnitOfWorkCore) -> Any:
        span: Span | None = None
        token: Token[Any] | None = None
        if self.tracer is not None:
            attributes: dict[str, Any] = {
                **self.base,
                n.READ_ONLY: tx.read_only,
                n.ATTEMPT: tx.attempt,
            }
            if tx.isolation_level is not None:
                attributes[n.ISOLATION_LEVEL] = tx.isolation_level
            span = self.tracer.start_span(n.UNIT_SPAN, attributes=attributes)
            token = otel_context.attach(trace.set_span_in_context(span))
        tracked: Token[LazyLoadTracker | None] | None = None
        if self.sample > 0 and random.random() < self.sample:
            tracked = _TRACKER.set(LazyLoadTracker())
        return span, token, tracked

    def unit_ended(
        self, tx: UnitOfWorkCore, handle: Any, error: BaseException | None, retry_in: float | None
    ) -> None:
        span, token, tracked = handle
        if tracked is not None:
            tracker = _TRACKER.get()
            _TRACKER.reset(tracked)
            if tracker is not None:
                self._report_nplusone(tracker, span)
        if error is None and tx.state is TransactionState.COMMITTED:
            outcome = n.COMMITTED
        elif isinstance(error, CommitOutcomeUnknown):
            outcome = n.UNKNOWN
        elif retry_in is not None:
            outcome = n.RETRIED
        else:
            outcome = n.ROLLED_BACK
        if self.instruments is not None:
            attributes = self._by_outcome.get(outcome)
            if attributes is None:  # made once: the base is complete once a unit connected
                attributes = self._by_outcome[outcome] = {**self.base, n.OUTCOME: outcome}
            self.instruments.outcomes.add(1, attributes)
            if retry_in is not None and error is not None:
                self.instruments.retries.add(1, {**self.base, n.ERROR_TYPE: error_type(error)})
        if span is None:
            return
        span.set_attribute(n.OUTCOME, outcome)
        if error is not None:
            span.set_attribute(n.ERROR_TYPE, error_type(error))
        if retry_in is not None and error is not None:
            span.add_event(
                n.RETRY_EVENT, {n.ERROR_TYPE: error_type(error), n.RETRY_DELAY: retry_in}
            )
        if outcome == n.UNKNOWN:
            span.set_attribute(n.COMMIT_OUTCOME_UNKNOWN, True)
            span.add_event(n.COMMIT_UNKNOWN_EVENT, {n.ERROR_TYPE: error_type(error or Exception())})
        if outcome in (n.ROLLED_BACK, n.UNKNOWN) and error is not None:
            span.set_status(Status(StatusCode.ERROR))  # the type only: messages may hold values
        if token is not None:
            otel_context.detach(token)
        span.end()

    def _report_nplusone(self, tracker: LazyLoadTracker, span: Span | None) -> None:
        for finding in tracker.findings(self.threshold):
            attributes = {
                **self.base,
                n.NPLUSONE_RELATIONSHIP: finding.name,
                n.NPLUSONE_PARENTS: finding.parents,
            }
            if self.instruments is not None:
                self.instruments.nplusone.add(
                    1, {**self.base, n.NPLUSONE_RELATIONSHIP: finding.name}
                )
            if span is not None:
                span.add_event(n.NPLUSONE_EVENT, attributes)
            entry = {
                "event": "nplusone",
                "relationship": finding.name,
                "parents": finding.parents,
                "fix": finding.fix,
            }
            logger.warning(json.dumps(entry), extra={"stanchion_nplusone": entry})
