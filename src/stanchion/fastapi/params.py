"""Query-string helpers for list endpoints: allow-listed filters, any-of groups, sorting, pages.

``list_query(PostRepository)`` asks the repository what it accepts
(`Repository.filterable_fields`, ``custom_filters``, `Repository.sortable_fields`,
``max_page_size``) and builds a dependency whose query parameters are exactly those, documented
in OpenAPI; the values are checked by the repository itself (`Repository.check_filters`,
`Repository.check_sort`), the very check every read makes, so there is one validation path and
any other parameter, sort field, operator or value is a 422 before any SQL.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
    create_model,
)

from stanchion.errors import InvalidQuery
from stanchion.query.filters import ANY_OF, MAX_ALTERNATIVES, FilterField, Operator
from stanchion.query.values import MAX_BIGINT, MIN_BIGINT, Kind, ValueType, text_problem
from stanchion.repository import Repository

MAX_CURSOR_LENGTH = 2048
MAX_OFFSET = 100_000
#: Separates the filter key from its value in one ``or`` alternative: ``or=views__gte:100``.
ALTERNATIVE_SEPARATOR = ":"


def _storable(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"text {problem}")
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
"""A string every backend can store: no NUL character (PostgreSQL refuses it), no lone surrogate."""
BigInt = Annotated[int, Field(ge=MIN_BIGINT, le=MAX_BIGINT)]
"""An integer that fits a BIGINT column, so a huge value is a 422 rather than a driver overflow."""

Paging = Literal["keyset", "offset"]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a list request asked for, already checked against the repository's allow-lists
    (`filters` holds the values converted to the columns' types)."""

    filters: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None
    limit: int = 20
    cursor: str | None = None
    offset: int = 0

    def keyset_arguments(self, **filters: Any) -> dict[str, Any]:
        """``repo.keyset_page(**query.keyset_arguments())``: this request's filters (plus
        `filters`, e.g. a path parameter), sort, limit and cursor."""
        merged = {**self.filters, **filters}
        return {"filters": merged, "sort": self.sort, "limit": self.limit, "cursor": self.cursor}

    def offset_arguments(self, **filters: Any) -> dict[str, Any]:
        """``repo.page(**query.offset_arguments())``: filters, sort, limit and offset."""
        merged = {**self.filters, **filters}
        return {"filters": merged, "sort": self.sort, "limit": self.limit, "offset": self.offset}


def _type_schema(value_type: ValueType) -> dict[str, Any]:
    kind = value_type.kind
    if kind is Kind.INTEGER:
        return {"type": "integer", "format": "int64", "minimum": MIN_BIGINT, "maximum": MAX_BIGINT}
    if kind is Kind.TEXT or kind is Kind.OTHER:
        return {"type": "string"}
    if kind is Kind.DATETIME:
        schema: dict[str, Any] = {"type": "string", "format": "date-time"}
        if value_type.timezone:
            schema["description"] = "with a UTC offset, e.g. 2024-05-01T00:00:00Z"
        return schema
    return TypeAdapter(value_type.python_type).json_schema()


def _value_schema(filter_field: FilterField, operator: Operator) -> dict[str, Any]:
    """How OpenAPI shows the value of one filter parameter (the repository checks it)."""
    if operator.accepts == "flag":
        return {"type": "boolean"}
    if operator.accepts == "text":
        return {"type": "string"}
    if operator.accepts == "values":
        return {"type": "string", "description": "comma-separated"}
    return _type_schema(filter_field.value_type)


def _documented(schema: dict[str, Any]) -> Any:
    """Text at run time (the repository converts and checks it), `schema` in OpenAPI."""
    return Annotated[str, WithJsonSchema(schema)]


def filter_parameters(repository: type[Repository[Any]]) -> dict[str, tuple[Any, str]]:
    """Every filter query key the repository accepts (``title``, ``title__icontains``,
    ``tag``...), with its run-time type and its description."""
    keys: dict[str, tuple[Any, str]] = {}
    for filter_field in repository.filterable_fields().values():
        for key, operator in filter_field.keys().items():
            schema = _value_schema(filter_field, operator)
            keys[key] = (_documented(schema), f"{filter_field.name} {operator.description}")
    for key in repository.custom_filters:
        keys[key] = (str, f"{key} (a named filter)")
    return keys


def _alternative(text: str) -> dict[str, str]:
    key, separator, value = text.partition(ALTERNATIVE_SEPARATOR)
    if not separator:
        raise InvalidQuery(f"an '{ANY_OF}' alternative is KEY:VALUE", field=ANY_OF)
    return {key: value}


def list_query(
    repository: type[Repository[Any]],
    *,
    paging: Paging = "keyset",
    default_limit: int = 20,
    filter_types: Mapping[str, Any] | None = None,
    any_of: bool = True,
) -> Callable[..., Any]:
    """A dependency giving a checked `ListQuery` for `repository`.

    `filter_types` gives custom filters a validated value type (default: text).
    With `any_of`, a repeatable ``or=KEY:VALUE`` parameter asks for rows matching at least
    one of its alternatives, each alternative a filter the endpoint already accepts.
    """
    model = repository.model
    max_size = repository.max_page_size
    sortable = repository.sortable_fields()
    keys = filter_parameters(repository)
    for key, value_type in (filter_types or {}).items():
        keys[key] = (value_type, keys.get(key, (None, key))[1])
    definitions: dict[str, Any] = {
        "sort": (
            str | None,
            Field(
                None,
                max_length=512,
                description=f"comma-separated fields, '-' for descending: {', '.join(sortable)}",
                json_schema_extra={"pattern": _sort_pattern(sortable)},
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
    reserved = {*definitions, ANY_OF} if any_of else set(definitions)
    clashes = sorted(set(keys) & reserved)
    if clashes:
        raise ValueError(f"filter names clash with other parameters: {', '.join(clashes)}")
    names: dict[str, str] = {}
    for index, (key, (value_type, description)) in enumerate(keys.items()):
        names[f"f{index}"] = key
        definitions[f"f{index}"] = (
            value_type | None,
            Field(None, alias=key, description=description),
        )
    if any_of and keys:
        alternative = {"type": "string", "pattern": _alternative_pattern(list(keys))}
        definitions["any_of"] = (
            list[_documented(alternative)] | None,  # type: ignore[misc]
            Field(
                None,
                alias=ANY_OF,
                max_length=MAX_ALTERNATIVES,
                description=_any_of_description(list(keys)),
            ),
        )
    params_model: type[BaseModel] = create_model(
        f"{model.__name__}ListQuery",
        __config__=ConfigDict(extra="forbid", populate_by_name=False),
        **definitions,
    )

    async def dependency(params: Any) -> ListQuery:
        values = params.model_dump()
        filters = {names[k]: v for k, v in values.items() if k in names and v is not None}
        alternatives = values.get("any_of")
        if alternatives:
            filters[ANY_OF] = [_alternative(text) for text in alternatives]
        # Fail before any I/O: unknown sort fields or unfitting values are a 422 here.
        repository.check_sort(values["sort"])
        return ListQuery(
            filters=repository.check_filters(filters),
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


def _alternative_pattern(keys: list[str]) -> str:
    alternatives = "|".join(re.escape(key) for key in keys)
    return rf"^(?:{alternatives}){re.escape(ALTERNATIVE_SEPARATOR)}"


def _any_of_description(keys: list[str]) -> str:
    example = "&".join(f"{ANY_OF}={key}{ALTERNATIVE_SEPARATOR}..." for key in keys[:2])
    return (
        f"any of, repeatable: {ANY_OF}=KEY{ALTERNATIVE_SEPARATOR}VALUE, KEY one of the filter "
        f"parameters (e.g. {example}); a row matches when at least one alternative holds "
        f"(and every other filter too); at most {MAX_ALTERNATIVES}"
    )


def _sort_pattern(sortable: tuple[str, ...]) -> str:
    """The documented shape of ``sort`` (the repository's `check_sort` is what enforces it)."""
    alternatives = "|".join(re.escape(name) for name in sortable)
    term = rf"[-+]?(?:{alternatives})"
    return rf"^{term}(?:,{term})*$"
