"""``stanchion top`` and ``stanchion health --metrics-url``: the live view, read from a real
service's metrics endpoint (an observed database behind prometheus_client's HTTP server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, start_http_server
from typer.testing import CliRunner

from stanchion.cli import app
from stanchion.cli.top import parse, summarize
from stanchion.observability import prometheus_meter_provider, prometheus_text
from tests.models import Writer

PORTS = range(4400, 4411)  # this branch's ports


@pytest.fixture
def endpoint(backend: str, observed: Any) -> Iterator[tuple[str, Any, CollectorRegistry]]:
    registry = CollectorRegistry()
    provider = prometheus_meter_provider(registry)
    db = observed(meter_provider=provider, traces=False)
    server = None
    for port in PORTS:
        try:
            server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
            break
        except OSError:
            continue
    assert server is not None, "no free port in 4400-4410"
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics", db, registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        provider.shutdown()


def _work(db: Any, n: int) -> None:
    with db.transaction() as tx:
        for i in range(n):
            tx.repository(Writer).exists(name=f"w{i}")


@pytest.mark.backends("sqlite", "postgresql")
def test_top_shows_pools_shapes_and_outcomes(endpoint: tuple[str, Any, Any]) -> None:
    url, db, _registry = endpoint
    _work(db, 3)
    result = CliRunner().invoke(app, ["top", url, "--once"])
    assert result.exit_code == 0, result.output
    assert "SELECT t_writers" in result.output
    assert "outcome committed" in result.output
    assert "pending" in result.output


@pytest.mark.backends("sqlite")
def test_top_rates_are_operations_between_two_scrapes(endpoint: tuple[str, Any, Any]) -> None:
    _url, db, registry = endpoint
    _work(db, 1)
    before = parse(prometheus_text(registry)[0].decode())
    _work(db, 4)
    after = parse(prometheus_text(registry)[0].decode())
    summary = summarize(after, before, 2.0)
    (shape,) = [s for s in summary.shapes if s.name == "SELECT t_writers"]
    assert shape.count == 5 and shape.per_second == pytest.approx(2.0)  # 4 more in 2 s
    assert summary.outcomes == {"committed": 2.0}
    assert all(pool["used"] == 0 for pool in summary.pools.values())


@pytest.mark.backends("sqlite")
def test_health_reports_the_service_metrics_too(endpoint: tuple[str, Any, Any]) -> None:
    url, db, _registry = endpoint
    _work(db, 2)
    database_url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app, ["health", "--url", database_url, "--metrics-url", url, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    names = [shape["name"] for shape in report["service"]["shapes"]]
    assert "SELECT t_writers" in names
