"""Schemathesis' stateful phase against the served blog: sequences of calls linked through the
OpenAPI document (create a user, read it, edit it, post as them, comment...), every response
checked against the document — status codes, content types, bodies, headers — and no 5xx.

Bounded and derandomized: a fixed number of sequences of a few steps, the same every run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from blog.app import create_app
from blog.seed import SeedSize, seed
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import Case
from schemathesis.core.transport import Response
from schemathesis.specs.openapi import checks
from sqlalchemy.engine import URL

from stanchion import AsyncDatabase, Database
from tests import backends as backend_support
from tests.apps import live_server
from tests.blog.conftest import BLOG_TABLES
from tests.blog.test_fuzz import seeded_url
from tests.properties import bounded

__all__ = ["seeded_url"]  # the fixture, re-used

SEQUENCES = 25
STEPS = 6
CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.use_after_free,
    checks.ensure_resource_availability,
]


def reseed(db: Database) -> None:
    """The same small blog every time: hypothesis replays a sequence only if the server
    answers it as before (SQLite hands out the same ids again once the tables are empty)."""
    with db.engine.begin() as connection:
        for name in BLOG_TABLES:
            connection.exec_driver_sql(f"DELETE FROM {name}")
    seed(db, SeedSize(users=3, posts=5, comments_per_post=1), show_progress=False)


@pytest.mark.backends("sqlite")  # the document and the answers are the same on every backend
def test_linked_call_sequences_get_only_documented_answers(backend: str, seeded_url: URL) -> None:
    db = Database(seeded_url)
    app = create_app(lambda: AsyncDatabase(backend_support.async_url(seeded_url)))
    with live_server(app) as base_url:
        try:
            run_sequences(base_url, db)
        finally:
            db.dispose()


def run_sequences(base_url: str, db: Database) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    answered: set[str] = set()

    class Blog(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            reseed(db)

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            # act as the seed's first user, so the authenticated paths run too
            return {"base_url": base_url, "headers": {"X-User-Id": "1"}}

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            # Recorded, not raised: the server's state moves on between runs, so hypothesis
            # could not replay (shrink) a failing sequence; the message names the call instead.
            call = f"{response.status_code} {case.method} {case.formatted_path}"
            answered.add(f"{case.method} {case.operation.path} {response.status_code}")
            if response.status_code >= 500:
                failures.append(f"server error: {call}")
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except AssertionError as failure:  # schemathesis' FailureGroup is one
                failures.append(f"{call}: {str(failure)[:800]}")

    run_state_machine_as_test(
        Blog,
        settings=bounded(SEQUENCES, stateful_step_count=STEPS),
    )
    assert failures == [], "\n\n".join(failures[:10])
    # the sequences reach past the first call: rows made in one step are read and changed later
    reached = {"GET /users/{user_id} 200", "PATCH /tags/{tag_id} 200", "DELETE /tags/{tag_id} 204"}
    assert reached <= answered, sorted(answered)
