"""docs/scale-out.md quotes files that run; its example runs on a real primary and replicas."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.replicas.conftest import Topology

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "scale-out.md"
EXAMPLE = ROOT / "docs" / "examples" / "scale_out.py"
#: Files a block of the page may quote: docs examples and the reference app, all run by tests.
SOURCES = [
    *sorted((ROOT / "docs" / "examples").rglob("*.py")),
    ROOT / "examples/blog/src/blog/app.py",
]


def test_every_code_block_of_the_page_is_quoted_from_a_file_that_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    assert blocks, "docs/scale-out.md shows no code"
    sources = [path.read_text() for path in SOURCES]
    for block in blocks:
        assert any(block in source for source in sources), (
            f"not quoted from a tested file:\n{block}"
        )


def test_the_example_reads_its_write_back_through_the_replicas(topology: Topology) -> None:
    """Once per backend (a subprocess costs seconds here); tests/docs runs every example twice."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env["DATABASE_URL"] = topology.primary.render_as_string(hide_password=False)
    env["DATABASE_REPLICA_URLS"] = ",".join(
        url.render_as_string(hide_password=False) for url in (topology.replica, topology.delayed)
    )
    env["DATABASE_REPLICA_WAIT_MS"] = "5000"  # the delayed MariaDB replica is 1 s behind
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "read back: hello (with a causality token)" in done.stdout
    assert done.stdout.count(" healthy ") + done.stdout.count(" lagging ") == 2
