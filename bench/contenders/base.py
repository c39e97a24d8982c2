"""`Contender`: one way of talking to the database, implementing the workloads' operations.

A contender implements an operation as a method named after it, taking the batch's argument
list and returning a checksum the runner compares across contenders (same rows read, same rows
written). Async contenders implement them as coroutines. A missing method means "not offered".
"""

from __future__ import annotations

from typing import Any, ClassVar

from bench.context import Context

OPS = ("get", "page", "count", "keyset", "offset", "insert_one", "bulk_insert", "upsert", "update")


class Contender:
    name: ClassVar[str]
    family: ClassVar[str]  # raw, core, orm, stanchion, advanced-alchemy, fastcrud
    is_async: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()  # importable modules it needs
    note: ClassVar[str] = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def supports(self, op: str) -> bool:
        return callable(getattr(self, op, None))

    # sync contenders override these; async ones override aopen/aclose
    def open(self) -> None: ...

    def close(self) -> None: ...

    async def aopen(self) -> None: ...

    async def aclose(self) -> None: ...


def page_sum(rows: Any) -> int:
    """Checksum of a post page: ids plus author ids (proves the author was loaded)."""
    return sum(p.id + p.author.id for p in rows)
