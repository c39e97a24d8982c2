"""``stanchion top``: a live view of a service's database metrics, read from its ``/metrics``.

Each refresh scrapes the endpoint (Prometheus text, as `stanchion.observability` exposes it)
and compares it with the previous scrape: pool state, operations per second, the slowest
statement shapes, retries, errors, slow queries and replica lag. `summarize` is pure, so it
is tested on a real exposition; the command only scrapes and draws.
"""

from __future__ import annotations

import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table

from stanchion.cli._output import console


@dataclass
class Shape:
    """One statement shape: ``SELECT t_books`` and what it cost."""

    name: str
    count: float = 0.0
    seconds: float = 0.0
    per_second: float = 0.0

    @property
    def mean_ms(self) -> float:
        return self.seconds / self.count * 1000 if self.count else 0.0


@dataclass
class Summary:
    """What one scrape (against the previous one) says."""

    pools: dict[str, dict[str, float]] = field(default_factory=dict)
    shapes: list[Shape] = field(default_factory=list)
    operations_per_second: float = 0.0
    errors: dict[str, float] = field(default_factory=dict)
    retries: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, float] = field(default_factory=dict)
    slow_queries: float = 0.0
    #: replica URL -> (lag, unit, state), as the service last measured it
    replicas: dict[str, tuple[float, str, str]] = field(default_factory=dict)


Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse(text: str) -> Samples:
    """Every sample of the exposition, by sample name."""
    from prometheus_client.parser import text_string_to_metric_families

    found: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((dict(sample.labels), float(sample.value)))
    return found


def _by_shape(samples: Samples, suffix: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for labels, value in samples.get(f"db_client_operation_duration_seconds_{suffix}", []):
        name = " ".join(
            part
            for part in (labels.get("db_operation_name"), labels.get("db_collection_name"))
            if part
        )
        totals[name or "statement"] += value
    return totals


def _total(samples: Samples, name: str, label: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for labels, value in samples.get(name, []):
        totals[labels.get(label, "")] += value
    return dict(totals)


def summarize(current: Samples, previous: Samples | None, seconds: float) -> Summary:
    """The view of `current`, with rates against `previous` taken `seconds` earlier."""
    summary = Summary()
    for labels, value in current.get("db_client_connection_count", []):
        pool = summary.pools.setdefault(labels.get("db_client_connection_pool_name", ""), {})
        pool[labels.get("db_client_connection_state", "?")] = value
    for name, key in (
        ("db_client_connection_max", "max"),
        ("db_client_connection_pending_requests", "pending"),
    ):
        for labels, value in current.get(name, []):
            pool_name = labels.get("db_client_connection_pool_name", "")
            summary.pools.setdefault(pool_name, {})[key] = value
    counts, sums = _by_shape(current, "count"), _by_shape(current, "sum")
    before = _by_shape(previous, "count") if previous else {}
    shapes = []
    for name, count in counts.items():
        rate = (count - before.get(name, 0.0)) / seconds if previous and seconds > 0 else 0.0
        shapes.append(Shape(name, count, sums.get(name, 0.0), max(rate, 0.0)))
    summary.shapes = sorted(shapes, key=lambda s: -s.mean_ms)
    summary.operations_per_second = sum(s.per_second for s in shapes)
    for labels, value in current.get("db_client_operation_duration_seconds_count", []):
        if labels.get("error_type"):
            kind = labels["error_type"].rsplit(".", 1)[-1]
            summary.errors[kind] = summary.errors.get(kind, 0.0) + value
    retries = _total(current, "stanchion_transaction_retries_total", "error_type")
    summary.retries = {k.rsplit(".", 1)[-1]: v for k, v in retries.items()}
    summary.outcomes = _total(
        current, "stanchion_transaction_outcomes_total", "stanchion_transaction_outcome"
    )
    summary.slow_queries = sum(_total(current, "stanchion_slow_queries_total", "").values())
    for name, samples in current.items():
        if name.startswith("stanchion_replica_lag_"):
            unit = "transactions" if "transactions" in name else "bytes"
            for labels, value in samples:
                state = labels.get("stanchion_replica_state", "")
                summary.replicas[labels.get("stanchion_replica", "?")] = (value, unit, state)
    return summary


def render(summary: Summary, source: str) -> Group:
    """The tables `stanchion top` draws for `summary`."""
    pools = Table(title=f"pools ({source})", expand=True)
    for column in ("pool", "used", "idle", "max", "pending"):
        pools.add_column(column, justify="left" if column == "pool" else "right")
    for name, state in sorted(summary.pools.items()):
        pools.add_row(
            name,
            *(f"{state.get(k, 0):.0f}" for k in ("used", "idle", "max", "pending")),
        )
    shapes = Table(
        title=f"slowest statement shapes — {summary.operations_per_second:.1f} operations/s",
        expand=True,
    )
    for column in ("statement", "mean ms", "count", "per s"):
        shapes.add_column(column, justify="left" if column == "statement" else "right")
    for shape in summary.shapes[:10]:
        shapes.add_row(
            shape.name, f"{shape.mean_ms:.2f}", f"{shape.count:.0f}", f"{shape.per_second:.1f}"
        )
    totals = Table(title="transactions", expand=True)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    for outcome, value in sorted(summary.outcomes.items()):
        totals.add_row(f"outcome {outcome}", f"{value:.0f}")
    for cause, value in sorted(summary.retries.items()):
        totals.add_row(f"retry after {cause}", f"{value:.0f}")
    for kind, value in sorted(summary.errors.items()):
        totals.add_row(f"failed statements: {kind}", f"{value:.0f}")
    totals.add_row("slow queries", f"{summary.slow_queries:.0f}")
    for replica, (lag, unit, condition) in sorted(summary.replicas.items()):
        totals.add_row(f"replica {replica} ({condition})", f"{lag:.0f} {unit} behind")
    return Group(pools, shapes, totals)


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """Read and parse the exposition at `url`."""
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter("the metrics URL must be http:// or https://")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: Any = response.read()
    return parse(body.decode())


def top(
    metrics_url: Annotated[
        str,
        typer.Argument(help="The service's metrics endpoint, e.g. http://127.0.0.1:8000/metrics."),
    ],
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    once: Annotated[bool, typer.Option(help="Print one view and exit (scripts, CI).")] = False,
) -> None:
    """A live view of a service's database: pools, operations per second, slowest statements,
    retries and errors, read from its Prometheus endpoint (stanchion.observability)."""
    previous = scrape(metrics_url)
    if once:
        console.print(render(summarize(previous, None, 0.0), metrics_url))
        return
    taken = time.monotonic()
    with Live(render(summarize(previous, None, 0.0), metrics_url), console=console) as live:
        while True:
            time.sleep(interval)
            current = scrape(metrics_url)
            now = time.monotonic()
            live.update(render(summarize(current, previous, now - taken), metrics_url))
            previous, taken = current, now
