"""An OpenAPI-driven fuzz run (schemathesis) against the served app finds no server error, and
every answer conforms to the OpenAPI document (status, content type, body, headers).

Bounded: a fixed number of generated requests per operation, on a small seeded database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from blog.app import create_app
from blog.models import User
from blog.seed import SeedSize, seed
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks
from sqlalchemy import select
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from tests import backends as backend_support
from tests.apps import live_server
from tests.blog.conftest import BLOG_TABLES
from tests.properties import bounded

EXAMPLES_PER_OPERATION = 10
#: What each response is checked for besides not being a 5xx: a documented status code, content
#: type, body and headers.
CONFORMANCE = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def seeded_url(blog_url: URL) -> Iterator[URL]:
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
        results = list(schema.get_all_operations())
        operations = [result.ok() for result in results if isinstance(result, Ok)]
        assert len(operations) == len(results) >= 20  # every operation in the schema is valid

        for operation in operations:

            @bounded(EXAMPLES_PER_OPERATION)
            @hypothesis.given(
                case=operation.as_strategy(), acting=st.sampled_from([None, *map(str, users)])
            )
            def run(case: schemathesis.Case[Any], acting: str | None) -> None:
                # Half the time act as a real user, so the authenticated paths run too.
                headers = {"X-User-Id": acting} if acting else None
                response = case.call(base_url=base_url, headers=headers)
                call = f"{response.status_code} {case.method} {case.formatted_path}"
                if response.status_code >= 500:
                    failures.append(call)
                try:  # and the answer is one the OpenAPI document describes
                    case.validate_response(response, checks=CONFORMANCE, headers=headers)
                except AssertionError as failure:  # schemathesis' FailureGroup is one
                    failures.append(f"{call}: {str(failure)[:800]}")

            run()
    assert failures == [], "\n".join(failures)
