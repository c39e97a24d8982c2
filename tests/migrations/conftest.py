"""Fixtures for migration tests: a throwaway database per test and the sample project."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from stanchion.migrations import MigrationConfig
from stanchion.migrations.testing import scratch_database
from tests.conftest import backend_url

SAMPLE = Path(__file__).parent / "sample"


@pytest.fixture
def scratch_url(backend: str) -> Iterator[URL]:
    """An empty database of its own on `backend`, dropped after the test."""
    with scratch_database(backend_url(backend)) as url:
        yield url


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
