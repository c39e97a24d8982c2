"""Response models for list endpoints: a keyset page and an offset page of any item schema.

A repository returns pages of ORM rows; an endpoint returns pages of pydantic schemas. These
models are that second shape, documented in OpenAPI, and `of()` converts one into the other so
no route hand-builds a page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from stanchion.query.pagination import KeysetPage, OffsetPage

T = TypeVar("T")


def _converter(model: type[BaseModel], item: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """How one row becomes an item: `item`, else the page's own item type (``Page[PostOut]``)."""
    if item is None:
        args = model.__pydantic_generic_metadata__["args"]
        if not args:
            raise TypeError(f"say the item type: {model.__name__}[ItemOut].of(page)")
        item = args[0]
    validate = getattr(item, "model_validate", None)
    return validate if callable(validate) else item


class Page(BaseModel, Generic[T]):
    """A keyset page: pass ``next_cursor`` back as ``cursor`` for the next one (null: the end).

    ``Page[PostOut].of(await repo.keyset_page(...))`` builds it from a repository page, each row
    read by ``PostOut.model_validate``.
    """

    items: list[T]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")
    limit: int

    @classmethod
    def of(cls, page: KeysetPage[Any], item: Callable[[Any], T] | None = None) -> Page[T]:
        """This page's rows converted by `item` (default: the item type's ``model_validate``)."""
        convert = _converter(cls, item)
        return cls(
            items=[convert(row) for row in page.items],
            next_cursor=page.next_cursor,
            limit=page.limit,
        )


class NumberedPage(BaseModel, Generic[T]):
    """An offset page with the total count of matching rows."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: OffsetPage[Any], item: Callable[[Any], T] | None = None) -> NumberedPage[T]:
        """This page's rows converted by `item` (default: the item type's ``model_validate``)."""
        convert = _converter(cls, item)
        return cls(
            items=[convert(row) for row in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
