"""stanchion's pytest plugin (registered by entry point; inert unless configured).

Configure it with ``stanchion_database_url`` (ini or ``--stanchion-database-url``) and a schema:
``stanchion_migrations = "pyproject.toml"`` (its ``[tool.stanchion]``), ``stanchion_metadata =
"app.models:Model.metadata"`` or a ``stanchion_schema`` fixture. The fixtures live in
`stanchion.testing.fixtures`; the hooks here export the URL and fail N+1 tests. See docs/testing.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from stanchion.testing.fixtures import (
    _ENV,
    _METADATA,
    _MIGRATIONS,
    _NPLUSONE,
    _STATE,
    _URL,
    PREPARED,
    _base_url,
    _stanchion_sync_db,
    _stanchion_tables,
    stanchion_adb,
    stanchion_databases,
    stanchion_db,
    stanchion_nplusone,
    stanchion_queries,
    stanchion_schema,
    stanchion_url,
)

__all__ = [
    "_stanchion_sync_db",
    "_stanchion_tables",
    "stanchion_adb",
    "stanchion_databases",
    "stanchion_db",
    "stanchion_nplusone",
    "stanchion_queries",
    "stanchion_schema",
    "stanchion_url",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stanchion", "stanchion test databases")
    group.addoption(
        "--stanchion-database-url",
        dest=_URL,
        default=None,
        help="base URL of the test database (a copy per xdist worker is made from it)",
    )
    parser.addini(_URL, "base URL of the test database (one copy per xdist worker)")
    parser.addini(
        _METADATA, "'module:attribute' of the MetaData to create_all in the test database"
    )
    parser.addini(_MIGRATIONS, "pyproject.toml whose [tool.stanchion] migrations build the db")
    parser.addini(_ENV, "environment variable set to the worker's URL", default="DATABASE_URL")
    parser.addini(_NPLUSONE, "run the N+1 detector in every stanchion_db/adb test", type="bool")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Export the worker's URL before conftests import the app (so ``Database()`` finds it)."""
    base = _base_url(early_config)
    variable = early_config.getini(_ENV)
    if base and variable:
        from stanchion.testing.databases import worker_url

        url = worker_url(base)
        # No driver named: stanchion picks the sync or async one for Database/AsyncDatabase.
        url = url.set(drivername=url.get_backend_name())
        os.environ[str(variable)] = url.render_as_string(hide_password=False)


def pytest_report_header(config: pytest.Config) -> str | None:
    base = _base_url(config)
    if base is None:
        return None
    from sqlalchemy.engine import make_url

    from stanchion.engine.url import safe_url

    schema = "migrations" if config.getini(_MIGRATIONS) else "metadata or stanchion_schema"
    return f"stanchion: test database {safe_url(make_url(base))} per worker, built from {schema}"


@pytest.hookimpl(trylast=True)  # after pytest tore the session fixtures (engines) down
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the test databases this run made: each worker its own copy, then (in the process
    that ran the whole session) the template they were cloned from."""
    from stanchion.testing.databases import drop, drop_template

    for url in session.config.stash.get(PREPARED, []):
        drop(url)
    base = _base_url(session.config)
    if base is not None and not hasattr(session.config, "workerinput"):
        drop_template(base)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "commits: the test commits for real (no savepoint isolation); rows deleted after"
    )
    config.addinivalue_line(
        "markers", "nplusone_safelist(*names): N+1 patterns allowed in this test ('User.posts')"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that passed but lazy-loaded a relationship per parent (when detecting)."""
    result = yield
    state = item.stash.get(_STATE, None)
    if state is not None and state.detector is not None:
        state.detector.check()
    return result
