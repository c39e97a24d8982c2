"""Hypothesis, bounded and deterministic for CI: the same cases every run and on every backend.

`bounded(n)`: settings for at most `n` examples, derandomized, no example database, no deadline
(real servers answer at their own pace), every health check off. `drawn(strategy, n)`: the `n`
cases themselves, drawn once, so a test can run each of them on several backends.
"""

from __future__ import annotations

from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

T = TypeVar("T")


def bounded(examples: int, **more: Any) -> settings:
    """At most `examples` cases, the same ones every run (`more`: other settings)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        **more,
    )


def drawn(strategy: st.SearchStrategy[T], examples: int) -> list[T]:
    """`examples` values of `strategy`, the same ones every run."""
    found: list[T] = []

    @bounded(examples)
    @given(strategy)
    def collect(case: T) -> None:
        found.append(case)

    collect()
    return found
