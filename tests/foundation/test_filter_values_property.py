"""Property: whatever value a caller sends to whatever operator, a read either answers or raises
`InvalidQuery` — never a driver or SQLAlchemy error — and which of the two is decided by the
query layer alone (`Repository.check_filters`, pure), so every backend answers alike.

Hypothesis generates the filter mappings (hostile values of every kind for every operator the
columns of `Reading` take, any-of groups included); each runs on SQLite, PostgreSQL and MariaDB,
sync and async.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest
from hypothesis import strategies as st

from stanchion import InvalidQuery, Repository
from stanchion.query.filters import ANY_OF, filter_allow_list, parse_key
from stanchion.query.values import Kind
from tests.foundation.harness import Sides
from tests.foundation.test_filters import READINGS, copy_reading
from tests.models import Mood, Reading
from tests.properties import drawn

pytestmark = pytest.mark.anyio

CASES = 400

FIELDS = filter_allow_list(Reading, None)
KEYS = sorted(f.key(op) for f in FIELDS.values() for op in f.operators)

offsets = st.builds(
    dt.timezone, st.timedeltas(min_value=-dt.timedelta(hours=23), max_value=dt.timedelta(hours=23))
)
datetimes = st.datetimes(timezones=st.none() | offsets)
texts = st.text(st.sampled_from("ab Z%_\\'\"\x00\udcff\ud800é😀,:"), max_size=30)
integers = st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from(
    [2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**31, -(2**31) - 1, 2**15, -(2**15) - 1, 0, -1]
)
#: Values aimed at each kind of column: its edges, and what lies just beyond them.
BY_KIND: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.INTEGER: integers | integers.map(str),
    Kind.NUMBER: st.floats() | st.decimals() | st.floats().map(str) | st.decimals().map(str),
    Kind.TEXT: texts,
    Kind.DATETIME: datetimes | datetimes.map(lambda d: d.isoformat()),
    Kind.DATE: st.dates() | st.dates().map(str),
    Kind.TIME: st.times(timezones=st.none() | offsets) | st.times().map(str),
    Kind.UUID: st.uuids() | st.uuids().map(str),
    Kind.ENUM: st.sampled_from([Mood.calm, "loud", "calm ", "LOUD"]),
    Kind.BOOL: st.booleans() | st.sampled_from(["true", "0", "yes", "maybe"]),
    Kind.OTHER: st.booleans(),
}
anything = st.one_of(*BY_KIND.values(), st.none())


def value_for(key: str) -> st.SearchStrategy[Any]:
    name, op = parse_key(key)
    kind = FIELDS[name].value_type.kind
    aimed = BY_KIND[kind]
    if op == "in":
        aimed = st.lists(aimed, max_size=4) | st.lists(aimed, min_size=1, max_size=4).map(
            lambda items: ",".join(map(str, items))
        )
    elif op == "isnull":
        aimed = st.booleans() | st.sampled_from(["true", "false", "maybe"])
    return st.one_of(aimed, aimed, aimed, anything)


terms = st.lists(
    st.sampled_from(KEYS).flatmap(lambda key: st.tuples(st.just(key), value_for(key))),
    min_size=1,
    max_size=3,
).map(dict)
mappings = st.one_of(
    terms,
    terms,
    st.builds(lambda outer, group: {**outer, ANY_OF: group}, terms, st.lists(terms, max_size=3)),
)


class Readings(Repository[Reading]):
    """Every column, every operator that fits it."""


@cache
def generated() -> list[dict[str, Any]]:
    """The same `CASES` mappings for every backend (derandomized), drawn once."""
    return drawn(mappings, CASES)


def predicted(filters: dict[str, Any]) -> str:
    try:
        Readings.check_filters(filters)
    except InvalidQuery:
        return "invalid"
    return "answered"


async def test_every_generated_filter_is_answered_or_invalid_query_alike_on_every_backend(
    sides: Sides,
) -> None:
    side = sides.open()
    await side.repo(Reading).add_many([copy_reading(r) for r in READINGS])
    await side.commit()
    readings = side.repo(Readings)
    wrong: list[str] = []
    outcomes = {"answered": 0, "invalid": 0}
    for filters in generated():
        expected = predicted(filters)
        outcomes[expected] += 1
        for call in (readings.count, readings.list):
            try:
                await call(filters)
                outcome = "answered"
            except InvalidQuery:
                outcome = "invalid"
            except Exception as error:  # the property: nothing else, on any backend
                outcome = f"{type(error).__module__}.{type(error).__name__}"
                await side.rollback()
            if outcome != expected:
                wrong.append(f"{call.__name__}({filters!r}): {outcome}, expected {expected}")
    assert not wrong, "\n".join(wrong[:20])
    assert min(outcomes.values()) >= 5, outcomes  # both outcomes are exercised
