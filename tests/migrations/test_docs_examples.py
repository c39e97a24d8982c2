"""docs/migrations.md's examples: quoted verbatim from files that these tests run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from stanchion import Database
from stanchion.migrations import (
    MigrationConfig,
    current_revision,
    downgrade,
    offline_sql,
    upgrade,
)
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


#: What each profile's DDL facet writes for the safe revision (offline, no server needed).
SAFE_SQL = {
    "postgresql": [
        "ALTER TABLE posts ADD CONSTRAINT ck_posts_editor_id_not_null"
        " CHECK (editor_id IS NOT NULL) NOT VALID;",
        "ALTER TABLE posts VALIDATE CONSTRAINT ck_posts_editor_id_not_null;",
        "ALTER TABLE posts ALTER COLUMN editor_id SET NOT NULL;",
        "ALTER TABLE posts DROP CONSTRAINT ck_posts_editor_id_not_null;",
        "CREATE INDEX CONCURRENTLY ix_posts_editor_id ON posts (editor_id);",
        "ALTER TABLE posts ADD CONSTRAINT fk_posts_editor_id_authors FOREIGN KEY(editor_id)"
        " REFERENCES authors (id) NOT VALID;",
        "ALTER TABLE posts VALIDATE CONSTRAINT fk_posts_editor_id_authors;",
        "ALTER TYPE post_status ADD VALUE IF NOT EXISTS 'archived';",
        "DROP INDEX CONCURRENTLY ix_posts_editor_id;",
    ],
    "mysql": [
        "ALTER TABLE posts MODIFY editor_id BIGINT NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;",
        "CREATE INDEX ix_posts_editor_id ON posts (editor_id) ALGORITHM=INPLACE LOCK=NONE;",
        "SET SESSION foreign_key_checks = 0;",
        "ALTER TABLE posts ADD CONSTRAINT fk_posts_editor_id_authors FOREIGN KEY(editor_id)"
        " REFERENCES authors (id);",
        "SET SESSION foreign_key_checks = 1;",
        "ALTER TABLE posts DROP INDEX ix_posts_editor_id, ALGORITHM=INPLACE, LOCK=NONE;",
    ],
}


@pytest.mark.parametrize("dialect", sorted(SAFE_SQL))
def test_safe_revision_renders_each_profiles_online_ddl(
    dialect: str, sample_copy: MigrationConfig
) -> None:
    shutil.copy(SAFE_REVISION, sample_copy.directory / "versions" / "0004_safe.py")
    sql = offline_sql(sample_copy, "0003:0004", dialect=dialect)
    sql += offline_sql(sample_copy, "0004:0003", dialect=dialect, downgrade=True)
    lines = [line.strip() for line in sql.splitlines() if line.strip()]
    found = [line for line in lines if line in SAFE_SQL[dialect]]
    assert found == SAFE_SQL[dialect]
    if dialect == "postgresql":  # CONCURRENTLY and new enum values run outside a transaction
        for statement in ("CREATE INDEX CONCURRENTLY", "ALTER TYPE", "VALIDATE CONSTRAINT fk_"):
            (index,) = [i for i, line in enumerate(lines) if statement in line]
            assert lines[index - 1] == "COMMIT;", statement
