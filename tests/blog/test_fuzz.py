"""An OpenAPI-driven fuzz run (schemathesis) against the served app finds no server error.

Bounded: a fixed number of generated requests per operation, on a small seeded database.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from blog.app import create_app
from blog.models import User
from blog.seed import SeedSize, seed
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from tests import backends as backend_support
from tests.blog.conftest import BLOG_TABLES, live_server

EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def seeded_url(blog_url: URL) -> URL:
    db = Database(blog_url)
    try:
        with db.engine.begin() as connection:
            for name in BLOG_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {name}")
        seed(db, SeedSize(users=10, posts=40, comments_per_post=2), show_progress=False)
        yield blog_url
    finally:
        with db.engine.begin() as connection:
            for name in BLOG_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {name}")
        db.dispose()


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_generated_requests_never_get_a_server_error(backend: str, seeded_url: URL) -> None:
    db = Database(seeded_url)
    with db.session() as session:
        users = list(session.execute(select(User.id).order_by(User.id).limit(3)).scalars())
    db.dispose()
    app = create_app(lambda: AsyncDatabase(backend_support.async_url(seeded_url)))
    failures: list[str] = []
    with live_server(app) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20

        for operation in operations:

            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(
                case=operation.as_strategy(), acting=st.sampled_from([None, *map(str, users)])
            )
            def run(case: schemathesis.Case, acting: str | None) -> None:
                # Half the time act as a real user, so the authenticated paths run too.
                headers = {"X-User-Id": acting} if acting else None
                response = case.call(base_url=base_url, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {case.method} {case.formatted_path}")

            run()
    assert failures == [], "\n".join(failures)
