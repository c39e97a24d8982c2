"""docs/conduit.md quotes its code verbatim from the app's files, and the index links to it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conduit.test_queries import LIST_QUERIES

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "conduit.md"
SOURCES = ROOT / "examples" / "conduit" / "src" / "conduit"


def test_every_code_block_of_the_conduit_page_is_quoted_from_the_app() -> None:
    sources = [path.read_text() for path in SOURCES.rglob("*.py")]
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 3
    for block in blocks:
        assert any(block.rstrip() in source for source in sources), block[:200]


def test_the_page_states_the_query_count_the_tests_prove() -> None:
    words = {6: "six"}
    assert f"{words[LIST_QUERIES]} statements" in PAGE.read_text()


def test_the_docs_index_links_the_page() -> None:
    assert "(conduit.md)" in (ROOT / "docs" / "index.md").read_text()
