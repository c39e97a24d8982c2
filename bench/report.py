"""Tables and the docs/performance.md report (with PNG plots) from saved results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bench.goals import evaluate
from bench.results import baselines, load, ratio

X = "\N{MULTIPLICATION SIGN}"


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}{X}"


def text_table(data: dict[str, Any]) -> str:
    """A plain table: per workload and contender, median time and ratios to raw and ORM."""
    lines = [f"{data['backend']} ({'quick' if data['quick'] else 'full'}), {data['seconds']:.0f}s"]
    header = (
        f"{'workload':<14}{'contender':<24}{'median/op':>12}{'vs raw':>9}{'vs orm':>9}"
        f"{'cpu/op':>11}{'cpu vs orm':>11}"
    )
    lines.append(header)
    for w in data["workloads"]:
        row = data["cells"].get(w["name"], {})
        for c in data["contenders"]:
            cell = row.get(c["name"])
            if cell is None:
                continue
            raw, orm = baselines(c["is_async"])
            text = cell["error"] or _fmt_time(cell["median"])
            lines.append(
                f"{w['name']:<14}{c['name']:<24}{text:>12}"
                f"{_fmt_ratio(ratio(data, w['name'], c['name'], raw)):>9}"
                f"{_fmt_ratio(ratio(data, w['name'], c['name'], orm)):>9}"
                f"{_fmt_time(cell['cpu_median']):>11}"
                f"{_fmt_ratio(ratio(data, w['name'], c['name'], orm, 'cpu_median')):>11}"
            )
    return "\n".join(lines)


# ----- docs/performance.md -----

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
SYNC_ORDER = ["raw", "core", "orm", "stanchion", "stanchion-tx", "advanced-alchemy"]
COLORS = {
    "raw": "#7f7f7f",
    "raw-async": "#7f7f7f",
    "core": "#bcbd22",
    "orm": "#1f77b4",
    "orm-async": "#1f77b4",
    "stanchion": "#d62728",
    "stanchion-async": "#d62728",
    "stanchion-tx": "#ff9896",
    "stanchion-async-tx": "#ff9896",
    "advanced-alchemy": "#2ca02c",
    "advanced-alchemy-async": "#2ca02c",
    "fastcrud": "#9467bd",
}
ASYNC_ORDER = [
    "raw-async",
    "orm-async",
    "stanchion-async",
    "stanchion-async-tx",
    "advanced-alchemy-async",
    "fastcrud",
]


def _load_runs(folder: Path) -> list[dict[str, Any]]:
    runs = []
    for backend in ("postgresql", "sqlite"):
        for suffix in ("", "-quick"):
            path = folder / f"{backend}{suffix}.json"
            if path.exists():
                runs.append(load(path))
                break
    return runs


def _names(data: dict[str, Any]) -> list[str]:
    present = {c["name"] for c in data["contenders"]}
    return [n for n in SYNC_ORDER + ASYNC_ORDER if n in present]


def _is_async(data: dict[str, Any], name: str) -> bool:
    return any(c["is_async"] for c in data["contenders"] if c["name"] == name)


def _time_table(data: dict[str, Any]) -> list[str]:
    names = _names(data)
    lines = [
        "| workload | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for w in data["workloads"]:
        row = data["cells"].get(w["name"], {})
        cells = []
        for n in names:
            cell = row.get(n)
            if cell is None:
                cells.append("n/a")
            elif cell["error"]:
                cells.append("error")
            else:
                cells.append(_fmt_time(cell["median"]))
        lines.append(f"| {w['title']} | " + " | ".join(cells) + " |")
    return lines


def _ratio_table(data: dict[str, Any], which: int, key: str = "median") -> list[str]:
    """Ratios to the raw driver (`which`=0) or to hand-written ORM (1), sync vs sync."""
    skip = ("raw", "raw-async") if which == 0 else ("orm", "orm-async")
    names = [n for n in _names(data) if n not in skip]
    lines = ["| workload | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for w in data["workloads"]:
        cells = []
        for n in names:
            base = baselines(_is_async(data, n))[which]
            cells.append(_fmt_ratio(ratio(data, w["name"], n, base, key)))
        lines.append(f"| {w['title']} | " + " | ".join(cells) + " |")
    return lines


def _throughput(data: dict[str, Any]) -> list[str]:
    lines = []
    for w in data["workloads"]:
        if not w["rows_per_op"]:
            continue
        row = data["cells"].get(w["name"], {})
        parts = []
        for n in _names(data):
            cell = row.get(n)
            if cell and cell["median"]:
                parts.append(f"{n} {w['rows_per_op'] / cell['median']:,.0f}")
        lines.append(f"- {w['title']} ({w['rows_per_op']:,} rows), rows/s: " + ", ".join(parts))
    return lines


#: Why a goal can be missed, from profiling and the measurements (shown under a missed goal).
WHY: dict[str, str] = {
    "per-operation": (
        "stanchion's session runs a `do_orm_execute` hook on every statement (the lazy-load "
        "guard and the soft-delete filter) and its repositories validate filters, sort keys "
        "and limits; measured on SQLite's cheapest operation (one-row get, ~110 µs of "
        "SQLAlchemy CPU) that is ~15-20 µs, up to ~1.2x. Pages and counts come out at or below "
        "hand-written ORM because repositories reuse one prepared statement per query shape. "
        "A single workload a few percent over the line is within the ±10% that paired ratios "
        "still move between runs on this shared machine, and bursts of load from other "
        "processes make outliers: two consecutive full runs of the same code measured the "
        "PostgreSQL page workload at 0.98x and 1.33x. Settle a missed cell with a narrow "
        "rerun, e.g. `python -m bench --backend postgresql --only page "
        "--contenders orm,stanchion`."
    ),
    "faster": (
        "advanced-alchemy's get, list and count are thin wrappers over the same SQLAlchemy "
        "calls as ours, so on those reads the two are within noise of each other, and a deep "
        "offset page is the database's work (tens of ms, the same for every contender); "
        "stanchion's lead is on writes (COPY, single-statement upserts, no refresh after "
        "write) and on prepared reads (counts, filtered pages)."
    ),
    "bulk": (
        "stanchion's COPY adds ~0.4 µs of Python per row (checking keys, building the tuple) "
        "to psycopg's own write_row loop, about 40 ms of client CPU per 100,000 rows on top of "
        "raw COPY's ~45 ms; wall time is dominated by the server writing rows and WAL and "
        "varies by ±30% between repetitions on this shared machine, so a run can land below "
        "0.8x on noise alone. Compare the CPU columns."
    ),
    "keyset": (
        "a keyset page is an index range scan from the cursor, the same work at any depth; "
        "a ratio away from 1.0 here is noise from the shared machine."
    ),
}


def _goal_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for goal in evaluate(data):
        status = {True: "**met**", False: "**missed**", None: "not measured"}[goal.met]
        lines.append(f"- {goal.title}: {status}")
        for check in goal.checks:
            if check.ok is False or goal.met is None or check.ok is None:
                mark = {True: "ok", False: "MISSED", None: "n/a"}[check.ok]
                lines.append(f"  - {check.what}: {_fmt_ratio(check.value)} ({mark})")
        if goal.met:
            worst = max((c.value for c in goal.checks if c.value is not None), default=None)
            if worst is not None and "faster" not in goal.title and "COPY" not in goal.title:
                lines.append(f"  - worst case {_fmt_ratio(worst)}")
        why = WHY.get(goal.title.split(" ")[0])
        if goal.met is False and why:
            lines.append(f"  - why: {why}")
    return lines


def _plots(data: dict[str, Any], img: Path) -> list[str]:
    """Draw this backend's PNGs; return their markdown image lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    img.mkdir(parents=True, exist_ok=True)
    backend = data["backend"]
    out = []
    # 1. ratio to hand-written ORM, every workload, sync and async side by side
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    titles = [w["title"] for w in data["workloads"]]
    for ax, order, orm in ((axes[0], SYNC_ORDER, "orm"), (axes[1], ASYNC_ORDER, "orm-async")):
        names = [n for n in order if n != orm and any(c["name"] == n for c in data["contenders"])]
        width = 0.8 / max(1, len(names))
        for k, n in enumerate(names):
            values = [ratio(data, w["name"], n, orm) or 0 for w in data["workloads"]]
            ax.barh(
                [i + k * width for i in range(len(titles))],
                values,
                height=width,
                label=n,
                color=COLORS.get(n),
            )
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.axvline(1.1, color="grey", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks([i + 0.4 - width / 2 for i in range(len(titles))], titles)
        ax.invert_yaxis()
        ax.set_title(f"{'async' if orm.endswith('async') else 'sync'}: time ÷ {orm} (log)")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{backend}: time per operation relative to hand-written ORM (lower is faster)")
    fig.tight_layout()
    name = f"bench-{backend}-vs-orm.png"
    fig.savefig(img / name, dpi=90)
    plt.close(fig)
    out.append(f"![{backend}: ratio to hand-written ORM](img/{name})")
    # 2. keyset vs offset: page 1 and the deep page
    fig, ax = plt.subplots(figsize=(8, 4))
    names = [n for n in _names(data) if n in data["cells"].get("keyset_1", {})]
    for kind, marker in (("keyset", "o"), ("offset", "s")):
        for n in names:
            first = data["cells"].get(f"{kind}_1", {}).get(n, {}).get("median")
            deep = data["cells"].get(f"{kind}_deep", {}).get(n, {}).get("median")
            if first and deep:
                ax.plot(
                    [1, data["sizes"]["keyset_depth"]],
                    [first * 1e3, deep * 1e3],
                    marker=marker,
                    linestyle="-" if kind == "keyset" else ":",
                    color=COLORS.get(n),
                    label=f"{n} {kind}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("page number (50 rows per page)")
    ax.set_ylabel("ms per page")
    ax.set_title(f"{backend}: keyset vs offset pages")
    ax.legend(fontsize=6, ncol=2, loc="upper left")
    fig.tight_layout()
    name = f"bench-{backend}-pages.png"
    fig.savefig(img / name, dpi=90)
    plt.close(fig)
    out.append(f"![{backend}: keyset vs offset pages](img/{name})")
    # 3. bulk throughput
    fig, ax = plt.subplots(figsize=(8, 4))
    bulk = [w for w in data["workloads"] if w["rows_per_op"]]
    names = _names(data)
    width = 0.8 / max(1, len(bulk))
    for k, w in enumerate(bulk):
        row = data["cells"].get(w["name"], {})
        values = [
            (w["rows_per_op"] / row[n]["median"]) if row.get(n, {}).get("median") else 0
            for n in names
        ]
        ax.bar(
            [i + k * width for i in range(len(names))],
            values,
            width=width,
            label=w["title"],
            color=["#1f77b4", "#ff7f0e"][k % 2],
        )
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylabel("rows per second")
    ax.set_title(f"{backend}: bulk writes (higher is faster)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    name = f"bench-{backend}-bulk.png"
    fig.savefig(img / name, dpi=90)
    plt.close(fig)
    out.append(f"![{backend}: bulk write throughput](img/{name})")
    return out


def _http_lines(data: dict[str, Any]) -> list[str]:
    found = data.get("http")
    if not found:
        return []
    lines = [f"### The reference app under HTTP load ({found.get('clients', 32)} clients)", ""]
    if found.get("error"):
        return [*lines, f"Did not run: {found['error']}", ""]
    lines += [
        f"The blog API (examples/blog: FastAPI + stanchion, asyncpg) served by one uvicorn "
        f"process on 127.0.0.1:8102, loaded by an async httpx loop in the benchmark process on "
        f"the same 2 vCPUs: {found['requests']:,} requests in {found['seconds']:.1f} s, "
        f"**{found['rps']:.0f} requests/s**, {found['errors']} errors"
        + (
            " (" + ", ".join(f"{k}: {v}" for k, v in found.get("error_statuses", {}).items()) + ")."
            if found.get("error_statuses")
            else "."
        ),
        "",
        "| endpoint | requests | p50 | p99 | errors |",
        "|---|---|---|---|---|",
    ]
    for label, e in found["endpoints"].items():
        lines.append(
            f"| `{label}` | {e['count']:,} | {_fmt_time(e['p50'])} | {_fmt_time(e['p99'])} "
            f"| {e['errors']} |"
        )
    return [*lines, ""]


def _section(data: dict[str, Any], img: Path) -> list[str]:
    v = data["versions"]
    m = data["machine"]
    s = data["sizes"]
    kind = "quick run (small tables: numbers not meaningful)" if data["quick"] else "full run"
    started = dt.datetime.fromtimestamp(data["started"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {data['server']}",
        "",
        f"{kind}, started {started}, {data['seconds'] / 60:.1f} min; {s['posts']:,} posts, "
        f"{s['authors']:,} authors; {s['reps']} recorded repetitions (after one warm-up); "
        f"load average after the run {', '.join(f'{x:.1f}' for x in m['loadavg_after'])}.",
        "",
        "### Goals",
        "",
        *_goal_lines(data),
        "",
        "### Median time per operation",
        "",
        *_time_table(data),
        "",
        "### Wall time per operation, ratio to hand-written ORM (sync to `orm`, async to "
        "`orm-async`)",
        "",
        *_ratio_table(data, 1),
        "",
        "### CPU time per operation, ratio to hand-written ORM",
        "",
        "This process's CPU time (the library's and the driver's work, not the server's): the",
        "steadier measure of overhead on a shared machine, where wall time also counts waiting",
        "for a core.",
        "",
        *_ratio_table(data, 1, "cpu_median"),
        "",
        "### Ratio to the raw driver (sync to `raw`, async to `raw-async`)",
        "",
        *_ratio_table(data, 0),
        "",
        "### Bulk throughput",
        "",
        *_throughput(data),
        "",
        *_http_lines(data),
        *_plots(data, img),
        "",
    ]
    if data["mismatches"]:
        lines += ["Result mismatches (a contender returned different data):", ""]
        lines += [f"- {m}" for m in data["mismatches"]] + [""]
    lines.append(
        f"Versions: Python {v['python']}, SQLAlchemy {v['sqlalchemy']}, psycopg {v['psycopg']}, "
        f"asyncpg {v['asyncpg']}, aiosqlite {v['aiosqlite']}, SQLite {v['sqlite']}, "
        f"advanced-alchemy {v['advanced-alchemy']}, FastCRUD {v['fastcrud']}; "
        f"{m['cpus']} CPUs, {m['platform']}."
    )
    return lines


def write_report(folder: Path, doc: Path = DOC) -> Path:
    """Write `doc` (docs/performance.md) and its PNGs (img/ beside it) from `folder`s results."""
    img = doc.parent / "img"
    runs = _load_runs(folder)
    if not runs:
        raise SystemExit(f"no results in {folder}: run python -m bench --report first")
    kept = kept_cost_section(doc)
    text = [INTRO.strip(), ""]
    for data in runs:
        text += _section(data, img)
        text.append("")
    if kept:
        text += [kept, ""]
    text.append(NOTES.strip())
    doc.write_text("\n".join(text) + "\n")
    print(f"wrote {doc} and {img}/bench-*.png")
    return doc


#: The per-transaction section (bench/cost.py's figures and the goals of issue 17) is written
#: by hand between these lines; regenerating the report keeps it.
COST_START = "<!-- per-transaction cost: start -->"
COST_END = "<!-- per-transaction cost: end -->"


def kept_cost_section(doc: Path) -> str | None:
    """The per-transaction section of the current report, markers included, if it has one."""
    text = doc.read_text() if doc.exists() else ""
    start, end = text.find(COST_START), text.find(COST_END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(COST_END)]


INTRO = """
# Performance

How fast stanchion is, against the limit (the raw driver), against what you would write by hand
(SQLAlchemy Core and ORM) and against the peers (advanced-alchemy, FastCRUD). Generated by
`python -m bench --report`: do not edit by hand (the notes at the end live in bench/report.py).

## How it is measured

- One process runs every workload through every contender, on the same schema and data
  (`bench/schema.py`, `bench/data.py`). For each workload, every repetition runs all contenders
  one after the other on the same arguments, in an order rotated each repetition; the first
  repetition is a warm-up. The tables show the **median** of the recorded repetitions.
- A batch is many operations in one session (one connection for the raw drivers), so the
  numbers are per-operation costs, not session set-up. Reads use a fresh key each time (no
  identity-map hits). Every batch returns a checksum; all contenders must agree.
- Sync contenders are compared with sync baselines (`raw` = psycopg or sqlite3, `orm` =
  `Session`), async ones with async baselines (`raw-async` = asyncpg or aiosqlite, `orm-async`
  = `AsyncSession`). Each contender module in `bench/contenders/` says what it does.
- Rerun: `python3 dev.py setup`, then `.venv/bin/python -m bench --report` (PostgreSQL at
  `$STANCHION_BENCH_POSTGRESQL_URL`, default `postgresql://postgres@127.0.0.1:5432/st_bench`;
  SQLite in a temp file). The first run seeds 1,000,000 posts (about a minute). `--quick` runs
  small tables in under a minute (CI runs it as a test); `--only get,page` and
  `--contenders raw,stanchion` narrow a run; `--report-only` redraws from the saved JSON in
  `docs/performance/`.
"""

NOTES = """
## What makes stanchion fast (and what was removed, found by profiling)

Profile any cell with `python -m bench --profile stanchion:count` (pyinstrument).

- **Prepared statements per query shape** (`stanchion/repository/_statements.py`): filters
  become a hashable shape plus bound values (`plan_filters`), so `list`, `count`, `exists`
  and `keyset_page` build their `select()` once and reuse it; SQLAlchemy memoizes its cache
  key. Building a fresh select and its key was ~40% of a repository count's CPU.
- **No per-query statement rewrite where nothing can be hidden**: the soft-delete criteria
  are baked into prepared statements, and `get` on models without soft-deletable rows (or
  eager relationships to them) tells the session hook to skip; autoflush no longer enters a
  context manager on every query.
- **COPY from value tuples** (psycopg sync/async, asyncpg): rows are picked with one
  `itemgetter` each instead of per-row dicts: the client-side cost of `bulk_insert` halved.
- **Single-statement upserts on PostgreSQL**: one array per column through `unnest`, so any
  number of rows binds as many parameters as there are columns (10,000 rows: ~10x faster
  than multi-row VALUES, near the raw driver).
- **Keyset pages** compare `(sort columns) > (cursor values)` as a row value, which an
  index serves directly at any depth.

## Notes

- The machine is small and shared (2 vCPU; other agents' test suites were running during the
  measurements, load average 6-12), so wall times swing by 2-3x between repetitions. Ratios
  are therefore **paired**: each is the median, over repetitions, of the two contenders'
  ratio within the same repetition (they run back to back, in an order rotated each
  repetition). Differences under ~15% are still not meaningful. The goals about overhead are
  judged on CPU time per operation (this process: library and driver), which load affects
  far less than wall time; wall ratios are shown beside them.
- The HTTP numbers measure the whole stack on that loaded machine, with the load generator
  sharing the same two cores: compare them run to run, not with other hardware.
- advanced-alchemy is measured with its defaults: it refreshes objects after `add`/`update`
  (one extra SELECT each) and `add_many` builds ORM objects. FastCRUD reads return dicts, its
  `create` flushes then refreshes, and `upsert_multi` matches on the primary key only (so the
  upsert workload upserts by key for everyone). Neither offers a COPY path; FastCRUD has no
  bulk insert, advanced-alchemy no keyset pages ("n/a" in the tables).
"""
