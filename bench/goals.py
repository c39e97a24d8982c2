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


def _versus(data: dict[str, Any], mine: str, other: str, limit: float, strict: bool) -> list[Check]:
    """One check per shared workload, judged on CPU time per operation (the client-side cost,
    steady on a shared machine), with the wall-clock ratio shown beside it."""
    checks = []
    for w in _workloads(data):
        cpu = ratio(data, w, mine, other, "cpu_median")
        wall = ratio(data, w, mine, other)
        if cpu is None:
            continue
        ok = cpu < limit if strict else cpu <= limit
        wall_text = "—" if wall is None else f"{wall:.2f}{X}"
        checks.append(Check(f"{mine} {w} ÷ {other} (wall {wall_text})", cpu, ok))
    return checks


def overhead(data: dict[str, Any]) -> Goal:
    checks = []
    pairs = (
        ("stanchion", "orm"),
        ("stanchion-tx", "orm"),  # the README's db.transaction() / tx.repository(...) path
        ("stanchion-async", "orm-async"),
        ("stanchion-async-tx", "orm-async"),
    )
    for mine, orm in pairs:
        checks += _versus(data, mine, orm, OVERHEAD_LIMIT, strict=False)
    title = f"per-operation cost ≤ {OVERHEAD_LIMIT:.2f}{X} hand-written ORM (CPU time)"
    return Goal(title, checks)


def peers(data: dict[str, Any]) -> Goal:
    checks = []
    for mine, others in PEERS.items():
        for other in others:
            checks += _versus(data, mine, other, 1.0, strict=True)
    title = "faster than advanced-alchemy and FastCRUD on every shared workload (CPU time)"
    return Goal(title, checks)


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
    depth = data["sizes"]["keyset_depth"]
    for mine in ("stanchion", "stanchion-async"):
        r = ratio(data, "keyset_deep", mine, mine, baseline_workload="keyset_1")
        ok = None if r is None else r <= KEYSET_LIMIT
        checks.append(Check(f"{mine} keyset page {depth:,} ÷ page 1", r, ok))
    return Goal(f"keyset page at depth within {KEYSET_LIMIT}{X} of page 1", checks)


def evaluate(data: dict[str, Any]) -> list[Goal]:
    return [overhead(data), peers(data), copy_throughput(data), keyset_depth(data)]
