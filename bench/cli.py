"""The command line: pick backends and size, run, print the table, optionally write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench import results
from bench.contenders import all_contenders
from bench.context import Context, Sizes, with_driver
from bench.runner import run
from bench.workloads import ALL as WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "docs" / "performance"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small tables and batches (CI)")
    p.add_argument(
        "--backend",
        choices=["postgresql", "sqlite", "all"],
        default="all",
        help="which database to run on (default: both)",
    )
    p.add_argument("--url", help="database URL (default: $STANCHION_BENCH_<BACKEND>_URL)")
    p.add_argument("--reps", type=int, help="recorded repetitions per workload")
    p.add_argument("--only", help="comma-separated workload names")
    p.add_argument("--contenders", help="comma-separated contender names")
    p.add_argument(
        "--report",
        action="store_true",
        help="write docs/performance.md and docs/img/*.png from this run",
    )
    p.add_argument(
        "--report-only", action="store_true", help="rewrite the report from the saved results"
    )
    p.add_argument("--out", type=Path, help="directory for the JSON results")
    p.add_argument("--profile", metavar="CONTENDER:WORKLOAD", help="profile one batch instead")
    return p.parse_args(argv)


def _sizes(args: argparse.Namespace) -> Sizes:
    sizes = Sizes.quick() if args.quick else Sizes.full()
    if args.reps:
        sizes = Sizes(**{**{k: getattr(sizes, k) for k in sizes.__slots__}, "reps": args.reps})
    return sizes


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one backend and return its results as data."""
    ctx = Context(backend, with_driver(backend, args.url, args.quick), _sizes(args), args.quick)
    classes = all_contenders()
    if args.contenders:
        wanted = set(args.contenders.split(","))
        classes = [c for c in classes if c.name in wanted]
    workloads = WORKLOADS
    if args.only:
        names = set(args.only.split(","))
        workloads = [w for w in WORKLOADS if w.name in names]
    print(f"== {backend}: {ctx.url.render_as_string(hide_password=True)}", flush=True)
    result = run(ctx, classes, workloads, progress=lambda m: print(m, flush=True))
    data = results.to_data(result)
    if backend == "postgresql" and (not args.only or "http" in args.only.split(",")):
        data["http"] = _http(ctx)
    return data


def _http(ctx: Context) -> dict[str, Any]:
    """The reference app under HTTP load; a failure is recorded, not raised."""
    from bench import http

    print(f"  http: blog app on {http.HOST}:{http.PORT}, {http.CLIENTS} clients", flush=True)
    try:
        found = http.run(ctx)
    except Exception as error:  # recorded in the results and fails the run
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    print(f"  http: {found['requests']} requests, {found['rps']:.0f}/s", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from bench import report

    if args.report_only:
        report.write_report(DATA_DIR)
        return 0
    backends = ["postgresql", "sqlite"] if args.backend == "all" else [args.backend]
    if args.profile:
        from bench.profile import profile

        ctx = Context(
            backends[0], with_driver(backends[0], args.url, args.quick), _sizes(args), args.quick
        )
        print(profile(ctx, args.profile))
        return 0
    out = args.out or (DATA_DIR if args.report else ROOT / ".bench")
    failed = False
    for backend in backends:
        data = run_backend(backend, args)
        name = f"{backend}{'-quick' if args.quick else ''}.json"
        results.save(data, out / name)
        print(report.text_table(data), flush=True)
        failed |= bool(data["mismatches"]) or any(
            cell["error"] for row in data["cells"].values() for cell in row.values()
        )
        http_result = data.get("http", {})
        failed |= bool(http_result.get("error") or http_result.get("errors"))
    if args.report:
        report.write_report(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
