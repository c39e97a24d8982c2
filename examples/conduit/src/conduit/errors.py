"""Errors in the spec's form, ``{"errors": {"<field>": ["<message>"]}}``, for every failure.

401 missing or bad token, 403 not yours, 404 missing, 409 a taken username or email, 422 an
invalid body or parameter. stanchion's own errors (a unique key, a missing row, a bad limit)
are translated here once; anything unexpected stays stanchion's problem response (a bare 500,
503 when the database is down), which never carries SQL or values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stanchion import AlreadyExists, InvalidQuery, NotFound
from stanchion.fastapi import install_problem_handlers

_BLANK = frozenset({"missing", "string_too_short", "string_type", "too_short"})


class ApiError(Exception):
    """An error the API answers with `status` and ``{"errors": {field: [message]}}``."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.status = status
        self.errors = {field: [message]}


def not_found(what: str) -> ApiError:
    return ApiError(404, what, "not found")


def forbidden(what: str) -> ApiError:
    return ApiError(403, what, "forbidden")


def unauthorized(field: str = "token", message: str = "is missing") -> ApiError:
    return ApiError(401, field, message)


def errors_response(status: int, errors: Mapping[str, Sequence[str]]) -> JSONResponse:
    headers = {"WWW-Authenticate": "Token"} if status == 401 else None
    return JSONResponse({"errors": errors}, status_code=status, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    """The innermost named part of a pydantic location: ("body", "user", "email") -> email."""
    names = [part for part in loc[1:] if isinstance(part, str)]  # loc[0]: body, query, path
    return names[-1] if names else str(loc[0]) if loc else "body"


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _BLANK or (kind == "string_pattern_mismatch" and not error.get("input")):
        return "can't be blank"
    if kind == "string_too_long" or kind == "too_long":
        return "is too long"
    return "is invalid"


def validation_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """pydantic's errors as the spec's map, one message per field."""
    out: dict[str, list[str]] = {}
    for error in errors:
        field, message = _field(error.get("loc", ())), _message(error)
        if message not in out.setdefault(field, []):
            out[field].append(message)
    return out


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return errors_response(error.status, error.errors)


async def _invalid_body(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return errors_response(422, validation_errors(error.errors()))


async def _invalid_query(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidQuery)
    return errors_response(422, {error.field or "query": ["is invalid"]})


async def _taken(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AlreadyExists)
    fields = [f for f in error.fields if f in ("username", "email")] or ["record"]
    return errors_response(409, {f: ["has already been taken"] for f in fields})


async def _missing(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, NotFound)
    return errors_response(404, {error.model.lower(): ["not found"]})


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    field = "path" if error.status_code in (404, 405) else "request"
    return errors_response(error.status_code, {field: [str(error.detail).lower()]})


def install_error_handlers(app: FastAPI) -> None:
    """stanchion's problem handlers for the unexpected, then the spec's form for the rest."""
    install_problem_handlers(app)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_body)
    app.add_exception_handler(InvalidQuery, _invalid_query)
    app.add_exception_handler(AlreadyExists, _taken)
    app.add_exception_handler(NotFound, _missing)
    app.add_exception_handler(HTTPException, _http)
