"""Query assertions: count and capture the SQL a block of code sends to the database.

Recording hangs on the engine's public ``before_cursor_execute`` event and only appends to a
list there (never any I/O inside a cursor event). Transaction control (BEGIN, SAVEPOINT, RELEASE,
ROLLBACK TO) is left out by default, so counts are the same with and without test isolation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from stanchion.database import AsyncDatabase, Database
from stanchion.engine.backends.options import TRANSACTION_SETUP

_CONTROL = (
    "BEGIN",
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
    "COMMIT",
    "ROLLBACK",
)

Target = Database | AsyncDatabase | Engine | AsyncEngine


@dataclass(frozen=True, slots=True)
class CapturedQuery:
    """One statement as sent to the driver, with its parameters and whether it was executemany."""

    statement: str
    parameters: Any
    executemany: bool

    def __str__(self) -> str:
        return self.statement


def _sync(engine: Engine | AsyncEngine) -> Engine:
    return engine.sync_engine if isinstance(engine, AsyncEngine) else engine


def _engines(target: Target) -> list[Engine]:
    """The engines whose statements count for `target`: a bound database's connection too."""
    if not isinstance(target, Database | AsyncDatabase):
        return [_sync(target)]
    engines = [_sync(target.engine)]
    bound = target.bound
    if bound is not None:
        bound_engine = _sync(bound.engine)
        if bound_engine is not engines[0]:
            engines.append(bound_engine)
    return engines


def is_transaction_control(statement: str) -> bool:
    """True for BEGIN/SAVEPOINT/RELEASE/ROLLBACK TO statements (not counted by default)."""
    head = statement.lstrip().upper()
    return head.startswith(_CONTROL)


class QueryLog:
    """Records the statements sent while it is active; ``len(log)`` is the count.

    Listens on the given engines (or databases), or on every engine in the process when given
    none. Use it as a context manager, or `start`/`stop` it yourself (the pytest fixture does).
    """

    def __init__(self, *targets: Target, include_transaction_control: bool = False) -> None:
        self._targets: list[Any] = [e for t in targets for e in _engines(t)] or [Engine]
        self._include_control = include_transaction_control
        self.queries: list[CapturedQuery] = []
        self._active = False

    def _record(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        setup = context is not None and context.execution_options.get(TRANSACTION_SETUP, False)
        if self._include_control or not (setup or is_transaction_control(statement)):
            self.queries.append(CapturedQuery(statement, parameters, executemany))

    def start(self) -> QueryLog:
        if not self._active:
            for target in self._targets:
                event.listen(target, "before_cursor_execute", self._record)
            self._active = True
        return self

    def stop(self) -> None:
        if self._active:
            for target in self._targets:
                event.remove(target, "before_cursor_execute", self._record)
            self._active = False

    def __enter__(self) -> QueryLog:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __len__(self) -> int:
        return len(self.queries)

    @property
    def count(self) -> int:
        return len(self.queries)

    @property
    def statements(self) -> list[str]:
        return [query.statement for query in self.queries]

    def clear(self) -> None:
        self.queries.clear()

    def describe(self) -> str:
        """The numbered statements, for failure messages."""
        lines = []
        for number, query in enumerate(self.queries, 1):
            text = " ".join(query.statement.split())
            lines.append(f"  {number}. {text[:300]}{'...' if len(text) > 300 else ''}")
        return "\n".join(lines) or "  (none)"

    def assert_count(self, expected: int) -> None:
        """Fail unless exactly `expected` statements were recorded."""
        if self.count != expected:
            raise AssertionError(
                f"expected {expected} queries, {self.count} were executed:\n{self.describe()}"
            )

    def assert_at_most(self, maximum: int) -> None:
        """Fail when more than `maximum` statements were recorded."""
        if self.count > maximum:
            raise AssertionError(
                f"expected at most {maximum} queries, {self.count} were executed:\n"
                f"{self.describe()}"
            )

    @contextmanager
    def expect(self, count: int | None = None, *, at_most: int | None = None) -> Iterator[QueryLog]:
        """Check the statements of the block only: exactly `count`, or no more than `at_most`."""
        block = QueryLog(include_transaction_control=self._include_control)
        block._targets = self._targets
        with block:
            yield block
        _check(block, count, at_most)


def _check(log: QueryLog, count: int | None, at_most: int | None) -> None:
    if count is not None:
        log.assert_count(count)
    if at_most is not None:
        log.assert_at_most(at_most)


@contextmanager
def assert_num_queries(count: int, *targets: Target) -> Iterator[QueryLog]:
    """Fail unless the block sends exactly `count` statements (on `targets`, or anywhere)."""
    with QueryLog(*targets) as log:
        yield log
    log.assert_count(count)


@contextmanager
def assert_max_queries(maximum: int, *targets: Target) -> Iterator[QueryLog]:
    """Fail when the block sends more than `maximum` statements (on `targets`, or anywhere)."""
    with QueryLog(*targets) as log:
        yield log
    log.assert_at_most(maximum)


@contextmanager
def capture_queries(
    *targets: Target, include_transaction_control: bool = False
) -> Iterator[QueryLog]:
    """Record the block's statements for inspection (``log.statements``)."""
    with QueryLog(*targets, include_transaction_control=include_transaction_control) as log:
        yield log
