"""The contenders, one module each; `ALL` in the order the report shows them."""

from __future__ import annotations

import importlib.util

from bench.contenders.base import OPS, Contender


def all_contenders() -> list[type[Contender]]:
    """Every contender class; peers whose package is not installed are left out."""
    from bench.contenders.core import Core
    from bench.contenders.orm import Orm, OrmAsync
    from bench.contenders.raw import RawAsync, RawSync
    from bench.contenders.stanchion_ import (
        Stanchion,
        StanchionAsync,
        StanchionAsyncTx,
        StanchionTx,
    )

    found: list[type[Contender]] = [
        RawSync,
        RawAsync,
        Core,
        Orm,
        OrmAsync,
        Stanchion,
        StanchionTx,
        StanchionAsync,
        StanchionAsyncTx,
    ]
    if importlib.util.find_spec("advanced_alchemy") is not None:
        from bench.contenders.advanced_alchemy_ import AdvancedAlchemy, AdvancedAlchemyAsync

        found += [AdvancedAlchemy, AdvancedAlchemyAsync]
    if importlib.util.find_spec("fastcrud") is not None:
        from bench.contenders.fastcrud_ import FastCrud

        found.append(FastCrud)
    return found


__all__ = ["OPS", "Contender", "all_contenders"]
