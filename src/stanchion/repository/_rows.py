"""Rows for the statements that bypass the ORM (upsert, bulk insert): names, defaults, bumps.

Pure functions of a model's mapper; the repository calls them and only executes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.orm import Mapper

from stanchion.errors import InvalidQuery
from stanchion.query.values import check_written_text, text_columns


def column_names(mapper: Mapper[Any], keys: Sequence[str]) -> list[str]:
    """The column names of attribute `keys`; an unknown attribute is `InvalidQuery`."""
    names = {attr.key: attr.columns[0].name for attr in mapper.column_attrs}
    unknown = [k for k in keys if k not in names]
    if unknown:
        model = mapper.class_.__name__
        raise InvalidQuery(f"{model} has no field {unknown[0]!r}", field=unknown[0])
    return [names[k] for k in keys]


def update_bumps(mapper: Mapper[Any], updated: Collection[str]) -> dict[str, Any]:
    """What an upsert's UPDATE also sets: each column's ``onupdate``, ``version + 1``."""
    bumps: dict[str, Any] = {}
    for column in mapper.local_table.columns:
        onupdate = column.onupdate
        if column.name in updated or onupdate is None:
            continue
        if onupdate.is_clause_element or onupdate.is_scalar:
            bumps[column.name] = onupdate.arg
        elif onupdate.is_callable:
            bumps[column.name] = onupdate.arg(None)
    version = mapper.version_id_col
    if version is not None and version.name not in updated:
        # The 1 as SQL, not a bound parameter: an executemany upsert then binds only row values.
        bumps[version.name] = version + literal_column("1")
    return bumps


def row_dicts(mapper: Mapper[Any], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows keyed by column name, with the same keys, Python-side defaults filled in."""
    columns, values = row_values(mapper, rows)
    return [dict(zip(columns, row, strict=True)) for row in values]


def row_values(
    mapper: Mapper[Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and one tuple per row, Python-side defaults filled in.

    Tuples, not dicts: the bulk paths (COPY) take rows positionally, and picking values
    with one ``itemgetter`` per row keeps this loop close to the driver's own speed.
    """
    table = mapper.local_table
    expected = rows[0].keys()
    keys = list(expected)
    names = column_names(mapper, keys)
    given = set(names)
    defaulted = [
        column
        for column in table.columns
        if column.name not in given and _is_python_default(column.default)
    ]
    fill = [column.default for column in defaulted]
    columns = names + [column.name for column in defaulted]
    pick = _picker(keys)
    out: list[tuple[Any, ...]] = []
    append = out.append
    for row in rows:
        if row.keys() != expected:
            raise InvalidQuery("every row must have the same fields")
        if fill:
            append((*pick(row), *(d.arg(None) if d.is_callable else d.arg for d in fill)))
        else:
            append(pick(row))
    _check_text(mapper, keys, out)
    return columns, out


def _check_text(mapper: Mapper[Any], keys: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """The text values of `rows` (tuples in `keys` order) are text every backend stores alike,
    as the session checks for ORM writes."""
    text = set(text_columns(mapper))
    model = mapper.class_.__name__
    for index, key in enumerate(keys):
        if key in text:
            for row in rows:
                check_written_text(model, key, row[index])


def _picker(keys: Sequence[str]) -> Any:
    """A function from a row mapping to the tuple of its values for `keys`, in order."""
    if not keys:
        return lambda row: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda row: (row[key],)
    return itemgetter(*keys)


def _is_python_default(default: Any) -> bool:
    return default is not None and (default.is_scalar or default.is_callable)
