"""N+1 detector: fails when one relationship is lazy-loaded for many parents of one query.

The counting is `stanchion.engine.lazyloads.LazyLoadTracker` (shared with production
observability, which warns instead of failing). stanchion sessions refuse lazy loads by
default, so pass the databases to watch and the detector allows them meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import QueryableAttribute

from stanchion.database import AsyncDatabase, Database
from stanchion.engine.lazyloads import Finding, LazyLoadTracker

__all__ = ["Finding", "NPlusOneDetector", "NPlusOneError", "detect_n_plus_one"]


class NPlusOneError(AssertionError):
    """A relationship was lazy-loaded once per parent object: load it with the query instead."""


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
        self._tracker = LazyLoadTracker()
        self._stack: ExitStack | None = None

    def findings(self) -> list[Finding]:
        """The N+1 patterns seen so far, largest first (safelisted ones left out)."""
        return self._tracker.findings(self.threshold, self.safelist)

    def check(self) -> None:
        """Raise `NPlusOneError` describing every pattern found."""
        findings = self.findings()
        if findings:
            raise NPlusOneError("\n".join(str(finding) for finding in findings))

    def reset(self) -> None:
        self._tracker.reset()

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
            tracker = self._tracker
            event.listen(Mapper, "load", tracker.loaded)
            event.listen(Session, "do_orm_execute", tracker.executed)
            stack.callback(event.remove, Mapper, "load", tracker.loaded)
            stack.callback(event.remove, Session, "do_orm_execute", tracker.executed)
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
