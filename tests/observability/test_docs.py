"""docs/observability.md quotes its code from docs/examples/observability, which
tests/docs/test_examples_as_users_run_them.py runs on every backend, twice."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "observability.md"
EXAMPLES = ROOT / "docs" / "examples" / "observability"


def test_every_code_block_is_quoted_from_an_example_file() -> None:
    sources = [path.read_text() for path in EXAMPLES.rglob("*.py")]
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        assert any(block.rstrip() in source for source in sources), block[:200]
