"""Filters: allow-listed fields, operators fitting the column type, LIKE wildcards literal."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest

from stanchion import InvalidQuery, Repository
from stanchion.query.filters import CustomFilter
from tests.foundation.harness import Side, Sides
from tests.models import Book, Writer

pytestmark = pytest.mark.anyio

TITLES = ["100% pure", "1000 pure", "snake_case", "snakeXcase", "back\\slash", "plain"]


async def seed(side: Side) -> None:
    writer = await side.repo(Writer).add(Writer(name="Ada"))
    books = [
        Book(title=title, pages=10 * (i + 1), published=i % 2 == 0, writer_id=writer.id)
        for i, title in enumerate(TITLES)
    ]
    await side.repo(Book).add_many(books)
    await side.commit()


async def titles(side: Side, filters: dict[str, object]) -> list[str]:
    return [b.title for b in await side.repo(Book).list(filters, sort="title")]


async def test_contains_matches_percent_and_underscore_literally(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    assert await titles(side, {"title__contains": "0%"}) == ["100% pure"]
    assert await titles(side, {"title__contains": "e_c"}) == ["snake_case"]
    assert await titles(side, {"title__startswith": "snake_"}) == ["snake_case"]
    assert await titles(side, {"title__endswith": "%"}) == []
    assert await titles(side, {"title__contains": "\\"}) == ["back\\slash"]
    assert await titles(side, {"title__icontains": "SNAKE_"}) == ["snake_case"]
    assert await titles(side, {"title__startswith": "%"}) == []


async def test_comparison_operators_convert_text_values_to_the_column_type(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    assert await titles(side, {"pages__gte": "50", "pages__lt": 60}) == ["back\\slash"]
    assert await titles(side, {"pages__in": "10,20"}) == ["100% pure", "1000 pure"]
    assert await titles(side, {"pages__ne": 10, "published": "true"}) == [
        "back\\slash",
        "snake_case",
    ]
    assert len(await titles(side, {"summary__isnull": "true"})) == len(TITLES)


async def test_datetime_filters_take_iso_text_with_a_timezone(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    assert len(await titles(side, {"created_at__gt": past})) == len(TITLES)
    assert await titles(side, {"created_at__lt": past}) == []
    with pytest.raises(InvalidQuery):
        await titles(side, {"created_at__lt": "2024-01-01T00:00:00"})  # no timezone


async def test_operators_that_do_not_fit_the_column_type_are_refused(sides: Sides) -> None:
    books = sides.open().repo(Book)
    for bad in ({"pages__contains": "1"}, {"published__gt": True}, {"title__like": "x"}):
        with pytest.raises(InvalidQuery):
            await books.list(bad)


async def test_values_that_do_not_convert_are_refused(sides: Sides) -> None:
    books = sides.open().repo(Book)
    for bad in ({"pages": "ten"}, {"pages__in": ""}, {"published": "maybe"}):
        with pytest.raises(InvalidQuery) as caught:
            await books.list(bad)
        assert caught.value.field in ("pages", "published")


async def test_fields_outside_the_allow_list_are_refused(sides: Sides) -> None:
    class Books(Repository[Book]):
        filter_fields = ("title",)

    books = sides.open().repo(Books)
    assert await books.count({"title__contains": "x"}) == 0
    with pytest.raises(InvalidQuery) as caught:
        await books.count({"pages__gt": 1})
    assert caught.value.field == "pages"
    with pytest.raises(InvalidQuery):
        await books.count({"writer": 1})  # a relationship, not a column


async def test_custom_filters_are_named_functions_of_the_value(sides: Sides) -> None:
    class Books(Repository[Book]):
        filter_fields = ()
        custom_filters: ClassVar[dict[str, CustomFilter]] = {
            "thick": lambda value: Book.pages >= 40 if value else Book.pages < 40
        }

    side = sides.open()
    await seed(side)
    assert await side.repo(Books).count({"thick": True}) == 3
