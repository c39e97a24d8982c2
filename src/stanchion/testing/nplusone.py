"""N+1 detector: fails when one relationship is lazy-loaded for many parents of one query.

Built on public events only: the mappers' ``load`` event tags each object with the query that
loaded it; the sessions' ``do_orm_execute`` event reports every lazy load with its parent
(``lazy_loaded_from``) and relationship (``loader_strategy_path``). stanchion sessions refuse
lazy loads by default, so pass the databases to watch and the detector allows them meanwhile.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import InstanceState, Mapper, ORMExecuteState, QueryContext, Session
from sqlalchemy.orm.attributes import QueryableAttribute

from stanchion.database import AsyncDatabase, Database

_SOURCE = "stanchion.nplusone.source"
_sequence = itertools.count(1)


class NPlusOneError(AssertionError):
    """A relationship was lazy-loaded once per parent object: load it with the query instead."""


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


def _safelist_name(entry: str | QueryableAttribute[Any]) -> str:
    if isinstance(entry, str):
        return entry
    return f"{entry.class_.__name__}.{entry.key}"


class NPlusOneDetector:
    """Watches lazy loads while active; `check` raises `NPlusOneError` naming each pattern.

    `threshold`: how many parents of one query may lazy-load the same relationship before it
    counts (2 = any repetition). `safelist`: ``"User.posts"``, ``User.posts`` or ``"User.*"``.
    """

    def __init__(
        self,
        *databases: Database | AsyncDatabase,
        threshold: int = 2,
        safelist: Iterable[str | QueryableAttribute[Any]] = (),
    ) -> None:
        self.databases = databases
        self.threshold = threshold
        self.safelist = {_safelist_name(entry) for entry in safelist}
        # (owner, key, source query) -> parents that lazy-loaded it
        self._loads: dict[tuple[str, str, bool, int], set[Any]] = defaultdict(set)
        self._sources: weakref.WeakKeyDictionary[InstanceState[Any], int] = (
            weakref.WeakKeyDictionary()
        )
        self._stack: ExitStack | None = None

    def _on_load(self, target: Any, context: QueryContext) -> None:
        source = context.attributes.get(_SOURCE)
        if source is None:
            source = context.attributes[_SOURCE] = next(_sequence)
        state: InstanceState[Any] = target._sa_instance_state
        self._sources[state] = source

    def _on_execute(self, state: ORMExecuteState) -> None:
        parent = state.lazy_loaded_from
        path = state.loader_strategy_path
        if parent is None or path is None or not len(path):
            return
        source = self._sources.get(parent)
        if source is None:  # the parent was not loaded by a query this detector saw
            return
        prop: Any = path[-1]
        owner = parent.class_.__name__
        key = str(getattr(prop, "key", "?"))
        collection = bool(getattr(prop, "uselist", True))
        self._loads[(owner, key, collection, source)].add(parent.key or id(parent))

    def findings(self) -> list[Finding]:
        """The N+1 patterns seen so far, largest first (safelisted ones left out)."""
        found: dict[tuple[str, str, bool], int] = {}
        for (owner, key, collection, _source), parents in self._loads.items():
            if f"{owner}.{key}" in self.safelist or f"{owner}.*" in self.safelist:
                continue
            count = len(parents)
            if count >= self.threshold:
                found[(owner, key, collection)] = max(count, found.get((owner, key, collection), 0))
        return sorted(
            (Finding(o, k, c, n) for (o, k, c), n in found.items()), key=lambda f: -f.parents
        )

    def check(self) -> None:
        """Raise `NPlusOneError` describing every pattern found."""
        findings = self.findings()
        if findings:
            raise NPlusOneError("\n".join(str(finding) for finding in findings))

    def reset(self) -> None:
        self._loads.clear()

    def watch(self, database: Database | AsyncDatabase) -> None:
        """Also allow lazy loads in `database`'s sessions while the detector is active."""
        self.databases = (*self.databases, database)
        if self._stack is not None:
            self._stack.enter_context(database.lazy_loads_allowed())

    def start(self) -> NPlusOneDetector:
        if self._stack is None:
            stack = ExitStack()
            for database in self.databases:
                stack.enter_context(database.lazy_loads_allowed())
            event.listen(Mapper, "load", self._on_load)
            event.listen(Session, "do_orm_execute", self._on_execute)
            stack.callback(event.remove, Mapper, "load", self._on_load)
            stack.callback(event.remove, Session, "do_orm_execute", self._on_execute)
            self._stack = stack
        return self

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def __enter__(self) -> NPlusOneDetector:
        return self.start()

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        self.stop()
        if exc_type is None:
            self.check()


@contextmanager
def detect_n_plus_one(
    *databases: Database | AsyncDatabase,
    threshold: int = 2,
    safelist: Iterable[str | QueryableAttribute[Any]] = (),
) -> Iterator[NPlusOneDetector]:
    """Fail the block when it lazy-loads one relationship for many parents of one query."""
    with NPlusOneDetector(*databases, threshold=threshold, safelist=safelist) as detector:
        yield detector
