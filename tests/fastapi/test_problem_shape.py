"""Every client error has one problem+json shape, and OpenAPI documents it with its JSON schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, TypeAdapter

from stanchion import errors
from stanchion.fastapi import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    DatabaseDep,
    Problem,
    install_problem_handlers,
)

pytestmark = pytest.mark.anyio

_PROBLEM = TypeAdapter(Problem)


class _Body(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/cursor")
    async def bad_cursor() -> None:
        raise errors.InvalidQuery("malformed page cursor", field="cursor")

    @app.get("/unfielded")
    async def unfielded() -> None:
        raise errors.InvalidQuery("every row must have the same fields")

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> None:
        raise errors.NotFound("Item", item_id)

    @app.post("/items", responses=PROBLEM_RESPONSES)
    async def create(body: _Body) -> None:
        raise errors.AlreadyExists("dup", fields=["name"])

    @app.get("/stale")
    async def stale() -> None:
        raise errors.StaleData("stale")

    @app.get("/check")
    async def check() -> None:
        raise errors.CheckViolation("check")

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout")

    @app.get("/db")
    async def uses_the_database(db: DatabaseDep) -> None:
        return None

    @app.get("/plain")
    async def plain() -> None:
        return None

    return app


async def _get(method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


CLIENT_ERRORS = [
    ("GET", "/cursor", {}, 422),
    ("GET", "/unfielded", {}, 422),
    ("GET", "/items/abc", {}, 422),
    ("POST", "/items", {"json": {"name": 3, "extra": 1}}, 422),
    ("GET", "/items/7", {}, 404),
    ("POST", "/items", {"json": {"name": "x"}}, 409),
    ("GET", "/stale", {}, 412),
    ("GET", "/check", {}, 422),
    ("GET", "/teapot", {}, 418),
    ("GET", "/nowhere", {}, 404),
    ("DELETE", "/plain", {}, 405),
]


@pytest.mark.parametrize(
    "method, path, kwargs, status",
    CLIENT_ERRORS,
    ids=[f"{m} {p} {s}" for m, p, _, s in CLIENT_ERRORS],
)
async def test_every_client_error_validates_against_the_one_problem_schema(
    method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = await _get(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    _PROBLEM.validate_python(body)
    assert set(body) <= set(Problem.model_fields)
    for item in body.get("errors", []):
        assert set(item) == {"loc", "msg", "type"}


async def test_a_bad_cursor_reads_like_a_validation_error() -> None:
    cursor = (await _get("GET", "/cursor")).json()
    invalid = (await _get("GET", "/items/abc")).json()
    assert cursor["errors"] == [
        {"loc": ["query", "cursor"], "msg": "malformed page cursor", "type": "invalid_query"}
    ]
    assert invalid["errors"][0]["loc"] == ["path", "item_id"]
    assert set(cursor["errors"][0]) == set(invalid["errors"][0])


def test_openapi_documents_the_problem_schema_instead_of_fastapis_own() -> None:
    schema = _app().openapi()
    components = schema["components"]["schemas"]
    assert "Problem" in components
    assert "HTTPValidationError" not in components
    ref = {"$ref": "#/components/schemas/Problem"}
    paths = schema["paths"]
    for path, method in (("/items/{item_id}", "get"), ("/items", "post")):
        unprocessable = paths[path][method]["responses"]["422"]
        assert unprocessable["content"] == {PROBLEM_JSON: {"schema": ref}}
    created = paths["/items"]["post"]["responses"]
    assert created["409"]["content"] == {PROBLEM_JSON: {"schema": ref}}
    assert paths["/db"]["get"]["responses"]["503"]["content"] == {PROBLEM_JSON: {"schema": ref}}
    assert "503" not in paths["/plain"]["get"]["responses"]
    assert "422" not in paths["/plain"]["get"]["responses"]


def test_the_schema_in_openapi_matches_the_problem_model() -> None:
    components = _app().openapi()["components"]["schemas"]
    problem = components["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert set(problem["properties"]) == set(Problem.model_fields)
    (array,) = [a for a in problem["properties"]["errors"]["anyOf"] if a.get("type") == "array"]
    item = components[array["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(item["required"]) == {"loc", "msg", "type"}


def test_list_query_routes_document_their_422_as_a_problem() -> None:
    from stanchion.fastapi import ListQuery, list_query
    from tests.fastapi.test_params import BookRepository

    app = FastAPI()
    install_problem_handlers(app)

    book_query = Depends(list_query(BookRepository))

    @app.get("/posts")
    async def posts(query: ListQuery = book_query) -> None:
        return None

    responses = app.openapi()["paths"]["/posts"]["get"]["responses"]
    assert responses["422"]["content"] == {
        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
