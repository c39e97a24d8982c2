"""The benchmark harness runs end to end (``python -m bench --quick``) on SQLite and PostgreSQL.

This checks the harness, never speed: every contender produced a timing for every workload it
offers, no contender failed, all contenders returned the same data (checksums agree), and on
PostgreSQL the reference app answered its HTTP load without errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.contenders import all_contenders
from bench.report import write_report
from bench.workloads import ALL as WORKLOADS
from tests.conftest import backend_url

pytestmark = [
    # Deselected by default (pyproject addopts): run with ``-m bench``, its own CI step.
    pytest.mark.bench,
    # advanced-alchemy still decorates its mixins with declarative_mixin, deprecated in 2.1.
    pytest.mark.filterwarnings("ignore:The declarative_mixin decorator:DeprecationWarning"),
]

EXPECTED = {
    "raw",
    "raw-async",
    "core",
    "orm",
    "orm-async",
    "stanchion",
    "stanchion-async",
    "stanchion-tx",
    "stanchion-async-tx",
    "advanced-alchemy",
    "advanced-alchemy-async",
    "fastcrud",
}


@pytest.mark.backends("sqlite", "postgresql")
def test_quick_benchmark_measures_every_contender_on_every_workload(
    backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'bench.db'}"
    else:
        url = backend_url(backend).render_as_string(hide_password=False)
    out = tmp_path / "results"

    code = main(["--quick", "--backend", backend, "--url", url, "--out", str(out)])

    data = json.loads((out / f"{backend}-quick.json").read_text())
    assert code == 0, data["mismatches"]
    assert {c["name"] for c in data["contenders"]} == EXPECTED  # the peers are installed
    assert data["mismatches"] == []
    for cls in all_contenders():
        contender = cls.__new__(cls)
        for workload in WORKLOADS:
            cell = data["cells"][workload.name].get(cls.name)
            if not contender.supports(workload.op):
                assert cell is None
                continue
            assert cell is not None, f"{cls.name} has no result for {workload.name}"
            assert cell["error"] is None, f"{cls.name} / {workload.name}: {cell['error']}"
            assert len(cell["times"]) == min(data["sizes"]["reps"], workload.max_reps or 99)
            assert all(t > 0 for t in cell["times"])

    if backend == "postgresql":  # the reference app under HTTP load
        assert data["http"]["requests"] > 0
        assert data["http"]["errors"] == 0
        assert "POST /posts" in data["http"]["endpoints"]
    else:
        assert "http" not in data

    report = write_report(out, tmp_path / "docs" / "performance.md")
    text = report.read_text()
    assert "### Goals" in text
    assert (tmp_path / "docs" / "img" / f"bench-{backend}-vs-orm.png").stat().st_size > 0
