"""The slow-query log: one JSON entry per statement shape and interval, with the plan.

A statement over the threshold is reported from the cursor event, which must never do I/O; the
plan is fetched afterwards by a worker thread on a connection of its own (never the pool's),
and only for plain reads: ``EXPLAIN`` without ``ANALYZE`` runs nothing, and writes are not
explained at all. Parameter values never reach the log: only their names and types.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import stanchion
from stanchion.engine.backends import Backend
from stanchion.engine.url import safe_url
from stanchion.observability._shapes import Shape, mask_literals

logger = logging.getLogger("stanchion.slow_queries")

_OWN_CODE = (
    str(Path(stanchion.__file__).parent) + os.sep,
    f"{os.sep}sqlalchemy{os.sep}",
    f"{os.sep}asyncio{os.sep}",
    f"{os.sep}greenlet{os.sep}",
    f"{os.sep}anyio{os.sep}",
    f"{os.sep}contextlib.py",
    f"{os.sep}threading.py",
)


def caller_location() -> str | None:
    """``file:line in function`` of the first frame outside stanchion, SQLAlchemy and asyncio.

    Under asyncio the statement runs in a greenlet; the caller's frames are those of the
    greenlet that waits for it (the task), so those are searched next."""
    found = _first_outside(sys._getframe(1))
    if found is None:
        try:
            import greenlet  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - SQLAlchemy's asyncio extra brings greenlet
            return None
        parent = greenlet.getcurrent().parent
        frame = getattr(parent, "gr_frame", None) if parent is not None else None
        if frame is not None:
            found = _first_outside(frame)
    return found


def _first_outside(frame: FrameType | None) -> str | None:
    while frame is not None:
        filename = frame.f_code.co_filename
        if not any(part in filename for part in _OWN_CODE) and not filename.startswith("<"):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None


def masked(parameters: Any) -> Any:
    """The parameters with every value replaced by its type name (``{"id": "<int>"}``)."""
    if isinstance(parameters, Mapping):
        return {str(key): f"<{type(value).__name__}>" for key, value in parameters.items()}
    if isinstance(parameters, Sequence) and not isinstance(parameters, str | bytes):
        if parameters and all(isinstance(p, Mapping | list | tuple) for p in parameters):
            return {"executemany": len(parameters), "first": masked(parameters[0])}
        return [f"<{type(value).__name__}>" for value in parameters]
    return None if parameters is None else f"<{type(parameters).__name__}>"


@dataclass(slots=True)
class _Job:
    entry: dict[str, Any]
    explain: str
    parameters: Any


class SlowQueryLog:
    """Reports statements slower than `threshold_ms`, once per shape per `interval` seconds."""

    def __init__(
        self,
        *,
        url: URL,
        backend: Backend,
        is_async: bool,
        threshold_ms: float,
        interval: float,
        explain: bool,
        memory: bool,
    ) -> None:
        self.url = url
        self.backend = backend
        self.is_async = is_async
        self.threshold = threshold_ms / 1000.0
        self.interval = interval
        self.explain = explain and not memory  # another connection would see another database
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=100)
        self._worker: threading.Thread | None = None
        self._plan_engine: Any = None
        self.reported = 0

    def observe(
        self, shape: Shape, statement: str, parameters: Any, seconds: float, system: str
    ) -> bool:
        """Report `statement` if it is slow and its shape was not reported lately."""
        if seconds < self.threshold:
            return False
        now = time.monotonic()
        with self._lock:
            last = self._last.get(shape.text)
            if last is not None and now - last < self.interval:
                return False
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[shape.text] = now
        entry: dict[str, Any] = {
            "event": "slow_query",
            "db.system.name": system,
            "database": safe_url(self.url),
            "duration_ms": round(seconds * 1000, 3),
            "threshold_ms": round(self.threshold * 1000, 3),
            "operation": shape.operation,
            "collection": shape.collection,
            "statement": shape.text,
            "parameters": masked(parameters),
            "location": caller_location(),
            "plan": None,
        }
        from stanchion.repository.operation import current_operation

        entry["repository_operation"] = current_operation()
        self.reported += 1
        explain = self.backend.explain(statement) if self.explain else None
        if not shape.reads or explain is None:
            entry["plan_skipped"] = "not a plain read" if not shape.reads else "no plan here"
            _emit(entry)
            return True
        try:
            self._jobs.put_nowait(_Job(entry, explain, parameters))
        except queue.Full:
            entry["plan_skipped"] = "too many plans pending"
            _emit(entry)
            return True
        self._start_worker()
        return True

    def wait(self, timeout: float = 10.0) -> None:
        """Block until every pending plan was fetched and its entry logged (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the worker after the pending plans."""
        worker = self._worker
        if worker is not None:
            self._jobs.put(None)
            worker.join(timeout=10)
            self._worker = None

    def _start_worker(self) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="stanchion-slow-query-plans", daemon=True
                )
                self._worker.start()

    def _work(self) -> None:
        loop = asyncio.new_event_loop() if self.is_async else None
        try:
            while True:
                job = self._jobs.get()
                try:
                    if job is None:
                        return
                    try:
                        if loop is not None:
                            rows = loop.run_until_complete(self._plan_async(job))
                        else:
                            rows = self._plan_sync(job)
                        job.entry["plan"] = _plan_from(rows)
                    except Exception as error:  # a plan is a courtesy: log the entry anyway
                        job.entry["plan_error"] = type(error).__name__
                    _emit(job.entry)
                finally:
                    self._jobs.task_done()
        finally:
            if self._plan_engine is not None:
                if loop is not None:
                    loop.run_until_complete(self._plan_engine.dispose())
                else:
                    self._plan_engine.dispose()
            if loop is not None:
                loop.close()

    def _plan_sync(self, job: _Job) -> list[tuple[Any, ...]]:
        if self._plan_engine is None:
            self._plan_engine = create_engine(self.url, poolclass=NullPool)
        with self._plan_engine.connect() as connection:
            result = connection.exec_driver_sql(job.explain, _driver_parameters(job.parameters))
            rows = [tuple(row) for row in result]
            connection.rollback()
            return rows

    async def _plan_async(self, job: _Job) -> list[tuple[Any, ...]]:
        if self._plan_engine is None:
            self._plan_engine = create_async_engine(self.url, poolclass=NullPool)
        async with self._plan_engine.connect() as connection:
            result = await connection.exec_driver_sql(
                job.explain, _driver_parameters(job.parameters)
            )
            rows = [tuple(row) for row in result]
            await connection.rollback()
            return rows


def _driver_parameters(parameters: Any) -> Any:
    if isinstance(parameters, list) and parameters and isinstance(parameters[0], tuple | dict):
        return parameters[0]
    return parameters if parameters else None


def _plan_from(rows: list[tuple[Any, ...]]) -> Any:
    """One JSON document (PostgreSQL, MySQL/MariaDB) or the plan's rows (SQLite), as data.

    A plan quotes the parameter values it was made for (``Index Cond: name = 'x'``): every
    string in it has its literals masked, as the statement has."""
    if len(rows) == 1 and len(rows[0]) == 1:
        value = rows[0][0]
        if isinstance(value, str | bytes):
            with contextlib.suppress(ValueError):  # not JSON: kept as text
                value = json.loads(value)
        return _masked_plan(value)
    return _masked_plan([list(row) for row in rows])


def _masked_plan(value: Any) -> Any:
    if isinstance(value, str):
        return mask_literals(value)
    if isinstance(value, bytes):
        return mask_literals(value.decode(errors="replace"))
    if isinstance(value, dict):
        return {key: _masked_plan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_plan(item) for item in value]
    return value


def _emit(entry: dict[str, Any]) -> None:
    logger.warning(json.dumps(entry, default=str), extra={"stanchion_slow_query": entry})
