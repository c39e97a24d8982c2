"""The demo data loads in bulk on every backend, and the `blog` command migrates and seeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from blog.cli import cli
from blog.models import Comment, Post, PostTag, Tag, User
from blog.seed import SeedSize, seed
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from stanchion import Database
from tests.blog.conftest import BLOG_TABLES


@pytest.fixture
def real_db(blog_url: URL) -> Iterator[Database]:
    db = Database(blog_url)
    try:
        yield db
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        with db.engine.begin() as connection:
            for name in BLOG_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {name}")
        db.dispose()


@pytest.mark.commits
def test_seed_bulk_loads_consistent_demo_data(backend: str, real_db: Database) -> None:
    written = seed(real_db, SeedSize(users=30, posts=400, comments_per_post=2), show_progress=False)
    with real_db.session() as session:

        def count(model: type) -> int:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())

        counts = {m.__name__: count(m) for m in (User, Tag, Post, PostTag, Comment)}
        orphans = session.execute(
            select(func.count()).select_from(Post).where(Post.author_id.not_in(select(User.id)))
        ).scalar_one()
        versions = set(session.execute(select(Post.version).distinct()).scalars())
    assert (counts["User"], counts["Post"], counts["Comment"]) == (30, 400, 800)
    assert sum(counts.values()) == written
    assert orphans == 0 and versions == {1}


def test_blog_command_migrates_and_seeds_only_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/blog.db")
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    seeded = runner.invoke(cli, ["seed", "--users", "5", "--posts", "20"])
    assert seeded.exit_code == 0, seeded.output
    assert "seeded" in seeded.output
    again = runner.invoke(cli, ["seed"])
    assert again.exit_code == 0 and "nothing seeded" in again.output
    db = Database(f"sqlite:///{tmp_path}/blog.db")
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == 20
    db.dispose()
