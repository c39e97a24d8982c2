"""Path parameter types and OpenAPI response declarations shared by the routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from stanchion.fastapi import PROBLEM_RESPONSES

#: A row id: positive and within BIGINT, so a huge id is a 422, not a driver overflow.
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]

RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: {"description": "No or unknown X-User-Id"},
    403: {"description": "Only the author may do this"},
}
