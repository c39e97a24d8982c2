"""RFC 9457 problem responses for stanchion errors, validation errors and everything else.

Each response says what went wrong in words a client can act on; none carries SQL, parameters,
constraint definitions, driver messages or the database URL. Unknown errors become a bare 500.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.status import HTTP_500_INTERNAL_SERVER_ERROR

from stanchion import errors

logger = logging.getLogger("stanchion.fastapi")

PROBLEM_JSON = "application/problem+json"


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
        invalid = [{"field": error.field, "message": str(error)}] if error.field else None
        return problem(422, "Invalid Query", str(error), errors=invalid)
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
    """Render stanchion errors, validation errors, HTTP errors and crashes as problem+json."""
    app.add_exception_handler(errors.StanchionError, _stanchion_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


#: OpenAPI ``responses=`` entries for the problems a database-backed route may return.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": title, "content": {PROBLEM_JSON: {}}}
    for status, title in (
        (404, "Not Found"),
        (409, "Conflict"),
        (422, "Invalid request"),
        (503, "Database unavailable"),
    )
}
