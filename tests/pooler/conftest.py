"""The PgBouncer the pooler tests use: STANCHION_TEST_PGBOUNCER_URL, else 127.0.0.1:6432."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from tests import backends as backend_support
from tests.conftest import direct_backend_url

DEFAULT_PGBOUNCER = "postgresql://127.0.0.1:6432"


@pytest.fixture
def pooled(backend: str) -> URL:
    """This worker's PostgreSQL database, reached through PgBouncer (skip when none runs)."""
    address = make_url(os.environ.get(backend_support.PGBOUNCER_ENV) or DEFAULT_PGBOUNCER)
    url: URL = direct_backend_url(backend).set(host=address.host, port=address.port)
    try:
        psycopg.connect(libpq(url), connect_timeout=3).close()
    except psycopg.Error as error:
        reason = f"no PgBouncer at {address.host}:{address.port} ({type(error).__name__})"
        if backend_support.required() >= {"postgresql"}:
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def libpq(url: URL) -> str:
    return f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
