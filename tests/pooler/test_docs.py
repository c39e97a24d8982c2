"""docs/scale-out.md's PgBouncer and Failover sections quote their examples verbatim; the
PgBouncer example also runs through a real PgBouncer (tests/docs/test_examples_as_users_run_them
runs both on every backend without one)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "scale-out.md"
EXAMPLES = {
    "## PgBouncer": ROOT / "docs" / "examples" / "scale_out_pgbouncer.py",
    "## Failover": ROOT / "docs" / "examples" / "scale_out_failover.py",
}


def section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize("heading", sorted(EXAMPLES))
def test_every_code_block_of_the_section_is_quoted_from_its_example(heading: str) -> None:
    part = section(PAGE.read_text(), heading)
    source = EXAMPLES[heading].read_text()
    blocks = re.findall(r"```python\n(.*?)```", part, flags=re.S)
    assert blocks
    for block in blocks:
        assert block.rstrip() in source, block[:200]
    assert f"docs/examples/{EXAMPLES[heading].name}" in part


@pytest.mark.backends("postgresql")
def test_the_pgbouncer_example_runs_through_pgbouncer(pooled: URL, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env |= {
        "PYTHONPATH": str(ROOT / "src"),
        "DATABASE_URL": pooled.render_as_string(hide_password=False),
        "DATABASE_POOLER": "pgbouncer",
    }
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES["## PgBouncer"])],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "DATABASE_DIRECT_URL" in done.stdout  # the refused advisory lock's hint
