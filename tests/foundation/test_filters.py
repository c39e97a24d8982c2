"""Filters: allow-listed fields, operators fitting the column type, LIKE wildcards literal."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import inspect

from stanchion import InvalidQuery, Repository
from stanchion.query.filters import (
    MAX_ALTERNATIVES,
    OPERATORS,
    CustomFilter,
    filter_allow_list,
    parse_key,
)
from tests.foundation.harness import Side, Sides
from tests.models import Book, Mood, Reading, Writer

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


# ----- the operator table: every operator, on every kind of column it fits -----

UTC = dt.UTC


def reading(label: str, **values: object) -> Reading:
    defaults: dict[str, object] = {
        "level": 0.0,
        "amount": Decimal("0"),
        "day": dt.date(2024, 1, 1),
        "at": dt.time(0, 0),
        "taken_at": dt.datetime(2024, 1, 1, tzinfo=UTC),
        "token": uuid.UUID(int=0),
        "mood": Mood.calm,
        "flag": False,
    }
    return Reading(label=label, **{**defaults, **values})


READINGS = [
    reading(
        "a",
        level=0.5,
        amount=Decimal("1.25"),
        day=dt.date(2024, 1, 1),
        at=dt.time(8, 0),
        taken_at=dt.datetime(2024, 1, 1, 8, 0, tzinfo=UTC),
        token=uuid.UUID(int=1),
        flag=True,
        note="first",
        data={"k": 1},
    ),
    reading(
        "b",
        level=1.5,
        amount=Decimal("2.5"),
        day=dt.date(2024, 2, 1),
        at=dt.time(12, 30),
        taken_at=dt.datetime(2024, 2, 1, 12, 30, tzinfo=UTC),
        token=uuid.UUID(int=2),
        mood=Mood.loud,
    ),
    reading(
        "c",
        level=2.25,
        amount=Decimal("10"),
        day=dt.date(2024, 3, 1),
        at=dt.time(18, 45),
        taken_at=dt.datetime(2024, 3, 1, 18, 45, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        token=uuid.UUID(int=3),
        flag=True,
        note="Third_note",
    ),
    reading(
        "d",
        level=-1.0,
        amount=Decimal("-3.5"),
        day=dt.date(2023, 12, 31),
        at=dt.time(0, 0),
        # 2024-01-01 04:00 UTC: earlier in UTC than "a", later by its wall clock
        taken_at=dt.datetime(2023, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        token=uuid.UUID(int=4),
        mood=Mood.loud,
        note="100%",
    ),
]

# (filters, the labels they match): text values as a query string sends them, objects as code does.
TABLE_CASES: list[tuple[dict[str, object], set[str]]] = [
    ({"label": "b"}, {"b"}),
    ({"mood": "loud"}, {"b", "d"}),
    ({"mood": Mood.calm}, {"a", "c"}),
    ({"flag": "true"}, {"a", "c"}),
    ({"token": str(uuid.UUID(int=3))}, {"c"}),
    ({"day": "2024-02-01"}, {"b"}),
    ({"level__ne": "0.5"}, {"b", "c", "d"}),
    ({"mood__ne": "calm"}, {"b", "d"}),
    ({"flag__ne": True}, {"b", "d"}),
    ({"level__lt": "0.5"}, {"d"}),
    ({"amount__lte": "2.5"}, {"a", "b", "d"}),
    ({"day__gt": "2024-01-15"}, {"b", "c"}),
    ({"at__gte": "12:30:00"}, {"b", "c"}),
    ({"at__lt": dt.time(8, 0)}, {"d"}),
    ({"taken_at__gte": "2024-01-01T06:00:00+00:00"}, {"a", "b", "c"}),
    ({"taken_at__lt": "2024-01-01T01:00:00-05:00"}, {"d"}),  # 06:00 UTC
    ({"token__in": [uuid.UUID(int=1), uuid.UUID(int=4)]}, {"a", "d"}),
    ({"mood__in": "calm"}, {"a", "c"}),
    ({"level__in": "0.5,2.25"}, {"a", "c"}),
    ({"label__in": ("a", "b")}, {"a", "b"}),
    ({"note__isnull": "true"}, {"b"}),
    ({"data__isnull": "false"}, {"a"}),
    ({"note": None}, {"b"}),
    ({"note__ne": None}, {"a", "c", "d"}),
    ({"note__contains": "_"}, {"c"}),
    ({"note__icontains": "THIRD"}, {"c"}),
    ({"note__startswith": "100%"}, {"d"}),
    ({"note__endswith": "st"}, {"a"}),
]


def test_every_operator_in_the_table_has_a_case() -> None:
    used = {parse_key(key)[1] for filters, _ in TABLE_CASES for key in filters}
    assert used == set(OPERATORS)


def test_each_kind_of_column_gets_the_operators_that_fit_it() -> None:
    fields = filter_allow_list(Reading, None)
    ordered = {"eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"}
    assert set(fields["label"].operators) == {
        "eq",
        "ne",
        "in",
        "isnull",
        "contains",
        "icontains",
        "startswith",
        "endswith",
    }
    for name in ("level", "amount", "day", "at", "taken_at", "id"):
        assert set(fields[name].operators) == ordered, name
    assert set(fields["token"].operators) == {"eq", "ne", "in", "isnull"}
    assert set(fields["mood"].operators) == {"eq", "ne", "in", "isnull"}
    assert set(fields["flag"].operators) == {"eq", "ne", "isnull"}
    assert fields["data"].operators == ("isnull",)  # JSON: equality differs per backend


async def test_every_operator_matches_the_same_rows_on_every_backend(sides: Sides) -> None:
    side = sides.open()
    await side.repo(Reading).add_many([copy_reading(r) for r in READINGS])
    await side.commit()
    readings = side.repo(Reading)
    for filters, expected in TABLE_CASES:
        found = {r.label for r in await readings.list(filters)}
        assert found == expected, filters
        assert await readings.count(filters) == len(expected), filters


def copy_reading(source: Reading) -> Reading:
    columns = inspect(Reading).column_attrs
    return Reading(**{a.key: getattr(source, a.key) for a in columns if a.key != "id"})


# ----- any-of groups -----


async def test_an_any_of_group_matches_rows_meeting_at_least_one_alternative(
    sides: Sides,
) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)

    async def found(filters: dict[str, object]) -> set[str]:
        return {b.title for b in await books.list(filters)}

    either = [{"title__contains": "snake"}, {"pages__gte": 50}]
    assert await found({"or": either}) == {"snake_case", "snakeXcase", "back\\slash", "plain"}
    assert await found({"published": True, "or": either}) == {"snake_case", "back\\slash"}
    assert await books.count({"or": either}) == 4
    # the same shape with other values reuses the statement and still binds the new values
    other = [{"title__contains": "pure"}, {"pages__gte": 60}]
    assert await found({"or": other}) == {"100% pure", "1000 pure", "plain"}
    nested = [
        {"pages__lt": 20, "published": True},
        {"or": [{"title": "plain"}, {"title": "1000 pure"}]},
    ]
    assert await found({"or": nested}) == {"100% pure", "plain", "1000 pure"}
    page = await books.keyset_page({"or": either}, sort="pages", limit=3)
    assert [b.title for b in page.items] == ["snake_case", "snakeXcase", "back\\slash"]
    rest = await books.keyset_page({"or": either}, sort="pages", limit=3, cursor=page.next_cursor)
    assert [b.title for b in rest.items] == ["plain"]


async def test_any_of_alternatives_go_through_the_same_allow_list(sides: Sides) -> None:
    class Books(Repository[Book]):
        filter_fields = ("title",)
        custom_filters: ClassVar[dict[str, CustomFilter]] = {
            "thick": lambda value: Book.pages >= 40 if value else Book.pages < 40
        }

    side = sides.open()
    await seed(side)
    books = side.repo(Books)
    assert await books.count({"or": [{"thick": True}, {"title": "plain"}]}) == 3
    assert await books.count({"or": [{"thick": False}, {"title": "plain"}]}) == 4
    refused: list[tuple[object, str | None]] = [
        ([{"pages": 1}], "pages"),  # outside the allow-list
        ([{"title__gt": "a"}], "title"),  # an operator text does not take
        ([{"title": "a\x00"}], "title"),
        ([], "or"),
        ([{}], "or"),
        ({"title": "x"}, "or"),  # a mapping, not a list of them
        ("title:x", "or"),
        ([{"title": str(i)} for i in range(MAX_ALTERNATIVES + 1)], "or"),
    ]
    for alternatives, field in refused:
        with pytest.raises(InvalidQuery) as caught:
            await books.count({"or": alternatives})
        assert caught.value.field == field, alternatives


# ----- per-field operators, and the allow-list as the repository describes it -----


class AnyBooks(Repository[Book]):
    """Every column, every fitting operator: the defaults."""


class ChosenBooks(Repository[Book]):
    filter_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("icontains",),
        "pages": ("gte", "lte", "in"),
        "published": ("eq",),
    }
    sort_fields = ("pages",)


async def test_a_repository_chooses_which_operators_each_field_exposes(sides: Sides) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(ChosenBooks)
    assert await books.count({"title__icontains": "PURE", "pages__lte": 10}) == 1
    assert await books.count({"pages__in": "10,30", "published": "true"}) == 2
    for bad in ({"title": "plain"}, {"pages__gt": 1}, {"published__ne": True}, {"summary": "x"}):
        with pytest.raises(InvalidQuery) as caught:
            await books.count(bad)
        assert caught.value.field == parse_key(next(iter(bad)))[0]


def test_the_repository_describes_its_allow_lists_without_a_session() -> None:
    fields = ChosenBooks.filterable_fields()
    assert list(fields) == ["title", "pages", "published"]
    assert fields["pages"].operators == ("gte", "lte", "in")
    assert fields["pages"].value_type.python_type is int
    assert list(fields["title"].keys()) == ["title__icontains"]
    assert list(fields["published"].keys()) == ["published"]
    assert ChosenBooks.sortable_fields() == ("pages", "id")
    assert set(AnyBooks.filterable_fields()) >= {"title", "summary", "writer_id"}


def test_check_filters_returns_the_values_converted_and_refuses_what_reads_refuse() -> None:
    checked = ChosenBooks.check_filters(
        {"pages__in": "10,30", "published": "true", "or": [{"pages__gte": "5"}]}
    )
    assert checked == {"pages__in": [10, 30], "published": True, "or": [{"pages__gte": 5}]}
    with pytest.raises(InvalidQuery):
        ChosenBooks.check_filters({"pages__in": "10,x"})
    assert [str(k) for k in ChosenBooks.check_sort("-pages")] == ["-pages", "-id"]
    with pytest.raises(InvalidQuery) as caught:
        ChosenBooks.check_sort("title")
    assert caught.value.field == "title"


@pytest.mark.parametrize(
    "spec",
    [
        {"pages": ("contains",)},  # does not fit an integer
        {"title": ("regex",)},  # no such operator
        {"writer": ("eq",)},  # a relationship, not a column
        ("shelves",),
    ],
)
def test_a_repository_configured_with_unfitting_operators_fails_when_described(
    spec: object,
) -> None:
    class Broken(Repository[Book]):
        filter_fields = spec  # type: ignore[assignment]

    with pytest.raises(TypeError):
        Broken.filterable_fields()


# ----- hostile values: refused in the query layer, the same on every backend -----

HOSTILE: list[tuple[dict[str, object], str]] = [
    ({"pages": 2**63}, "pages"),
    ({"pages": -(2**63) - 1}, "pages"),
    ({"pages": "99999999999999999999999"}, "pages"),
    ({"pages__in": "1,9223372036854775808"}, "pages"),
    ({"pages__in": [1, -(2**64)]}, "pages"),
    ({"created_at__gte": "0001-01-01T00:00:00+14:00"}, "created_at"),
    ({"created_at__lt": "9999-12-31T23:59:59-14:00"}, "created_at"),
    ({"created_at__in": ["0001-01-01T00:00:00+01:00"]}, "created_at"),
    ({"title": "a\x00b"}, "title"),
    ({"title__contains": "\udcff"}, "title"),
    ({"title__in": ["ok", "nul\x00"]}, "title"),
    ({"or": [{"title": "ok"}, {"title__startswith": "\ud800"}]}, "title"),
    ({"pages": 10.5}, "pages"),
    ({"published": "maybe"}, "published"),
]


@pytest.mark.parametrize("filters, field", HOSTILE, ids=[repr(f) for f, _ in HOSTILE])
async def test_hostile_filter_values_are_invalid_query_naming_the_field(
    sides: Sides, filters: dict[str, object], field: str
) -> None:
    side = sides.open()
    books = side.repo(Book)
    calls = (
        books.count(filters),
        books.list(filters),
        books.exists(filters),
        books.page(filters),
        books.keyset_page(filters),
        books.lock_many(filters, limit=5),
    )
    for call in calls:  # every entry point that takes a filter mapping
        with pytest.raises(InvalidQuery) as caught:
            await call
        assert caught.value.field == field
    with pytest.raises(InvalidQuery):
        Repository(side.sync_session, Book).select(filters)  # the statement alone, no I/O


@pytest.mark.parametrize(
    "filters, field",
    [
        ({"level": float("nan")}, "level"),
        ({"level__gt": "inf"}, "level"),
        ({"amount": "NaN"}, "amount"),
        ({"amount__lt": "1e100000"}, "amount"),
        ({"taken_at": "2024-01-01T00:00:00"}, "taken_at"),  # naive for a UTC column
        # beyond the column's declared width: asyncpg types the parameter as the column
        ({"medium__gt": 2**31}, "medium"),
        ({"small__in": [1, -(2**15) - 1]}, "small"),
        ({"amount__lt": "1e12"}, "amount"),  # Numeric(18, 6) holds 12 integer digits
        ({"amount": "0.1234567"}, "amount"),  # and 6 places
        ({"mood": 1}, "mood"),
        ({"token": Mood.calm}, "token"),
        ({"id": Mood.calm}, "id"),  # pydantic's lax int hands the member back: refused
    ],
)
async def test_values_beyond_what_the_column_holds_are_refused(
    sides: Sides, filters: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidQuery) as caught:
        await sides.open().repo(Reading).count(filters)
    assert caught.value.field == field


async def test_extreme_values_that_fit_give_the_same_answer_on_every_backend(
    sides: Sides,
) -> None:
    side = sides.open()
    await seed(side)
    books = side.repo(Book)
    assert await books.count({"created_at__gte": "0001-01-01T00:00:00Z"}) == len(TITLES)
    assert await books.count({"created_at__gt": "9999-12-31T23:59:59Z"}) == 0
    assert await books.count({"pages__in": [2**63 - 1, -(2**63)]}) == 0
    assert await books.count({"pages__lt": 2**63 - 1}) == len(TITLES)
    readings = side.repo(Reading)
    assert await readings.count({"medium__lt": 2**31 - 1, "small__gte": -(2**15)}) == 0
    assert await readings.count({"amount__lt": "999999999999.999999"}) == 0
    assert await readings.count({"amount": "1.500000000"}) == 0  # trailing zeros are no places


def test_unknown_names_are_echoed_only_when_they_are_plain_identifiers() -> None:
    with pytest.raises(InvalidQuery) as caught:
        AnyBooks.check_filters({"(SELECT 1)": "x"})
    assert "SELECT" not in str(caught.value) and caught.value.field is None
    with pytest.raises(InvalidQuery) as caught:
        AnyBooks.check_sort("title; DROP TABLE t_books")
    assert "DROP" not in str(caught.value) and caught.value.field == "sort"
    with pytest.raises(InvalidQuery) as caught:
        AnyBooks.check_filters({"nope": "x"})
    assert caught.value.field == "nope"
