"""RFC 9457 problem responses for stanchion errors, validation errors and everything else.

Every error response has one shape, `Problem` (``{type, title, status, detail?, errors?,
fields?}``); each item of ``errors`` is ``{loc, msg, type}``, whether pydantic refused the request
or stanchion refused a filter, sort or cursor. `install_problem_handlers` also documents that shape
in OpenAPI, so clients see the body they will get. Each response says what went wrong in words a
client can act on; none carries SQL, parameters, constraint definitions, driver messages or the
database URL. Unknown errors become a bare 500.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.status import HTTP_500_INTERNAL_SERVER_ERROR

from stanchion import errors
from stanchion.fastapi.dependencies import get_database

logger = logging.getLogger("stanchion.fastapi")

PROBLEM_JSON = "application/problem+json"
"""The media type of every problem response (RFC 9457)."""
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemItem(BaseModel):
    """One thing wrong with a request: where (``loc``), what (``msg``), a code (``type``)."""

    loc: list[str] = Field(description='where: ["query", "cursor"], ["body", "email"]...')
    msg: str = Field(description="what is wrong, for people")
    type: str = Field(description="a stable code for programs: missing, invalid_query...")


class Problem(BaseModel):
    """The body of every error response (RFC 9457 ``application/problem+json``)."""

    type: str = Field(description='always "about:blank": the status and title say it all')
    title: str = Field(description="the HTTP status in words")
    status: int = Field(description="the HTTP status code")
    detail: str | None = Field(None, description="what went wrong, for people")
    errors: list[ProblemItem] | None = Field(
        None, description="each invalid parameter or field (422 responses)"
    )
    fields: list[str] | None = Field(
        None, description="the fields that clash with an existing record (409 responses)"
    )


class ProblemResponse(JSONResponse):
    """A JSON response with the ``application/problem+json`` media type."""

    media_type = PROBLEM_JSON


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """A problem response: ``{"type", "title", "status", "detail", ...extensions}``."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extensions.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def _retry_after(error: errors.StanchionError, default: float = 1.0) -> dict[str, str]:
    seconds = error.retry_after if error.retry_after is not None else default
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def problem_for(error: errors.StanchionError) -> ProblemResponse:
    """The response for a stanchion error (pure: no logging)."""
    if isinstance(error, errors.NotFound):
        return problem(404, "Not Found", f"{error.model} not found")
    if isinstance(error, errors.InvalidQuery):
        loc = ["query", error.field] if error.field else []
        item = {"loc": loc, "msg": str(error), "type": "invalid_query"}
        return problem(422, "Unprocessable Content", str(error), errors=[item])
    if isinstance(error, errors.AlreadyExists):
        fields = list(error.fields) or None
        named = f" (same {', '.join(error.fields)})" if error.fields else ""
        return problem(
            409, "Conflict", f"this conflicts with an existing record{named}", fields=fields
        )
    if isinstance(error, errors.ForeignKeyViolation):
        return problem(
            409,
            "Conflict",
            "a referenced record does not exist, or other records still refer to it",
        )
    if isinstance(error, errors.CheckViolation):
        return problem(422, "Unprocessable Content", "a value breaks a data rule of this resource")
    if isinstance(error, errors.StaleData):
        return problem(
            412, "Precondition Failed", "the resource changed since you read it: fetch it again"
        )
    if isinstance(error, (errors.DatabaseUnavailable, errors.TransientError, errors.QueryTimeout)):
        return problem(
            503,
            "Service Unavailable",
            "the database is busy or unavailable: try again later",
            headers=_retry_after(error),
        )
    if isinstance(error, errors.RetryExhausted):
        return problem(
            503,
            "Service Unavailable",
            "too much contention: try again later",
            headers=_retry_after(error),
        )
    if isinstance(error, errors.CommitOutcomeUnknown):
        return problem(
            500,
            "Internal Server Error",
            "the connection was lost while saving: the change may or may not have been saved",
        )
    return problem(500, "Internal Server Error")


async def _stanchion_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, errors.StanchionError)
    response = problem_for(error)
    if response.status_code >= 500:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return response


async def _validation_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, RequestValidationError)
    items = [_validation_item(e) for e in error.errors()]
    return problem(422, "Unprocessable Content", "the request is not valid", errors=items)


def _validation_item(error: Mapping[str, Any]) -> dict[str, Any]:
    # "input" and "ctx" may echo what the client sent; loc, msg and type are enough.
    loc: Sequence[Any] = error.get("loc", ())
    return {
        "loc": [str(p) for p in loc],
        "msg": str(error.get("msg", "")),
        "type": error.get("type"),
    }


async def _http_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else None
    title = _TITLES.get(error.status_code, "Error")
    return problem(
        error.status_code, title, detail if detail != title else None, headers=error.headers
    )


async def _server_error(request: Request, error: Exception) -> ProblemResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "Internal Server Error")


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    503: "Service Unavailable",
}


def install_problem_handlers(app: FastAPI) -> None:
    """Render stanchion errors, validation errors, HTTP errors and crashes as problem+json, and
    document that shape in the app's OpenAPI (see `document_problems`)."""
    app.add_exception_handler(errors.StanchionError, _stanchion_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    document_problems(app)


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: _problem_response(title)
    for status, title in (
        (404, "Not Found"),
        (409, "Conflict"),
        (422, "Invalid request"),
        (503, "Database unavailable"),
    )
}
"""OpenAPI ``responses=`` entries for the problems a database-backed route may return."""


def document_problems(app: FastAPI) -> None:
    """Make the app's OpenAPI describe the error bodies it really sends.

    Adds the `Problem` schema to the components; every 422 (FastAPI's own validation response
    included) and every `PROBLEM_RESPONSES` entry points at it; a route that takes a body lists
    the 400 FastAPI sends for one it cannot parse; a route that uses the database (any of
    stanchion's dependencies) also lists its 503. FastAPI's ``HTTPValidationError``
    schema, which no response carries any more, is dropped.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite(app, build())
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite(app: FastAPI, schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    uses_database = {
        (context.path_format, method.lower())
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(getattr(context, "dependant", None), Dependant)
        and _depends_on(context.dependant, get_database)
        for method in getattr(context, "methods", ())
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"]["content"] = {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}
            if "requestBody" in operation and "400" not in responses:
                # a body that is not even text (bytes no decoder takes): FastAPI's 400
                responses["400"] = _problem_response("Malformed request body")
            if (path, method) in uses_database and "503" not in responses:
                responses["503"] = _problem_response("Database unavailable")
    if '"#/components/schemas/HTTPValidationError"' not in json.dumps(schema):
        components.pop("HTTPValidationError", None)
        if '"#/components/schemas/ValidationError"' not in json.dumps(schema):
            components.pop("ValidationError", None)


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return dependant.call is call or any(_depends_on(d, call) for d in dependant.dependencies)
