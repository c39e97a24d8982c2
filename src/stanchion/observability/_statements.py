"""Statement spans, the operation-duration histogram and the slow-query check, on cursor events.

``before_cursor_execute`` starts the clock (and a client span when tracing); the matching
``after_cursor_execute`` or ``handle_error`` records the duration and ends the span. Nothing
here does I/O: a slow statement is handed to the slow-query log's worker.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

from stanchion.observability import _names as n
from stanchion.observability._instruments import Instruments
from stanchion.observability._shapes import Shape, ShapeCache
from stanchion.observability._slowlog import SlowQueryLog
from stanchion.repository.operation import current_operation

_KEY = "_stanchion_observed"


class StatementTelemetry:
    """Observes every statement of one engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        base: dict[str, Any],
        tracer: Tracer | None,
        instruments: Instruments | None,
        slow: SlowQueryLog | None,
    ) -> None:
        self.base = base
        self.tracer = tracer
        self.instruments = instruments
        self.slow = slow
        self.system = str(base[n.DB_SYSTEM_NAME])
        self.shapes = ShapeCache()
        self._attributes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        # Installed before error translation (`Database` does so): translation raises its own
        # error, which ends the event's run, so a listener after it would never hear of it.
        event.listen(engine, "handle_error", self._error)

    def _attributes_of(self, statement: str, shape: Shape) -> tuple[dict[str, Any], dict[str, Any]]:
        found = self._attributes.get(statement)
        if found is None:
            common = dict(self.base)
            if shape.operation:
                common[n.DB_OPERATION_NAME] = shape.operation
            if shape.collection:
                common[n.DB_COLLECTION_NAME] = shape.collection
            # The summary (``SELECT t_books``) is the span's name, not repeated as an attribute:
            # the SDK checks every attribute of every span, so each one costs.
            span = {**common, n.DB_QUERY_TEXT: shape.text}
            if len(self._attributes) > 2000:
                self._attributes.clear()
            found = self._attributes[statement] = (span, common)
        return found

    def _before(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        shape = self.shapes.get(statement)
        span = None
        span_attributes, metric_attributes = self._attributes_of(statement, shape)
        if self.tracer is not None:
            span = self.tracer.start_span(
                shape.summary, kind=SpanKind.CLIENT, attributes=span_attributes
            )
            operation = current_operation()
            if operation is not None:
                span.set_attribute(n.REPOSITORY_OPERATION, operation)
        if context is not None:
            setattr(context, _KEY, (time.perf_counter(), shape, span, metric_attributes))

    def _after(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        observed = getattr(context, _KEY, None)
        if observed is None:
            return
        setattr(context, _KEY, None)
        started, shape, span, metric_attributes = observed
        seconds = time.perf_counter() - started
        if self.instruments is not None:
            self.instruments.duration.record(seconds, metric_attributes)
        if self.slow is not None and self.slow.observe(
            shape, statement, parameters, seconds, self.system
        ):
            if self.instruments is not None:
                self.instruments.slow_queries.add(1, self.base)
            if span is not None:
                span.set_attribute(n.SLOW_QUERY, True)
        if span is not None:
            span.end()

    def _error(self, context: ExceptionContext) -> None:
        execution = context.execution_context
        observed = getattr(execution, _KEY, None) if execution is not None else None
        if observed is None:
            return
        setattr(execution, _KEY, None)
        started, _shape, span, metric_attributes = observed
        seconds = time.perf_counter() - started
        error = context.original_exception
        error_type = f"{type(error).__module__}.{type(error).__qualname__}"
        if self.instruments is not None:
            self.instruments.duration.record(
                seconds, {**metric_attributes, n.ERROR_TYPE: error_type}
            )
        if span is not None:
            # The type only: a driver's message can quote the values that broke a constraint.
            span.set_attribute(n.ERROR_TYPE, error_type)
            span.set_status(Status(StatusCode.ERROR))
            span.end()
