"""docs/testing.md quotes its examples verbatim from docs/examples/testing, which tests run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "testing.md"
EXAMPLES = ROOT / "docs" / "examples" / "testing"


def test_every_code_block_of_the_testing_page_is_quoted_from_an_example_file() -> None:
    sources = [path.read_text() for path in EXAMPLES.rglob("*") if path.is_file()]
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 6
    for block in blocks:
        assert any(block.rstrip() in source for source in sources), block[:200]
