"""Query tags: stable sqlcommenter comments (application, route, operation) on each statement.

A comment that changes from one run to the next (a trace id) makes every statement text new:
the server prepares each one again and its statement statistics fill with one-off rows. So the
tags are only values that repeat: the application, the route (`query_tags`) and the repository
operation; SQLAlchemy's compiled cache is untouched (the comment is added after compiling).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Engine

from stanchion.repository.operation import current_operation

_ROUTE: ContextVar[str | None] = ContextVar("stanchion_query_route", default=None)


@contextmanager
def query_tags(*, route: str) -> Iterator[None]:
    """Tag the block's statements with `route` (a route template, ``"GET /posts/{slug}"``)."""
    token = _ROUTE.set(route)
    try:
        yield
    finally:
        _ROUTE.reset(token)


def _value(text: str) -> str:
    # sqlcommenter: URL-encode, then escape quotes; "*/" can never survive the encoding.
    return "'" + quote(text, safe="").replace("'", "\\'") + "'"


class QueryTags:
    """Appends the comment in ``before_cursor_execute`` (``retval=True``), after compiling."""

    def __init__(self, engine: Engine, application: str | None) -> None:
        self.application = application
        # Drivers that format parameters with % would read the encoding's % as placeholders.
        self.percent_formats = engine.dialect.paramstyle in ("format", "pyformat")
        self._comments: dict[tuple[str | None, str | None], str] = {}
        event.listen(engine, "before_cursor_execute", self._tag, retval=True)

    def comment(self) -> str:
        """The comment for the current route and operation (``/*application='blog',...*/``)."""
        key = (_ROUTE.get(), current_operation())
        found = self._comments.get(key)
        if found is None:
            pairs = {"application": self.application, "route": key[0], "operation": key[1]}
            body = ",".join(f"{k}={_value(v)}" for k, v in sorted(pairs.items()) if v)
            found = f" /*{body}*/" if body else ""
            if len(self._comments) > 1000:
                self._comments.clear()
            self._comments[key] = found
        return found

    def _tag(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> tuple[str, Any]:
        comment = self.comment()
        if not comment:
            return statement, parameters
        if self.percent_formats and parameters is not None:
            comment = comment.replace("%", "%%")
        return statement + comment, parameters
