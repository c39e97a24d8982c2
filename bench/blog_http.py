"""The reference blog against a hand-written FastAPI + SQLAlchemy peer (bench/blog_peer.py)
under the same HTTP load: bench/http.py's mix of endpoints, 32 concurrent clients, over one
PostgreSQL database, each server in one uvicorn process with asyncpg and uvicorn's defaults.

The two servers take turns (stanchion, peer, peer, stanchion, ...) so that other load on the
machine falls on both alike; each turn is a warm-up, then a bounded load. Reports requests per
second and p50/p99 per endpoint, with the stanchion/peer ratios (medians over the turns).

    python -m bench.blog_http [--quick] [--turns 4] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import http
from bench.context import DEFAULT_URLS, Context, Sizes

PORTS = {"stanchion": http.PORT, "peer": http.PORT + 1}


def _serve(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    port = str(PORTS[name])
    if name == "stanchion":
        command = [str(Path(sys.executable).with_name("blog")), "serve", "--port", port]
    else:
        command = [sys.executable, "-m", "uvicorn", "bench.blog_peer:app", "--port", port]
    return subprocess.Popen(
        [*command, "--host", http.HOST],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _turn(name: str, env: dict[str, str], ids: dict[str, Any], total: int) -> dict[str, Any]:
    server = _serve(name, env)
    try:
        http.wait_until_up(port=PORTS[name])
        asyncio.run(http.load(ids, http.CLIENTS * 4, 20.0, port=PORTS[name]))  # warm-up
        return asyncio.run(http.load(ids, total, port=PORTS[name]))
    finally:
        http.stop(server)


def run(url: str, quick: bool, turns: int) -> dict[str, Any]:
    sizes = Sizes.quick() if quick else Sizes.full()
    ctx = Context("postgresql", make_url(url), sizes, quick)
    served_url = http.blog_url(ctx)
    peer_url = make_url(served_url).set(drivername="postgresql+asyncpg")
    env = {**os.environ, "DATABASE_URL": served_url}
    ids = http.prepare(ctx, env)
    envs = {
        "stanchion": env,
        "peer": {**env, "DATABASE_URL": peer_url.render_as_string(hide_password=False)},
    }
    total = 150 if quick else 3_000
    results: dict[str, list[dict[str, Any]]] = {"stanchion": [], "peer": []}
    for turn in range(turns):
        order = ["stanchion", "peer"] if turn % 2 == 0 else ["peer", "stanchion"]
        for name in order:
            results[name].append(_turn(name, envs[name], ids, total))
    return results


def _median(runs: list[dict[str, Any]], endpoint: str | None, key: str) -> float:
    if endpoint is None:
        return float(statistics.median(r[key] for r in runs))
    return float(statistics.median(r["endpoints"][endpoint][key] for r in runs))


def report(results: dict[str, list[dict[str, Any]]]) -> str:
    mine, peer = results["stanchion"], results["peer"]
    lines = [
        "| endpoint | stanchion p50 ms | peer p50 ms | ratio "
        "| stanchion p99 ms | peer p99 ms | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint in sorted(mine[0]["endpoints"]):
        row = [endpoint]
        for key in ("p50", "p99"):
            a, b = _median(mine, endpoint, key) * 1000, _median(peer, endpoint, key) * 1000
            row += [f"{a:.1f}", f"{b:.1f}", f"{a / b:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    rps_mine, rps_peer = _median(mine, None, "rps"), _median(peer, None, "rps")
    errors = sum(r["errors"] for r in mine + peer)
    lines.append("")
    lines.append(
        f"Whole mix: stanchion {rps_mine:.0f} req/s, peer {rps_peer:.0f} req/s, "
        f"ratio {rps_mine / rps_peer:.2f} (median of {len(mine)} turns each; {errors} errors)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URLS["postgresql"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args(argv)
    results = run(args.url, args.quick, args.turns)
    print(report(results))
    return 1 if any(r["errors"] for runs in results.values() for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
