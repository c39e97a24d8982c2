"""mypy --strict agrees with the typing promises the docs make (tests/typecheck/*_types.py)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_async_repository_keeps_the_types_of_its_repository_class() -> None:
    out, err, status = api.run(
        ["--strict", "--no-incremental", str(HERE / "async_repository_types.py")]
    )
    assert status == 0, out + err
