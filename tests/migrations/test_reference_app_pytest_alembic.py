"""pytest-alembic's built-in tests, unmodified, on the reference blog's migrations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_alembic.tests import (  # noqa: F401  (collected as this module's tests)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from stanchion.migrations.testing import pytest_alembic_config, scratch_database
from tests.conftest import backend_url
from tests.migrations.test_reference_app import blog_config

pytestmark = [pytest.mark.backends("postgresql", "sqlite"), pytest.mark.commits]


@pytest.fixture
def alembic_config() -> Any:
    return pytest_alembic_config(blog_config())


@pytest.fixture
def alembic_engine(backend: str) -> Iterator[Engine]:
    with scratch_database(backend_url(backend)) as url:
        engine = create_engine(url, poolclass=NullPool)
        try:
            yield engine
        finally:
            engine.dispose()
