"""Every stanchion error maps to its RFC 9457 problem response, and none leaks internals."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from stanchion import errors
from stanchion.fastapi import install_problem_handlers
from stanchion.fastapi.problems import problem_for

SECRET = "postgresql://admin:hunter2@db.internal/prod"

CASES: list[tuple[errors.StanchionError, int]] = [
    (errors.NotFound("Post", 7), 404),
    (errors.AlreadyExists(f"dup {SECRET}", constraint="uq_users_email", fields=["email"]), 409),
    (errors.ForeignKeyViolation(f"fk {SECRET}", constraint="fk_posts_author_id_users"), 409),
    (errors.CheckViolation(f"check {SECRET}", constraint="ck_pages"), 422),
    (errors.StaleData(f"stale {SECRET}"), 412),
    (errors.InvalidQuery("cannot sort by 'password_hash'", field="password_hash"), 422),
    (errors.DatabaseUnavailable(f"down {SECRET}"), 503),
    (errors.Deadlock(f"deadlock {SECRET}"), 503),
    (errors.SerializationFailure(f"serial {SECRET}"), 503),
    (errors.QueryTimeout(f"slow {SECRET}"), 503),
    (errors.RetryExhausted(5, errors.Deadlock(SECRET)), 503),
    (errors.CommitOutcomeUnknown(f"lost {SECRET}"), 500),
    (errors.LazyLoadError(f"lazy {SECRET}"), 500),
    (errors.DatabaseError(f"other {SECRET}"), 500),
]


@pytest.mark.parametrize("error, status", CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_error_has_its_status_and_says_nothing_internal(
    error: errors.StanchionError, status: int
) -> None:
    response = problem_for(error)
    body = json.loads(bytes(response.body))
    assert response.status_code == body["status"] == status
    assert response.media_type == "application/problem+json"
    assert body["type"] == "about:blank" and body["title"]
    text = bytes(response.body).decode()
    for leak in ("hunter2", "db.internal", "uq_users", "fk_posts", "ck_pages"):
        assert leak not in text
    if status == 503:
        assert int(response.headers["Retry-After"]) >= 1
    else:
        assert "Retry-After" not in response.headers


@pytest.mark.anyio
async def test_an_unexpected_exception_is_a_bare_500() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(f"connect to {SECRET} failed: SELECT * FROM users")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
        missing = await client.get("/nowhere")
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
    }
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
