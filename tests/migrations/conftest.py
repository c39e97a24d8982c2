"""Fixtures for migration tests: a throwaway database per test and the sample project."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from stanchion.database.backends import backend_for
from stanchion.migrations import MigrationConfig
from tests.conftest import backend_url

SAMPLE = Path(__file__).parent / "sample"


@pytest.fixture
def scratch_url(backend: str) -> Iterator[URL]:
    """An empty database of its own on `backend`, dropped after the test."""
    yield from fresh_database(backend_url(backend))


def fresh_database(base: URL) -> Iterator[URL]:
    profile = backend_for(base)
    url = profile.scratch_url(base, f"m{uuid.uuid4().hex[:10]}")
    profile.create_database(url)
    try:
        yield url
    finally:
        profile.drop_database(url)


@pytest.fixture
def sample() -> MigrationConfig:
    """The sample project's configuration, read from its pyproject.toml."""
    return MigrationConfig.load(SAMPLE / "pyproject.toml")


@pytest.fixture
def sample_copy(tmp_path: Path) -> MigrationConfig:
    """A private copy of the sample's migrations, for tests that edit or add revisions."""
    directory = tmp_path / "migrations"
    shutil.copytree(SAMPLE / "migrations", directory, ignore=shutil.ignore_patterns("__pycache__"))
    return MigrationConfig.load(SAMPLE / "pyproject.toml").__class__(
        directory=directory,
        metadata=("mig_sample.models:Base.metadata",),
        root=SAMPLE,
    )
