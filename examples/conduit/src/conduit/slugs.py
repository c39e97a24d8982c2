"""Slugs from titles: lowercase ASCII words joined by hyphens, made unique on a clash."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TypeVar

from stanchion import AlreadyExists, AsyncUnitOfWork

T = TypeVar("T")
_WORDS = re.compile(r"[a-z0-9]+")
_ATTEMPTS = 4


def slug_of(title: str) -> str:
    """``"How to train your dragon!"`` -> ``"how-to-train-your-dragon"``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = "-".join(_WORDS.findall(ascii_title.lower()))[:200].strip("-")
    return slug or "article"


async def with_unique_slug(
    tx: AsyncUnitOfWork, title: str, write: Callable[[str], Awaitable[T]]
) -> T:
    """``write(slug)`` in a savepoint; when the slug is taken, again with a random suffix.

    The unique index decides (no check-then-insert race); the savepoint keeps the rest of the
    request's transaction usable after the refused insert.
    """
    base = slug_of(title)
    for attempt in range(_ATTEMPTS):
        slug = base if attempt == 0 else f"{base}-{secrets.token_hex(4)}"
        try:
            async with tx.savepoint():
                return await write(slug)
        except AlreadyExists:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
