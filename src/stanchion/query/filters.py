"""Allow-listed filters: ``{"title__contains": "sql", "views__gte": 10}`` to a WHERE clause.

One table of operators says, for each: the column kinds it fits, how a caller's value becomes
its parameter, and the condition it builds. One planner checks a filter mapping against a
repository's allow-list (fields and the operators each exposes) and turns it into a
`FilterPlan`; one builder turns a plan into SQL. A plan's `shape` decides the SQL and its
`params` carry this call's values, so a statement built from a shape can be reused.

Any-of groups: ``{"or": [{"title__icontains": "sql"}, {"views__gte": 100}]}`` matches rows that
satisfy at least one alternative (each alternative is itself a filter mapping, ANDed), through
the same allow-list. ``or`` is a Python keyword, so no mapped attribute can carry that name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, bindparam, inspect, or_

from stanchion.errors import InvalidQuery
from stanchion.query.values import Kind, ValueType, check_text, coerce, quoted_name, shown_name

#: A named custom filter: takes the caller's value, returns a condition.
CustomFilter = Callable[[Any], ColumnElement[bool]]
#: How a field's operators are chosen: every column, some columns (all fitting operators
#: each), or each column with its own operators.
FilterFieldsSpec = Collection[str] | Mapping[str, Collection[str]] | None

SEPARATOR = "__"
#: The key of an any-of group in a filter mapping.
ANY_OF = "or"
MAX_IN_VALUES = 1000
#: Most alternatives in one any-of group, and most terms in one filter mapping (all groups).
MAX_ALTERNATIVES = 20
MAX_TERMS = 200


def escape_like(value: str, escape: str = "\\") -> str:
    """Escape LIKE wildcards so ``%`` and ``_`` match themselves."""
    return value.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


# ----- how a value becomes a parameter -----


def _one(value: Any, value_type: ValueType, name: str) -> Any:
    return value_type.check(value, name)


def _many(value: Any, value_type: ValueType, name: str) -> list[Any]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise InvalidQuery(f"'in' on {name!r} takes a list or comma-separated text", field=name)
    if not 1 <= len(items) <= MAX_IN_VALUES:
        raise InvalidQuery(f"'in' on {name!r} takes 1 to {MAX_IN_VALUES} values", field=name)
    return [value_type.check(item, name) for item in items]


def _flag(value: Any, value_type: ValueType, name: str) -> bool:
    flag: bool = coerce(value, bool, name)
    return flag


def _text(value: Any, value_type: ValueType, name: str) -> str:
    return check_text(value, name)


def _pattern(template: str) -> Callable[[Any], str]:
    return lambda text: template.format(escape_like(text))


def _same(value: Any) -> Any:
    return value


# ----- the operator table -----

_ALL = frozenset(Kind)
_LISTABLE = _ALL - {Kind.BOOL, Kind.OTHER}
_ORDERED = frozenset({Kind.INTEGER, Kind.NUMBER, Kind.DATETIME, Kind.DATE, Kind.TIME})
_COMPARABLE = _ALL - {Kind.OTHER}


@dataclass(frozen=True, slots=True)
class Operator:
    """One filter operator: the column kinds it fits, how a value becomes its parameter, and
    the condition it builds on a column and that parameter."""

    name: str
    kinds: frozenset[Kind]
    #: What the caller passes: one value of the column's type, a list of them, a boolean
    #: flag, or text (for patterns).
    accepts: Literal["value", "values", "flag", "text"]
    #: The caller's value, converted and checked (`InvalidQuery` naming the field).
    value: Callable[[Any, ValueType, str], Any]
    #: The checked value to the statement parameter (a LIKE pattern, say).
    parameter: Callable[[Any], Any]
    condition: Callable[[Any, Any], ColumnElement[bool]]
    description: str
    #: False when the value decides the SQL (``IS NULL`` or ``IS NOT NULL``) rather than
    #: travelling as a bound parameter.
    binds: bool = True
    #: A list parameter (``IN``), expanded when the statement runs.
    expanding: bool = False

    def fits(self, kind: Kind) -> bool:
        """Whether this operator applies to a column of `kind`."""
        return kind in self.kinds


def _like(column: Any, pattern: Any) -> ColumnElement[bool]:
    return column.like(pattern, escape="\\")  # type: ignore[no-any-return]


def _ilike(column: Any, pattern: Any) -> ColumnElement[bool]:
    return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]


def _is_null(column: Any, flag: Any) -> ColumnElement[bool]:
    return column.is_(None) if flag else column.is_not(None)  # type: ignore[no-any-return]


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", _COMPARABLE, "value", _one, _same, lambda c, p: c == p, "equals"),
        Operator("ne", _COMPARABLE, "value", _one, _same, lambda c, p: c != p, "differs from"),
        Operator("lt", _ORDERED, "value", _one, _same, lambda c, p: c < p, "less than"),
        Operator("lte", _ORDERED, "value", _one, _same, lambda c, p: c <= p, "at most"),
        Operator("gt", _ORDERED, "value", _one, _same, lambda c, p: c > p, "greater than"),
        Operator("gte", _ORDERED, "value", _one, _same, lambda c, p: c >= p, "at least"),
        Operator(
            "in",
            _LISTABLE,
            "values",
            _many,
            _same,
            lambda c, p: c.in_(p),
            f"one of these comma-separated values (at most {MAX_IN_VALUES})",
            expanding=True,
        ),
        Operator(
            "isnull",
            _ALL,
            "flag",
            _flag,
            _same,
            _is_null,
            "is null (true) or not (false)",
            binds=False,
        ),
        Operator(
            "contains",
            frozenset({Kind.TEXT}),
            "text",
            _text,
            _pattern("%{}%"),
            _like,
            "contains this text",
        ),
        Operator(
            "icontains",
            frozenset({Kind.TEXT}),
            "text",
            _text,
            _pattern("%{}%"),
            _ilike,
            "contains this text, ignoring case",
        ),
        Operator(
            "startswith",
            frozenset({Kind.TEXT}),
            "text",
            _text,
            _pattern("{}%"),
            _like,
            "starts with this text",
        ),
        Operator(
            "endswith",
            frozenset({Kind.TEXT}),
            "text",
            _text,
            _pattern("%{}"),
            _like,
            "ends with this text",
        ),
    )
}


def operators_for(kind: Kind) -> tuple[str, ...]:
    """The names of the operators that fit a column of `kind`, in table order."""
    return tuple(name for name, op in OPERATORS.items() if op.fits(kind))


# ----- allow-lists: which fields, which operators -----


@dataclass(frozen=True, slots=True)
class FilterField:
    """One field callers may filter on: the values it takes and the operators it exposes."""

    name: str
    value_type: ValueType
    operators: tuple[str, ...]

    def key(self, operator: str) -> str:
        """The filter key for `operator`: ``title`` for ``eq``, else ``title__icontains``."""
        return self.name if operator == "eq" else f"{self.name}{SEPARATOR}{operator}"

    def keys(self) -> dict[str, Operator]:
        """Every filter key this field accepts, with its operator."""
        return {self.key(name): OPERATORS[name] for name in self.operators}


def filter_allow_list(model: type[Any], spec: FilterFieldsSpec) -> dict[str, FilterField]:
    """The filterable fields of `model` as `spec` says (see `FilterFieldsSpec`).

    A name that is not a column, an unknown operator or one that does not fit the column is a
    mistake in the repository, so it raises `TypeError` (not `InvalidQuery`: not the caller's).
    """
    columns = {attr.key: attr for attr in inspect(model).column_attrs}
    chosen: Mapping[str, Collection[str] | None]
    if spec is None:
        chosen = dict.fromkeys(columns)
    elif isinstance(spec, Mapping):
        chosen = spec
    else:
        chosen = dict.fromkeys(spec)
    fields: dict[str, FilterField] = {}
    for name, operators in chosen.items():
        if name not in columns:
            raise TypeError(f"{model.__name__}.{name} is not a column and cannot be filtered on")
        value_type = ValueType.of(columns[name].columns[0].type)
        fitting = operators_for(value_type.kind)
        if operators is None:
            fields[name] = FilterField(name, value_type, fitting)
            continue
        if isinstance(operators, str):
            operators = (operators,)
        for op in operators:
            if op not in fitting:
                raise TypeError(
                    f"operator {op!r} does not fit {model.__name__}.{name} "
                    f"(a {value_type.kind} column takes {', '.join(fitting)})"
                )
        fields[name] = FilterField(name, value_type, tuple(dict.fromkeys(operators)))
    return fields


def parse_key(key: str) -> tuple[str, str]:
    """Split ``"title__contains"`` into ``("title", "contains")``; a bare field means ``eq``."""
    name, sep, op = key.partition(SEPARATOR)
    return name, (op if sep else "eq")


# ----- plans: checked filters as a statement shape plus parameter values -----


@dataclass(frozen=True, slots=True)
class _Term:
    field: str
    operator: Operator
    value: Any  # the parameter value, or for a non-binding operator the flag deciding the SQL
    param: str | None  # the bound parameter's name


@dataclass(frozen=True, slots=True)
class _Custom:
    key: str
    function: CustomFilter
    value: Any


@dataclass(frozen=True, slots=True)
class _AnyOf:
    alternatives: tuple[tuple[_Part, ...], ...]


_Part = _Term | _Custom | _AnyOf


@dataclass(frozen=True, slots=True)
class FilterPlan:
    """Checked filters. `shape` decides the SQL (hashable: a statement built from it can be
    reused), `params` holds this call's values for its bound parameters, `filters` the checked
    mapping itself (values converted). A plan with a custom filter (arbitrary SQL built from
    the value) has no reusable shape."""

    parts: tuple[_Part, ...]
    params: dict[str, Any]
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[Any, ...] | None:
        """What decides the SQL, or None when a custom filter makes it depend on the values."""
        return _shape(self.parts)

    def condition(
        self, model: type[Any], *, bind_values: bool = False
    ) -> ColumnElement[bool] | None:
        """The WHERE condition, or None for no filters.

        Without `bind_values` each value is a named parameter to pass with `params` (the form a
        reused statement takes); with it the values are bound into the condition itself.
        """
        conditions = _conditions(self.parts, model, bind_values, self.params)
        return and_(*conditions) if conditions else None


NO_FILTERS = FilterPlan((), {})


def _shape(parts: tuple[_Part, ...]) -> tuple[Any, ...] | None:
    shape: list[Any] = []
    for part in parts:
        if isinstance(part, _Custom):
            return None
        if isinstance(part, _AnyOf):
            alternatives = [_shape(alternative) for alternative in part.alternatives]
            if any(a is None for a in alternatives):
                return None
            shape.append((ANY_OF, tuple(alternatives)))
        else:
            flag = None if part.operator.binds else part.value
            shape.append((part.field, part.operator.name, flag))
    return tuple(shape)


def _conditions(
    parts: tuple[_Part, ...], model: type[Any], bind_values: bool, params: Mapping[str, Any]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for part in parts:
        if isinstance(part, _Custom):
            conditions.append(part.function(part.value))
        elif isinstance(part, _AnyOf):
            alternatives = [
                and_(*_conditions(alternative, model, bind_values, params))
                for alternative in part.alternatives
            ]
            conditions.append(or_(*alternatives))
        else:
            column = getattr(model, part.field)
            operator = part.operator
            if part.param is None:
                conditions.append(operator.condition(column, part.value))
                continue
            if bind_values:
                param: Any = bindparam(
                    part.param,
                    params[part.param],
                    type_=column.type,
                    expanding=operator.expanding,
                    unique=True,
                )
            else:
                param = bindparam(part.param, type_=column.type, expanding=operator.expanding)
            conditions.append(operator.condition(column, param))
    return conditions


class _Planner:
    """Checks one filter mapping against an allow-list, numbering the parameters it binds."""

    def __init__(self, fields: Mapping[str, FilterField], custom: Mapping[str, CustomFilter]):
        self.fields = fields
        self.custom = custom
        self.params: dict[str, Any] = {}
        self._numbers: Iterator[int] = count()
        self._terms = 0

    def group(self, filters: Mapping[str, Any]) -> tuple[tuple[_Part, ...], dict[str, Any]]:
        parts: list[_Part] = []
        checked: dict[str, Any] = {}
        for key, value in filters.items():
            self._terms += 1
            if self._terms > MAX_TERMS:
                raise InvalidQuery(f"at most {MAX_TERMS} filter terms are allowed")
            if not isinstance(key, str):
                raise InvalidQuery("filter keys are text")
            if key in self.custom:
                if isinstance(value, str):
                    value = check_text(value, key)
                parts.append(_Custom(key, self.custom[key], value))
                checked[key] = value
            elif key == ANY_OF:
                part, alternatives = self.any_of(value)
                parts.append(part)
                checked[key] = alternatives
            else:
                term, checked[key] = self.term(key, value)
                parts.append(term)
        return tuple(parts), checked

    def any_of(self, value: Any) -> tuple[_AnyOf, list[dict[str, Any]]]:
        if isinstance(value, Mapping) or not isinstance(value, (list, tuple)):
            raise InvalidQuery("'or' takes a list of filter mappings", field=ANY_OF)
        if not 1 <= len(value) <= MAX_ALTERNATIVES:
            raise InvalidQuery(f"'or' takes 1 to {MAX_ALTERNATIVES} alternatives", field=ANY_OF)
        alternatives: list[tuple[_Part, ...]] = []
        checked: list[dict[str, Any]] = []
        for alternative in value:
            if not isinstance(alternative, Mapping) or not alternative:
                raise InvalidQuery("each 'or' alternative is a non-empty mapping", field=ANY_OF)
            parts, checked_alternative = self.group(alternative)
            alternatives.append(parts)
            checked.append(checked_alternative)
        return _AnyOf(tuple(alternatives)), checked

    def term(self, key: str, value: Any) -> tuple[_Term, Any]:
        name, op = parse_key(key)
        found = self.fields.get(name)
        if found is None:
            raise InvalidQuery(f"cannot filter on {quoted_name(name)}", field=shown_name(name))
        if op not in found.operators:
            shown = repr(op) if shown_name(op) else "this operator"
            raise InvalidQuery(f"{shown} does not apply to {name!r}", field=name)
        operator = OPERATORS[op]
        if value is None and op in ("eq", "ne"):  # "= NULL" is never true: mean IS [NOT] NULL
            return _Term(name, OPERATORS["isnull"], op == "eq", None), None
        checked = operator.value(value, found.value_type, name)
        if not operator.binds:
            return _Term(name, operator, checked, None), checked
        param = f"stanchion_f{next(self._numbers)}"
        self.params[param] = operator.parameter(checked)
        return _Term(name, operator, self.params[param], param), checked


def plan_filters(
    filters: Mapping[str, Any],
    fields: Mapping[str, FilterField],
    custom: Mapping[str, CustomFilter] | None = None,
) -> FilterPlan:
    """`filters` checked against the allow-list `fields` (and the `custom` filters), as a plan.

    Unknown fields, operators a field does not expose and values that do not convert or that
    no backend can take are an `InvalidQuery` naming the field, before any SQL is built.
    """
    if not filters:
        return NO_FILTERS
    planner = _Planner(fields, custom or {})
    parts, checked = planner.group(filters)
    return FilterPlan(parts, planner.params, checked)


def build_filters(
    model: type[Any],
    filters: Mapping[str, Any],
    allowed: FilterFieldsSpec = None,
    custom: Mapping[str, CustomFilter] | None = None,
) -> ColumnElement[bool] | None:
    """One condition for `filters` on `model`, values bound in (`allowed`: `FilterFieldsSpec`)."""
    plan = plan_filters(filters, filter_allow_list(model, allowed), custom)
    return plan.condition(model, bind_values=True)
