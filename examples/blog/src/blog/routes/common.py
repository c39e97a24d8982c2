"""Path parameter types and OpenAPI response declarations shared by the routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from stanchion.fastapi import PROBLEM_JSON, PROBLEM_RESPONSES

#: A row id: positive and within BIGINT, so a huge id is a 422, not a driver overflow.
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]

PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}

RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: {"description": "No or unknown X-User-Id", **PROBLEM},
    403: {"description": "The acting user may not do this", **PROBLEM},
    413: {"description": "The request body is too large (blog.limits)", **PROBLEM},
}
