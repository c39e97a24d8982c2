"""Counting lazy loads per relationship and source query: the core of N+1 detection.

The mappers' ``load`` event tags each object with the query that loaded it; the sessions'
``do_orm_execute`` event reports each lazy load with its parent (``lazy_loaded_from``) and
relationship (``loader_strategy_path``). The test plugin fails on what this finds; production
observability reports it as a warning. Public events only, no monkeypatching.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import InstanceState, ORMExecuteState, QueryContext

__all__ = ["Finding", "LazyLoadTracker"]

_SOURCE = "stanchion.nplusone.source"
_sequence = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Finding:
    """One N+1 pattern: `owner.key` lazy-loaded for `parents` objects of one query."""

    owner: str
    key: str
    collection: bool
    parents: int

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.key}"

    @property
    def fix(self) -> str:
        loader = "selectinload" if self.collection else "joinedload"
        return f"{loader}({self.name})"

    def __str__(self) -> str:
        return (
            f"N+1 queries: {self.name} was lazy-loaded separately for {self.parents} {self.owner} "
            f"objects loaded by the same query ({self.parents} extra queries). Load it with that "
            f"query: .options({self.fix}); or safelist {self.name!r} if this is intended."
        )


class LazyLoadTracker:
    """Feed it the two events (`loaded`, `executed`); `findings` names the N+1 patterns."""

    def __init__(self) -> None:
        # (owner, key, collection, source query) -> parents that lazy-loaded it
        self._loads: dict[tuple[str, str, bool, int], set[Any]] = defaultdict(set)
        self._sources: weakref.WeakKeyDictionary[InstanceState[Any], int] = (
            weakref.WeakKeyDictionary()
        )

    def loaded(self, target: Any, context: QueryContext) -> None:
        """The mapper ``load`` event: remember which query loaded `target`."""
        source = context.attributes.get(_SOURCE)
        if source is None:
            source = context.attributes[_SOURCE] = next(_sequence)
        state: InstanceState[Any] = target._sa_instance_state
        self._sources[state] = source

    def executed(self, state: ORMExecuteState) -> None:
        """The session ``do_orm_execute`` event: count it if it is a lazy load."""
        # The event also fires for ORM INSERT/UPDATE/DELETE, bulk and Core statements, where
        # the load attributes raise ("not against a SELECT statement"); lazy loads are SELECTs.
        if not state.is_select:
            return
        parent = state.lazy_loaded_from
        path = state.loader_strategy_path
        if parent is None or path is None or not len(path):
            return
        source = self._sources.get(parent)
        if source is None:  # the parent was not loaded by a query this tracker saw
            return
        prop: Any = path[-1]
        owner = parent.class_.__name__
        key = str(getattr(prop, "key", "?"))
        collection = bool(getattr(prop, "uselist", True))
        self._loads[(owner, key, collection, source)].add(parent.key or id(parent))

    def findings(self, threshold: int, safelist: Collection[str] = ()) -> list[Finding]:
        """The patterns with at least `threshold` parents, largest first, safelist left out."""
        found: dict[tuple[str, str, bool], int] = {}
        for (owner, key, collection, _source), parents in self._loads.items():
            if f"{owner}.{key}" in safelist or f"{owner}.*" in safelist:
                continue
            count = len(parents)
            if count >= threshold:
                found[(owner, key, collection)] = max(count, found.get((owner, key, collection), 0))
        return sorted(
            (Finding(o, k, c, n) for (o, k, c), n in found.items()), key=lambda f: -f.parents
        )

    def reset(self) -> None:
        self._loads.clear()
