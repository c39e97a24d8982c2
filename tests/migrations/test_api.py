"""The Python API and the generated env.py, on real databases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from stanchion import AsyncDatabase, Database, Deadlock, QueryTimeout
from stanchion.migrations import (
    MigrationConfig,
    MigrationConfigError,
    MigrationError,
    async_schema_status,
    async_upgrade,
    current_revision,
    downgrade,
    head_revision,
    merge,
    offline_sql,
    schema_status,
    stamp,
    upgrade,
)
from tests.backends import async_url

pytestmark = pytest.mark.commits

SAMPLE_TABLES = {"alembic_version", "authors", "posts"}


def tables(url: URL) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_config_is_read_from_pyproject(sample: MigrationConfig) -> None:
    assert sample.directory.name == "migrations"
    assert sample.metadata == ("mig_sample.models:Base.metadata",)
    assert sample.lock_timeout_ms == 5000
    assert sorted(sample.target_metadata().tables) == ["authors", "posts"]  # type: ignore[union-attr]


def test_config_names_a_bad_metadata_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.stanchion]\nmetadata = "nowhere:metadata"\n')
    with pytest.raises(MigrationConfigError, match="nowhere"):
        MigrationConfig.load(tmp_path).target_metadata()


def test_config_keeps_the_real_password_for_alembic(sample: MigrationConfig) -> None:
    url = make_url("postgresql+psycopg://app:s3cret@db.internal/app")
    settings = sample.with_url(url).database_settings()
    assert "s3cret" in settings.url.get_secret_value()
    assert "s3cret" not in repr(sample.with_url(url))


def test_upgrade_downgrade_and_status_through_a_url(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    upgrade(scratch_url, sample)
    assert tables(scratch_url) == SAMPLE_TABLES
    database = Database(scratch_url)
    try:
        assert schema_status(database, sample) == ("0003", "0003", True)
        downgrade(database, sample, "0001")
        assert current_revision(database, sample) == "0001"
        assert schema_status(database, sample).is_at_head is False
        downgrade(database, sample, "base")
        assert current_revision(database, sample) is None
    finally:
        database.dispose()
    assert tables(scratch_url) == {"alembic_version"}


@pytest.mark.backends("postgresql", "sqlite")
def test_upgrade_inside_the_callers_transaction_is_undone_by_its_rollback(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    database = Database(scratch_url)  # stanchion's SQLite engine makes DDL transactional
    try:
        with database.engine.connect() as connection:
            connection.begin()
            upgrade(connection, sample, "0001")
            assert current_revision(connection, sample) == "0001"
            connection.rollback()
        assert "authors" not in tables(scratch_url)
    finally:
        database.dispose()


def test_handed_in_connection_wins_over_the_configured_url(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    nowhere = sample.with_url("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    engine = create_engine(scratch_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            upgrade(connection, nowhere)
            assert not connection.in_transaction()
        upgrade(engine, nowhere)  # an Engine is accepted too (pytest-alembic hands one in)
    finally:
        engine.dispose()
    assert tables(scratch_url) == SAMPLE_TABLES


@pytest.mark.anyio
async def test_async_url_migrates_from_inside_a_running_event_loop(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    upgrade(async_url(scratch_url), sample, "0002")
    database = AsyncDatabase(async_url(scratch_url))
    try:
        await async_upgrade(database, sample)
        assert await async_schema_status(database, sample) == ("0003", "0003", True)
    finally:
        await database.dispose()


@pytest.mark.backends("postgresql")
def test_postgresql_lock_timeout_is_set_for_migrations_and_reset_after(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    database = Database(scratch_url)
    try:
        with database.engine.connect() as connection:
            before = connection.scalar(text("SHOW lock_timeout"))
            connection.commit()
            upgrade(connection, sample)
            assert connection.scalar(text("SHOW lock_timeout")) == before
    finally:
        database.dispose()
    sql = offline_sql(sample, "base:0001", dialect="postgresql")
    assert "SET lock_timeout = '5000ms'" in sql


@pytest.mark.backends("sqlite")
def test_sqlite_batch_rebuild_of_a_parent_table_keeps_its_children(
    backend: str, scratch_url: URL, sample_copy: MigrationConfig
) -> None:
    (sample_copy.directory / "versions" / "0004_rebuild_authors.py").write_text(REBUILD_AUTHORS)
    upgrade(scratch_url, sample_copy, "0003")
    database = Database(scratch_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO authors (name) VALUES ('ann')"))
            connection.execute(text("INSERT INTO posts (author_id, title) VALUES (1, 't')"))
        upgrade(database, sample_copy)  # drops and recreates authors: no cascade may fire
        with database.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM posts")) == 1
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
    finally:
        database.dispose()


REBUILD_AUTHORS = """
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    with op.batch_alter_table("authors", recreate="always") as batch:
        batch.add_column(sa.Column("bio", sa.Text()))


def downgrade():
    with op.batch_alter_table("authors", recreate="always") as batch:
        batch.drop_column("bio")
"""


def test_stamp_and_head(scratch_url: URL, sample: MigrationConfig, backend: str) -> None:
    assert head_revision(sample) == "0003"
    stamp(scratch_url, sample, "0002")
    database = Database(scratch_url)
    try:
        assert current_revision(database, sample) == "0002"
    finally:
        database.dispose()
    with pytest.raises(MigrationError, match="nope"):
        upgrade(scratch_url, sample, "nope")


def test_autogenerated_downgrade_drops_tables_without_their_indexes_first() -> None:
    from alembic.operations import ops

    from stanchion.migrations.autogenerate import revision_directives
    from stanchion.migrations.operations import DropEnumOp

    table = ops.CreateTableOp(
        "tags",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("kind", sa.Enum("a", "b", name="tag_kind")),
        ],
    )
    script = ops.MigrationScript(
        "x",
        ops.UpgradeOps([table, ops.CreateIndexOp("ix_tags_kind", "tags", ["kind"])]),
        ops.DowngradeOps([ops.DropIndexOp("ix_tags_kind", "tags"), ops.DropTableOp("tags")]),
    )
    revision_directives()(None, None, [script])
    downgrade_ops = script.downgrade_ops.ops  # type: ignore[union-attr]
    assert [type(op) for op in downgrade_ops] == [ops.DropTableOp, DropEnumOp]
    assert isinstance(downgrade_ops[1], DropEnumOp)
    assert downgrade_ops[1].enum_name == "tag_kind"


@pytest.mark.backends("postgresql")
def test_a_failed_migration_gives_the_connection_back_as_it_came(
    backend: str, scratch_url: URL, sample_copy: MigrationConfig
) -> None:
    (sample_copy.directory / "versions" / "0004_broken.py").write_text(
        'from alembic import op\n\nrevision = "0004"\ndown_revision = "0003"\n\n'
        'def upgrade():\n    op.execute("SELECT * FROM nowhere")\n\n'
        "def downgrade():\n    pass\n"
    )
    database = Database(scratch_url)
    try:
        with database.engine.connect() as connection:
            before = connection.scalar(text("SHOW lock_timeout"))
            connection.commit()
            with pytest.raises(MigrationError):
                upgrade(connection, sample_copy)
            assert not connection.in_transaction()
            assert connection.scalar(text("SHOW lock_timeout")) == before
            assert current_revision(connection, sample_copy) == "0003"
    finally:
        database.dispose()


def test_public_api_is_exactly_what_all_lists() -> None:
    import stanchion.migrations as migrations

    public = {name for name in vars(migrations) if not name.startswith("_")}
    modules = {
        "api",
        "autogenerate",
        "config",
        "env",
        "operations",
        "exit_codes",
        "check",
        "lint",
        "testing",
    }
    assert set(migrations.__all__) == public - modules


@pytest.mark.backends("postgresql", "mysql")
def test_ddl_behind_a_long_transaction_gives_up_at_the_lock_timeout(
    backend: str, scratch_url: URL, sample: MigrationConfig
) -> None:
    upgrade(scratch_url, sample, "0002")
    impatient = replace(sample, lock_timeout_ms=200)
    holder = Database(scratch_url)
    try:
        with holder.engine.connect() as reader:
            reader.execute(text("SELECT count(*) FROM posts"))  # holds a shared lock until rollback
            with pytest.raises((QueryTimeout, Deadlock)) as caught:
                upgrade(scratch_url, impatient)  # ALTER TABLE posts needs an exclusive lock
            reader.rollback()
        driver_error = caught.value.__cause__
        sqlstate = getattr(driver_error, "sqlstate", None)
        errno = getattr(driver_error, "args", (None,))[0]
        assert sqlstate == "55P03" or errno == 1205  # lock_not_available, not statement_timeout
    finally:
        holder.dispose()
    database = Database(scratch_url)
    try:
        assert current_revision(database, sample) == "0002"
    finally:
        database.dispose()


BRANCH = '''"""a second branch off 0002

Revision ID: 0003b
Revises: 0002
"""

revision = "0003b"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def fork(config: MigrationConfig) -> None:
    """Add a revision beside 0003, as a second branch would: the history gets two heads."""
    (config.directory / "versions" / "0003b_branch.py").write_text(BRANCH)


def test_merge_joins_two_heads_into_one_that_upgrades(
    backend: str, scratch_url: URL, sample_copy: MigrationConfig
) -> None:
    fork(sample_copy)
    with pytest.raises(MigrationError, match="several heads"):
        head_revision(sample_copy)

    script = merge(sample_copy, "join the branches", rev_id="0004")

    assert script.revision == "0004"
    assert set(script.down_revision or ()) == {"0003", "0003b"}
    assert head_revision(sample_copy) == "0004"
    upgrade(scratch_url, sample_copy)
    database = Database(scratch_url)
    try:
        assert schema_status(database, sample_copy) == ("0004", "0004", True)
    finally:
        database.dispose()


def test_merge_refuses_a_history_with_one_head(sample_copy: MigrationConfig) -> None:
    with pytest.raises(MigrationError, match="nothing to merge: 1 head"):
        merge(sample_copy)
    assert head_revision(sample_copy) == "0003"
