"""`Database` and `AsyncDatabase` are hand-kept twins (their bodies differ: context managers,
awaits, ``run_sync``); this proves their surfaces cannot drift apart: the same public names,
each with the same parameters, kinds and defaults."""

from __future__ import annotations

import inspect
from typing import Any

from stanchion import AsyncDatabase, Database


def surface(cls: type[Any]) -> dict[str, list[tuple[str, Any, Any]]]:
    found: dict[str, list[tuple[str, Any, Any]]] = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(inspect.getattr_static(cls, name), property):
            found[name] = []
            continue
        if callable(member):
            signature = inspect.signature(member)
            found[name] = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
    return found


def test_database_and_async_database_offer_the_same_methods_with_the_same_parameters() -> None:
    sync, async_ = surface(Database), surface(AsyncDatabase)
    assert sorted(sync) == sorted(async_)
    for name, parameters in sync.items():
        assert async_[name] == parameters, name
