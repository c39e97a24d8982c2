"""docs/migrations.md's examples: quoted verbatim from files that these tests run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from stanchion import Database
from stanchion.migrations import MigrationConfig, current_revision, downgrade, upgrade
from stanchion.migrations.lint import lint

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "migrations.md"
SAFE_REVISION = ROOT / "docs" / "examples" / "migrations" / "safe_revision.py"
RECIPE = ROOT / "tests" / "migrations" / "test_pytest_alembic.py"


@pytest.mark.parametrize("example", [SAFE_REVISION, RECIPE], ids=lambda p: p.name)
def test_doc_quotes_the_example_file_verbatim(example: Path) -> None:
    code = example.read_text().split('"""', 2)[2].strip()
    assert code in DOC.read_text()


def test_safe_revision_passes_lint_on_postgresql_and_mysql(
    sample_copy: MigrationConfig,
) -> None:
    shutil.copy(SAFE_REVISION, sample_copy.directory / "versions" / "0004_safe.py")
    report = lint(sample_copy, since="0003")
    assert report.revisions == ["0004"]
    assert report.findings == []


@pytest.mark.commits
def test_safe_revision_upgrades_and_downgrades_with_data(
    backend: str, scratch_url: URL, sample_copy: MigrationConfig
) -> None:
    shutil.copy(SAFE_REVISION, sample_copy.directory / "versions" / "0004_safe.py")
    upgrade(scratch_url, sample_copy, "0003")
    database = Database(scratch_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO authors (name) VALUES ('ann')"))
            connection.execute(text("INSERT INTO posts (author_id, title) VALUES (1, 't')"))
        upgrade(database, sample_copy)
        with database.engine.connect() as connection:
            columns = {c["name"]: c for c in inspect(connection).get_columns("posts")}
            assert columns["editor_id"]["nullable"] is False
            assert connection.scalar(text("SELECT editor_id FROM posts")) == 1
            assert connection.scalar(text("SELECT views FROM posts")) == 0
        downgrade(database, sample_copy, "0003")
        assert current_revision(database, sample_copy) == "0003"
    finally:
        database.dispose()


def test_doc_lists_every_lint_rule() -> None:
    from stanchion.migrations.lint import RULES

    doc = DOC.read_text()
    assert all(f"| `{rule.id}` |" in doc for rule in RULES)
