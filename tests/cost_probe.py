"""Count what each README-path operation costs: SQL statements and Python function calls.

Run by tests/test_cost_budgets.py in a fresh interpreter (``python -m tests.cost_probe``), so
caches, imports and hash seeds start the same every time: each operation is warmed up, then
measured over a few runs, and the per-run counts printed as JSON. Statements are counted by
SQLite itself (its trace callback sees BEGIN and COMMIT too); calls by a profile hook, only in
stanchion's and SQLAlchemy's code (the event loop's own polling varies with thread timing).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.util import await_

from bench.cost import Contenders, seed

OPS = ("get", "add", "update", "page", "row")
WARM_UP, RUNS = 30, 10
COUNTED = (f"{os.sep}sqlalchemy{os.sep}", f"{os.sep}stanchion{os.sep}")


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.calls = 0

    def profile(self, frame: Any, what: str, _arg: Any) -> None:
        if what == "call" and any(part in frame.f_code.co_filename for part in COUNTED):
            self.calls += 1


def trace_statements(contenders: Contenders, counter: Counter) -> None:
    """Have every new driver connection report each statement SQLite runs."""

    @event.listens_for(contenders.db.engine, "connect")
    def _sync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(counter.statements.append)

    @event.listens_for(contenders.adb.engine.sync_engine, "connect")
    def _async(dbapi_connection: Any, _record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(counter.statements.append))


def measure(run: Callable[[int], Any], counter: Counter, first_key: int) -> dict[str, float]:
    for k in range(first_key, first_key + WARM_UP):
        run(k)
    gc.collect()
    gc.disable()
    counter.statements.clear()
    counter.calls = 0
    sys.setprofile(counter.profile)
    try:
        for k in range(first_key + WARM_UP, first_key + WARM_UP + RUNS):
            run(k)
    finally:
        sys.setprofile(None)
        gc.enable()
    return {"statements": len(counter.statements) / RUNS, "calls": counter.calls / RUNS}


def _on(loop: asyncio.Runner, method: Callable[[int], Any]) -> Callable[[int], Any]:
    """`method`'s coroutine run to its end on `loop`, as a plain function."""
    return lambda k: loop.run(method(k))


def main() -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="stanchion-cost-"), "cost.db")
    url = f"sqlite+pysqlite:///{path}"
    seed(url)
    contenders = Contenders(url, f"sqlite+aiosqlite:///{path}")
    counter = Counter()
    found: dict[str, dict[str, float]] = {}
    with asyncio.Runner() as loop:
        contenders.open()
        trace_statements(contenders, counter)
        try:
            for i, op in enumerate(OPS):
                sync = getattr(contenders, f"tx_{op}")
                found[f"sqlite.sync.{op}"] = measure(sync, counter, 1 + 100 * i)
            for i, op in enumerate(OPS):
                found[f"sqlite.async.{op}"] = measure(
                    _on(loop, getattr(contenders, f"atx_{op}")), counter, 1001 + 100 * i
                )
        finally:
            loop.run(contenders.aclose())
    print(json.dumps(found, sort_keys=True))


if __name__ == "__main__":
    main()
