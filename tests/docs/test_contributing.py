"""CONTRIBUTING.md stays true to the tree: the paths and test names it cites exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "CONTRIBUTING.md").read_text()
#: A path from the repository root: a folder of the tree, then anything up to a space or quote.
PATH = re.compile(r"(?<![\w/.])((?:src|tests|docs|bench|examples|\.ci)/[\w./-]*[\w/])")
ROOT_FILES = ("CHANGELOG.md", ".pre-commit-config.yaml", "pyproject.toml", "uv.lock")


def test_every_path_the_guide_names_exists() -> None:
    rooted = set(PATH.findall(GUIDE)) | {name for name in ROOT_FILES if name in GUIDE}
    assert len(rooted) > 10, rooted  # the pattern still finds the paths
    missing = sorted(path for path in rooted if not (ROOT / path).exists())
    assert not missing, f"CONTRIBUTING.md names paths that do not exist: {missing}"


def test_every_test_the_guide_cites_exists() -> None:
    cited = set(re.findall(r"`(test_\w+)`", GUIDE))
    assert cited
    sources = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    assert {name for name in cited if f"def {name}(" not in sources} == set()
