"""Overhead of stanchion.observability: get-by-key and a page of 50, off vs metrics vs tracing.

``python -m bench.observability [--backend postgresql|sqlite] [--url URL] [--reps N]``. The
same workloads and runner as ``python -m bench``: in one process, the contenders run each batch
in turn (rotated), and the medians of this process's CPU time per operation are compared.
"Tracing" is everything on: spans through the SDK's batch processor to an exporter that drops
them, metrics, and the slow-query log (500 ms). Goal: metrics ≤ 5 %, tracing ≤ 15 % CPU.
PostgreSQL comes from $STANCHION_BENCH_POSTGRESQL_URL (default: ``.../st_bench_observability``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import ClassVar

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from bench.contenders.stanchion_ import StanchionAsyncTx, StanchionTx
from bench.context import Context, Sizes, with_driver
from bench.runner import run
from bench.workloads import get, page
from stanchion import AsyncDatabase, Database
from stanchion.observability import Observability

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/st_bench_observability"


class _Dropped(SpanExporter):
    """Takes every span and keeps none: the SDK's cost without a collector's."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _observability(traces: bool, sampled: float = 1.0) -> Observability:
    tracer_provider = None
    if traces:
        tracer_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(sampled)))
        tracer_provider.add_span_processor(BatchSpanProcessor(_Dropped()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return Observability(
        traces=traces,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        slow_query_ms=500.0 if traces else None,
    )


class Metrics(StanchionTx):
    name = "metrics"
    traces: ClassVar[bool] = False
    sampled: ClassVar[float] = 1.0

    def open(self) -> None:
        self.db = Database(
            self.ctx.sqlalchemy_url(is_async=False),
            observability=_observability(self.traces, self.sampled),
        )


class Tracing(Metrics):
    name = "tracing"
    traces = True


class Sampled(Metrics):
    """Tracing as services run it: 10 % of root spans sampled (ParentBased(TraceIdRatio))."""

    name = "tracing-10%"
    traces = True
    sampled = 0.1


class AsyncMetrics(StanchionAsyncTx):
    name = "async-metrics"
    traces: ClassVar[bool] = False

    async def aopen(self) -> None:
        self.db = AsyncDatabase(
            self.ctx.sqlalchemy_url(is_async=True), observability=_observability(self.traces)
        )


class AsyncTracing(AsyncMetrics):
    name = "async-tracing"
    traces = True


class Off(StanchionTx):
    name = "off"


class AsyncOff(StanchionAsyncTx):
    name = "async-off"


CONTENDERS = [Off, Metrics, Tracing, Sampled, AsyncOff, AsyncMetrics, AsyncTracing]
PAIRS = {
    "metrics": "off",
    "tracing": "off",
    "tracing-10%": "off",
    "async-metrics": "async-off",
    "async-tracing": "async-off",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.observability", description=__doc__)
    p.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    p.add_argument("--url", help="database URL (default: $STANCHION_BENCH_<BACKEND>_URL)")
    p.add_argument("--reps", type=int, default=7, help="recorded repetitions per workload")
    args = p.parse_args(argv)
    url = args.url or os.environ.get(f"STANCHION_BENCH_{args.backend.upper()}_URL")
    if args.backend == "postgresql" and not url:
        url = DEFAULT_POSTGRESQL
    sizes = Sizes(20_000, 200, 100, 100, reps=args.reps, scale=0.5, keyset_depth=50)
    ctx = Context(args.backend, with_driver(args.backend, url, False), sizes, False)
    result = run(ctx, CONTENDERS, [get.WORKLOAD, page.WORKLOAD], progress=lambda m: None)
    print(f"{args.backend}: CPU µs per operation (median of {args.reps}), overhead vs off")
    print(f"{'workload':<10}{'contender':<16}{'cpu µs/op':>12}{'wall µs/op':>12}{'overhead':>10}")
    for workload, row in result.cells.items():
        for name, cell in row.items():
            cpu, wall = cell.cpu_median, cell.median
            if cell.error or cpu is None or wall is None:
                print(f"{workload:<10}{name:<16}  error: {cell.error}")
                continue
            base = row[PAIRS[name]].cpu_median if name in PAIRS else None
            extra = f"{(cpu / base - 1) * 100:+.1f}%" if base else ""
            print(f"{workload:<10}{name:<16}{cpu * 1e6:>12.1f}{wall * 1e6:>12.1f}{extra:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
