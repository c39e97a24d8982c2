"""ETags and ``If-Match`` for optimistic concurrency: a row's version is its ETag.

A client reads a row (``ETag: "3"``), edits it and sends ``If-Match: "3"``; the repository's
``update(..., expected_version=3)`` / ``delete(..., expected_version=3)`` raises `StaleData`
(412) when someone else wrote first. These helpers turn the header into that version and refuse
what cannot be one: absent when required (428), malformed (400) — never a 500.
"""

# No ``from __future__ import annotations``: FastAPI must read the dependency's header
# annotation, built inside `if_match`, as a real object and not a string it cannot resolve.
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Response

#: A strong ETag as stanchion writes it: a quoted version number (ASCII digits, within BIGINT).
_VERSION_TAG = re.compile(r'"([0-9]{1,18})"')
#: The weak form of the same: a valid tag that If-Match's strong comparison never matches.
_WEAK_VERSION_TAG = re.compile(r'W/"[0-9]{1,18}"')

IF_MATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "If-Match is not an ETag this API sent"},
    412: {"description": "The resource changed since you read it (stale If-Match)"},
    428: {"description": "If-Match is required"},
}
"""OpenAPI declarations for routes that take ``If-Match`` (merge into ``responses=``)."""


def etag(version: int) -> str:
    """The strong ETag of a row at `version`: ``"3"``."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    """Send the row's ETag with this response."""
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None, *, required: bool = True) -> int | None:
    """The version an ``If-Match`` header value asks for.

    None for ``*`` (any version) and for an absent header when not `required`. Raises an
    `HTTPException`: 428 when absent but required; 412 for a weak tag (If-Match compares
    strongly, so it never matches); 400 for anything that is not an ETag this API sends
    (``abc``, a missing quote, ``"²"``, several tags): a client bug, not a stale read.
    """
    if if_match is None:
        if required:
            raise HTTPException(428, "send If-Match with the ETag you read, to avoid lost updates")
        return None
    value = if_match.strip()
    if value == "*":
        return None
    if "," in value:
        raise HTTPException(400, 'send one ETag in If-Match, e.g. If-Match: "3"')
    found = _VERSION_TAG.fullmatch(value)
    if found is not None:
        return int(found.group(1))
    if _WEAK_VERSION_TAG.fullmatch(value):
        raise HTTPException(412, "If-Match does not match the current ETag")
    raise HTTPException(400, 'If-Match must be "*" or an ETag this API sent, e.g. "3"')


def if_match(*, required: bool = True) -> Callable[..., int | None]:
    """A dependency reading the ``If-Match`` header into the version it expects (see
    `expected_version`); documented in OpenAPI."""

    def dependency(
        value: Annotated[
            str | None,
            Header(
                alias="If-Match",
                max_length=200,
                description='The ETag you read, e.g. "3"'
                + (" (required: 428 without it)" if required else ""),
            ),
        ] = None,
    ) -> int | None:
        return expected_version(value, required=required)

    return dependency


IfMatchDep = Annotated[int | None, Depends(if_match())]
"""The version ``If-Match`` names; 428 without the header. None means ``*``."""
OptionalIfMatchDep = Annotated[int | None, Depends(if_match(required=False))]
"""The version ``If-Match`` names, or None when it is absent or ``*``."""
