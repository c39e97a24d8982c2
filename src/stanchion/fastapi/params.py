"""Query-string helpers for list endpoints: allow-listed filters, sorting and pages.

``list_query(PostRepository)`` reads the repository's ``filter_fields``, ``custom_filters``,
``sort_fields`` and ``max_page_size`` and builds a dependency whose query parameters are exactly
those (documented in OpenAPI); any other parameter, sort field or operator is a 422.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, create_model
from sqlalchemy import inspect as sa_inspect

from stanchion.query.filters import SEPARATOR, build_filters, operators_for, python_type
from stanchion.query.ordering import resolve_sort
from stanchion.repository import Repository

MAX_CURSOR_LENGTH = 2048
MAX_OFFSET = 100_000
#: The range of a 64-bit signed integer column on every backend.
MIN_BIGINT, MAX_BIGINT = -(2**63), 2**63 - 1


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode") from None
    return value


#: A string every backend can store: no NUL character (PostgreSQL refuses it), no lone surrogate.
StorableStr = Annotated[str, AfterValidator(_storable)]
#: An integer that fits a BIGINT column, so a huge value is a 422 rather than a driver overflow.
BigInt = Annotated[int, Field(ge=MIN_BIGINT, le=MAX_BIGINT)]


def query_value_type(python_type: type) -> Any:
    """The validated type of a query value for a column of `python_type`."""
    if python_type is bool:
        return bool
    if python_type is int:
        return BigInt
    if python_type is float:
        return Annotated[float, Field(allow_inf_nan=False)]
    if python_type is str:
        return StorableStr
    if python_type is dt.datetime:
        return AwareDatetime  # naive times are refused by UTC columns: ask for an offset
    return python_type


Paging = Literal["keyset", "offset"]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a list request asked for, already checked against the repository's allow-lists."""

    filters: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None
    limit: int = 20
    cursor: str | None = None
    offset: int = 0


def filter_fields(repository: type[Repository[Any]]) -> Collection[str]:
    """The fields the repository lets callers filter on (every column when it does not say)."""
    if repository.filter_fields is not None:
        return repository.filter_fields
    return [attr.key for attr in sa_inspect(repository.model).column_attrs]


def filter_parameters(repository: type[Repository[Any]]) -> dict[str, Any]:
    """Every query key the repository allows (``title``, ``title__icontains``, ``tag``...) and
    the Python type of its value."""
    model = repository.model
    keys: dict[str, Any] = {}
    for name in filter_fields(repository):
        target = python_type(getattr(model, name))
        for op in sorted(operators_for(target)):
            key = name if op == "eq" else f"{name}{SEPARATOR}{op}"
            value_type = bool if op == "isnull" else str if op == "in" else target
            keys[key] = query_value_type(value_type)
    for key in repository.custom_filters:
        keys[key] = StorableStr
    return keys


def sort_fields(repository: type[Repository[Any]]) -> list[str]:
    """The fields callers may sort on, the primary key included (it ends every order)."""
    model = repository.model
    mapper = sa_inspect(model)
    allowed = repository.sort_fields
    names = [a.key for a in mapper.column_attrs] if allowed is None else list(allowed)
    return names + [c.key for c in mapper.primary_key if c.key not in names]


def list_query(
    repository: type[Repository[Any]],
    *,
    paging: Paging = "keyset",
    default_limit: int = 20,
    filter_types: Mapping[str, Any] | None = None,
) -> Callable[..., Any]:
    """A dependency giving a checked `ListQuery` for `repository`.

    `filter_types` overrides the value type of custom filters (default: `StorableStr`).
    """
    model = repository.model
    max_size = repository.max_page_size
    sortable = sort_fields(repository)
    filterable = filter_fields(repository)
    keys = {**filter_parameters(repository), **(filter_types or {})}
    alternatives = "|".join(re.escape(name) for name in sortable)
    term = rf"[-+]?(?:{alternatives})"
    definitions: dict[str, Any] = {
        "sort": (
            str | None,
            Field(
                None,
                max_length=512,
                pattern=rf"^{term}(?:,{term})*$",
                description=f"comma-separated fields, '-' for descending: {', '.join(sortable)}",
            ),
        ),
        "limit": (int, Field(min(default_limit, max_size), ge=1, le=max_size)),
    }
    if paging == "keyset":
        definitions["cursor"] = (
            StorableStr | None,
            Field(None, max_length=MAX_CURSOR_LENGTH, description="next_cursor of the last page"),
        )
    else:
        definitions["offset"] = (int, Field(0, ge=0, le=MAX_OFFSET))
    clashes = sorted(set(keys) & set(definitions))
    if clashes:
        raise ValueError(f"filter names clash with paging parameters: {', '.join(clashes)}")
    names: dict[str, str] = {}
    for index, (key, value_type) in enumerate(keys.items()):
        names[f"f{index}"] = key
        definitions[f"f{index}"] = (value_type | None, Field(None, alias=key))
    params_model: type[BaseModel] = create_model(
        f"{model.__name__}ListQuery",
        __config__=ConfigDict(extra="forbid", populate_by_name=False),
        **definitions,
    )

    async def dependency(params: Any) -> ListQuery:
        values = params.model_dump()
        filters = {names[k]: v for k, v in values.items() if k in names and v is not None}
        # Fail before any I/O: unknown sort fields or unfitting values are a 422 here.
        resolve_sort(model, values["sort"], sortable, repository.default_sort)
        build_filters(model, filters, filterable, repository.custom_filters)
        return ListQuery(
            filters=filters,
            sort=values["sort"],
            limit=values["limit"],
            cursor=values.get("cursor"),
            offset=values.get("offset", 0),
        )

    parameter = inspect.Parameter(
        "params",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[params_model, Query()],
    )
    dependency.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    dependency.__name__ = f"{model.__name__.lower()}_list_query"
    return dependency
