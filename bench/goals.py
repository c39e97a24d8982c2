"""The issue's goals, checked against a run's results: each one met or missed, with numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.results import ratio

X = "\N{MULTIPLICATION SIGN}"

OVERHEAD_LIMIT = 1.10
COPY_FLOOR = 0.8
KEYSET_LIMIT = 1.5
PEERS = {
    "stanchion": ["advanced-alchemy"],
    "stanchion-async": ["advanced-alchemy-async", "fastcrud"],
}


@dataclass(frozen=True)
class Check:
    """One measured comparison behind a goal."""

    what: str
    value: float | None
    ok: bool | None  # None: could not be measured in this run


@dataclass(frozen=True)
class Goal:
    title: str
    checks: list[Check]

    @property
    def met(self) -> bool | None:
        known = [c.ok for c in self.checks if c.ok is not None]
        return all(known) if known else None


def _workloads(data: dict[str, Any]) -> list[str]:
    return [w["name"] for w in data["workloads"]]


def overhead(data: dict[str, Any]) -> Goal:
    checks = []
    for mine, orm in (("stanchion", "orm"), ("stanchion-async", "orm-async")):
        for w in _workloads(data):
            r = ratio(data, w, mine, orm)
            if r is not None:
                checks.append(Check(f"{mine} {w} ÷ {orm}", r, r <= OVERHEAD_LIMIT))
    return Goal(f"per-operation time ≤ {OVERHEAD_LIMIT:.2f}{X} hand-written ORM", checks)


def peers(data: dict[str, Any]) -> Goal:
    checks = []
    for mine, others in PEERS.items():
        for other in others:
            for w in _workloads(data):
                r = ratio(data, w, mine, other)
                if r is not None:
                    checks.append(Check(f"{mine} {w} ÷ {other}", r, r < 1.0))
    return Goal("faster than advanced-alchemy and FastCRUD on every shared workload", checks)


def copy_throughput(data: dict[str, Any]) -> Goal:
    checks = []
    if data["backend"] == "postgresql":
        for mine, raw in (("stanchion", "raw"), ("stanchion-async", "raw-async")):
            r = ratio(data, "bulk_insert", raw, mine)  # throughput ratio = time(raw) / time(mine)
            ok = None if r is None else r >= COPY_FLOOR
            checks.append(Check(f"{mine} bulk insert rows/s ÷ {raw} COPY", r, ok))
    return Goal(f"bulk insert ≥ {COPY_FLOOR}{X} raw COPY throughput (PostgreSQL)", checks)


def keyset_depth(data: dict[str, Any]) -> Goal:
    checks = []
    for mine in ("stanchion", "stanchion-async"):
        r = None
        row_deep = data["cells"].get("keyset_deep", {}).get(mine, {}).get("median")
        row_first = data["cells"].get("keyset_1", {}).get(mine, {}).get("median")
        if row_deep is not None and row_first:
            r = row_deep / row_first
        depth = data["sizes"]["keyset_depth"]
        checks.append(
            Check(
                f"{mine} keyset page {depth:,} ÷ page 1",
                r,
                None if r is None else r <= KEYSET_LIMIT,
            )
        )
    return Goal(f"keyset page at depth within {KEYSET_LIMIT}{X} of page 1", checks)


def evaluate(data: dict[str, Any]) -> list[Goal]:
    return [overhead(data), peers(data), copy_throughput(data), keyset_depth(data)]
