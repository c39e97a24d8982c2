"""Property: whatever a client puts in a keyset cursor, and whatever key a caller passes to
`get`, the read answers or raises `InvalidQuery` — never a driver or SQLAlchemy error — and which
of the two is decided by the query layer alone (pure: `decode_cursor`, `check_key`), so every
backend answers alike.

Hypothesis generates the cursors (hostile values of every kind, for every column `Reading` can
be keyset-paged by, and for its key) and the keys; each runs on SQLite, PostgreSQL and MariaDB,
sync and async. Derandomized and drawn once, so every backend and every CI run sees the same
cases.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from hypothesis import strategies as st
from sqlalchemy import inspect

from stanchion import InvalidQuery
from stanchion.query import SortKey, decode_cursor, encode_cursor
from stanchion.query.values import ValueType, check_key
from tests.foundation.harness import Sides
from tests.foundation.test_filter_values_property import BY_KIND, anything, integers, texts
from tests.foundation.test_filters import READINGS, copy_reading
from tests.models import Reading, Shelf
from tests.properties import drawn

pytestmark = pytest.mark.anyio

CASES = 250

COLUMNS = {
    attr.key: ValueType.of(attr.columns[0].type)
    for attr in inspect(Reading).column_attrs
    if not attr.columns[0].nullable
}
SORTABLE = sorted(name for name in COLUMNS if name != "id")


def aimed(name: str) -> st.SearchStrategy[Any]:
    """Values aimed at column `name`'s kind, and now and then at any kind at all."""
    return st.one_of(BY_KIND[COLUMNS[name].kind], BY_KIND[COLUMNS[name].kind], anything)


@st.composite
def cursors(draw: st.DrawFn) -> tuple[str, str]:
    """A sort (``"label"``, ``"-day"``...) and a cursor for it, forged from hostile values."""
    name = draw(st.sampled_from(SORTABLE))
    descending = draw(st.booleans())
    keys = [SortKey(name, descending), SortKey("id", descending)]
    values = [draw(aimed(name)), draw(aimed("id"))]
    try:
        cursor = encode_cursor(keys, values)
    except InvalidQuery:  # a value no cursor can carry (a JSON column's dict, say)
        cursor = encode_cursor(keys, [None, None])
    if draw(st.integers(0, 9)) == 0:  # a cut or edited cursor now and then
        cursor = cursor[: draw(st.integers(0, len(cursor)))] + draw(st.sampled_from(["", "x", "."]))
    return str(keys[0]), cursor


#: Just beyond a 64-bit key, as numbers and as text: keys no row can have.
BEYOND = [2**63, -(2**63) - 1, 2**64, 10**20]
beyond = st.sampled_from(BEYOND).flatmap(lambda n: st.sampled_from([n, str(n), (n,)]))
keys_of_readings = st.one_of(
    integers, integers.map(str), beyond, texts, anything, st.tuples(integers)
)
keys_of_shelves = st.one_of(BY_KIND[COLUMNS["token"].kind], texts, integers, anything)


@cache
def generated_cursors() -> list[tuple[str, str]]:
    """The drawn cursors, then for every sort no cursor (the first page) and a cut one: how
    many of each outcome hypothesis draws may vary between machines, these may not."""
    edges = [
        (sort, cursor) for name in SORTABLE for sort in (name, f"-{name}") for cursor in ("", "x.")
    ]
    return drawn(cursors(), CASES) + edges


@cache
def generated_keys() -> list[tuple[type[Any], Any]]:
    """The drawn keys, then every key just beyond 64 bits in every form: how many of each kind
    hypothesis draws may vary between machines (hash seeds), the edge cases themselves may not."""
    edges = [(Reading, form) for n in BEYOND for form in (n, str(n), (n,))]
    return (
        drawn(
            st.one_of(
                st.tuples(st.just(Reading), keys_of_readings),
                st.tuples(st.just(Shelf), keys_of_shelves),
            ),
            CASES,
        )
        + edges
    )


def predicted_page(sort: str, cursor: str) -> str:
    if not cursor:
        return "answered"  # an empty cursor is no cursor: the first page
    keys = [SortKey(sort.lstrip("-"), sort.startswith("-")), SortKey("id", sort.startswith("-"))]
    try:
        decode_cursor(cursor, keys, [COLUMNS[k.field] for k in keys])
    except InvalidQuery:
        return "invalid"
    return "answered"


def predicted_get(model: type[Any], ident: Any) -> str:
    pk = inspect(model).primary_key
    try:
        key = check_key(
            [ValueType.of(c.type) for c in pk], [c.key for c in pk], ident, model.__name__
        )
    except InvalidQuery:
        return "invalid"
    return "absent" if key is None else "answered"


def outcome_of(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__name__}"


async def test_every_generated_cursor_is_answered_or_invalid_query_alike_on_every_backend(
    sides: Sides,
) -> None:
    side = sides.open()
    await side.repo(Reading).add_many([copy_reading(r) for r in READINGS])
    await side.commit()
    readings = side.repo(Reading)
    wrong: list[str] = []
    outcomes = {"answered": 0, "invalid": 0}
    for sort, cursor in generated_cursors():
        expected = predicted_page(sort, cursor)
        outcomes[expected] += 1
        try:
            await readings.keyset_page(sort=sort, limit=3, cursor=cursor)
            outcome = "answered"
        except InvalidQuery as error:
            outcome = "invalid" if error.field == "cursor" else f"invalid on {error.field}"
        except Exception as error:  # the property: nothing else, on any backend
            outcome = outcome_of(error)
            await side.rollback()
        if outcome != expected:
            wrong.append(f"{sort} {cursor!r}: {outcome}, expected {expected}")
    assert not wrong, "\n".join(wrong[:20])
    assert min(outcomes.values()) >= 5, outcomes  # both outcomes are exercised


async def test_every_generated_key_is_found_absent_or_invalid_query_alike_on_every_backend(
    sides: Sides,
) -> None:
    side = sides.open()
    await side.repo(Reading).add_many([copy_reading(r) for r in READINGS])
    await side.commit()
    wrong: list[str] = []
    outcomes = {"answered": 0, "absent": 0, "invalid": 0}
    for model, ident in generated_keys():
        expected = predicted_get(model, ident)
        outcomes[expected] += 1
        try:
            row = await side.repo(model).get(ident)
            # "answered": a possible key, the database decided (a row or None); "absent": a
            # key no row can have, None without asking the database
            outcome = "answered" if expected != "absent" else "absent" if row is None else "row"
        except InvalidQuery:
            outcome = "invalid"
        except Exception as error:  # the property: nothing else, on any backend
            outcome = outcome_of(error)
            await side.rollback()
        if outcome != expected:
            wrong.append(f"{model.__name__}.get({ident!r}): {outcome}, expected {expected}")
    assert not wrong, "\n".join(wrong[:20])
    assert min(outcomes.values()) >= 5, outcomes
