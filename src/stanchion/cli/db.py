"""``stanchion db``: the migrations' Python API on the command line, plus check and lint."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from stanchion.cli._output import Format, console, emit_json, errors, fail, run
from stanchion.migrations import api
from stanchion.migrations.config import MigrationConfig
from stanchion.migrations.exit_codes import ExitCode

app = typer.Typer(
    help="Migrations on Alembic, configured by \\[tool.stanchion] in pyproject.toml.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="pyproject.toml (default: the nearest one above here)."),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help="Database URL (default: \\[tool.stanchion] url, then DATABASE_URL)."
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json.")]


class _Steps(logging.Handler):
    """Print Alembic's "Running upgrade 0001 -> 0002, ..." lines to the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Running "):
            errors.print(f"  {message}")


@contextmanager
def _show_steps() -> Iterator[None]:
    logger = logging.getLogger("alembic.runtime.migration")
    handler, level = _Steps(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _config(path: Path | None, url: str | None = None) -> MigrationConfig:
    config: MigrationConfig = run(lambda: MigrationConfig.load(path))
    return config.with_url(url) if url else config


# -- setting up ------------------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[str, typer.Argument(help="Where the migrations go.")] = "migrations",
    metadata: Annotated[
        str | None, typer.Option(help="Your models' metadata, e.g. blog.models:Model.metadata.")
    ] = None,
    pyproject: Annotated[Path, typer.Option(help="The project's pyproject.toml.")] = Path(
        "pyproject.toml"
    ),
) -> None:
    """Create the migrations directory (env.py, script template, versions/) and the
    \\[tool.stanchion] section of pyproject.toml."""
    target = pyproject.parent / directory
    if target.exists() and any(target.iterdir()):
        fail(f"{target} already exists and is not empty", ExitCode.CONFIG)
    (target / "versions").mkdir(parents=True, exist_ok=True)
    template = resources.files("stanchion.migrations") / "template"
    for name in ("env.py", "script.py.mako", "README"):
        with resources.as_file(template / name) as source:
            shutil.copyfile(source, target / name)
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    if "[tool.stanchion]" not in text:
        section = f'\n[tool.stanchion]\nmigrations = "{directory}"\n'
        if metadata:
            section += f'metadata = "{metadata}"\n'
        else:
            section += '# metadata = "yourapp.models:Model.metadata"\n'
        pyproject.write_text(text.rstrip("\n") + "\n" + section, encoding="utf-8")
        console.print(f"added [bold]\\[tool.stanchion][/] to {pyproject}")
    console.print(f'created {target}: next, `stanchion db revision --autogenerate -m "..."`')


@app.command()
def revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the revision does.")],
    autogenerate: Annotated[
        bool, typer.Option("--autogenerate", help="Compare the models with the database.")
    ] = False,
    rev_id: Annotated[str | None, typer.Option(help="Revision id (default: random).")] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Write a new revision file (with --autogenerate: the ops that make the database match
    the models; the database must be at head)."""
    mconfig = _config(config, url)
    script = run(lambda: api.revision(message, mconfig, autogenerate=autogenerate, rev_id=rev_id))
    console.print(f"wrote [bold]{script.revision}[/] {script.path}")
    console.print("next: review it, then `stanchion db check` and `stanchion db lint`")


@app.command()
def merge(
    message: Annotated[str, typer.Option("--message", "-m")] = "merge heads",
    config: ConfigOption = None,
) -> None:
    """Join several heads into one with an empty merge revision."""
    mconfig = _config(config)
    script = run(lambda: api.merge(mconfig, message))
    console.print(f"wrote merge revision [bold]{script.revision}[/] {script.path}")


# -- moving the database ---------------------------------------------------------------------


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Upgrade the database to REVISION (default: head)."""
    mconfig = _config(config, url)
    if sql:
        console.out(run(lambda: api.offline_sql(mconfig, revision)), end="")
        return

    def applied(step: str) -> None:
        console.print(f"  applied {step}")

    run(lambda: api.upgrade(None, mconfig, revision, on_step=applied))
    console.print(f"[green]upgraded[/] to {revision}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision: an id, -1, or base.")],
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Downgrade the database to REVISION."""
    mconfig = _config(config, url)
    if sql:
        console.out(run(lambda: api.offline_sql(mconfig, revision, downgrade=True)), end="")
        return
    with _show_steps():
        run(lambda: api.downgrade(None, mconfig, revision))
    console.print(f"[green]downgraded[/] to {revision}")


@app.command()
def stamp(
    revision: Annotated[str, typer.Argument(help="The revision to record.")],
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Record REVISION as applied without running anything (adopting an existing schema)."""
    run(lambda: api.stamp(None, _config(config, url), revision))
    console.print(f"stamped {revision}")


# -- looking -----------------------------------------------------------------------------------


@app.command()
def current(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 4 when the database is not at head.")
    ] = False,
    config: ConfigOption = None,
    url: UrlOption = None,
    format: FormatOption = Format.text,
) -> None:
    """The database's revision, the head, and whether they match."""
    from stanchion.database import Database

    mconfig = _config(config, url)

    def status() -> api.SchemaStatus:
        database = Database(settings=mconfig.database_settings())
        try:
            return api.schema_status(database, mconfig)
        finally:
            database.dispose()

    state: api.SchemaStatus = run(status)
    if format is Format.json:
        emit_json(state._asdict())
    else:
        mark = "[green]at head[/]" if state.is_at_head else "[yellow]behind head[/]"
        console.print(f"current {state.current or '(none)'}  head {state.head or '(none)'}  {mark}")
    if check and not state.is_at_head:
        raise typer.Exit(int(ExitCode.NOT_AT_HEAD))


def _revisions(mconfig: MigrationConfig) -> list[dict[str, Any]]:
    scripts = run(lambda: api.script_directory(mconfig))
    heads = set(scripts.get_heads())
    found = []
    for script in scripts.walk_revisions("base", "heads"):
        down = script.down_revision
        found.append(
            {
                "revision": script.revision,
                "down_revision": list(down) if isinstance(down, tuple) else down,
                "message": (script.doc or "").strip(),
                "is_head": script.revision in heads,
                "is_merge": script.is_merge_point,
                "path": script.path,
            }
        )
    return found


@app.command()
def history(config: ConfigOption = None, format: FormatOption = Format.text) -> None:
    """Every revision, newest first."""
    revisions = _revisions(_config(config))
    if format is Format.json:
        emit_json(revisions)
        return
    table = Table("revision", "down", "message", box=None)
    for item in revisions:
        down = item["down_revision"]
        down_text = ", ".join(down) if isinstance(down, list) else (down or "base")
        head = " [green](head)[/]" if item["is_head"] else ""
        table.add_row(f"{item['revision']}{head}", down_text, item["message"])
    console.print(table)


@app.command()
def heads(config: ConfigOption = None, format: FormatOption = Format.text) -> None:
    """The head revisions (more than one means the history forked)."""
    found = [r for r in _revisions(_config(config)) if r["is_head"]]
    if format is Format.json:
        emit_json([r["revision"] for r in found])
        return
    for item in found:
        console.print(f"{item['revision']}  {item['message']}")
    if len(found) > 1:
        console.print("[yellow]several heads: `stanchion db merge` joins them[/]")


@app.command()
def sql(
    revision_range: Annotated[
        str, typer.Argument(help="Revisions, e.g. head, 0002:head.")
    ] = "heads",
    dialect: Annotated[
        str | None,
        typer.Option(help="Render for postgresql, mysql or sqlite instead of the URL's."),
    ] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """The SQL each revision's upgrade runs, without touching a database."""
    mconfig = _config(config, url)
    console.out(run(lambda: api.offline_sql(mconfig, revision_range, dialect=dialect)), end="")


# -- gates for CI ------------------------------------------------------------------------------


@app.command()
def check(
    config: ConfigOption = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="Server to make the throwaway database on (default: DATABASE_URL)."
        ),
    ] = None,
    scratch: Annotated[
        bool,
        typer.Option(
            "--scratch/--in-place",
            help="Create and drop a throwaway database, or use --url as is (it must be empty).",
        ),
    ] = True,
    round_trip: Annotated[bool, typer.Option("--round-trip/--no-round-trip")] = True,
    format: FormatOption = Format.text,
) -> None:
    """Single head, base→head upgrade, no drift, every revision round-trips. Exit codes:
    10 several heads, 11 upgrade failed, 12 drift, 13 round trip failed."""
    from stanchion.migrations.check import check as run_check

    mconfig = _config(config)
    report = run(lambda: run_check(mconfig, url, scratch=scratch, round_trip=round_trip))
    if format is Format.json:
        emit_json(report.to_dict())
    else:
        for result in report.results:
            mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
            console.print(f"{mark} [bold]{result.name}[/]: ", end="")
            console.out(result.detail)
    raise typer.Exit(int(report.exit_code))


@app.command()
def lint(
    since: Annotated[
        str | None, typer.Option(help="Lint only the revisions after this one.")
    ] = None,
    dialect: Annotated[
        list[str] | None,
        typer.Option(help="postgresql and/or mysql (default: lint_dialects, else both)."),
    ] = None,
    config: ConfigOption = None,
    format: FormatOption = Format.text,
) -> None:
    """Find statements that would lock or break production, per revision. Silence one with
    '# stanchion: allow RULE -- REASON' in the revision. Exit 20 on findings."""
    from stanchion.migrations.lint import lint as run_lint

    mconfig = _config(config)
    report = run(lambda: run_lint(mconfig, since=since, dialects=dialect))
    if format is Format.json:
        emit_json(report.to_dict())
    else:
        for finding in report.findings:
            console.print(
                f"[red]{finding.rule}[/] in [bold]{finding.revision}[/] ({finding.dialect})"
            )
            console.out(f"  {finding.statement}")
            console.out(f"  why: {finding.why}")
            console.out(f"  safe: {finding.safe}")
        for finding in report.allowed:
            console.print(
                f"[dim]allowed {finding.rule} in {finding.revision} ({finding.dialect}): "
                f"{finding.allowed_because}[/]"
            )
        revisions, findings = len(report.revisions), len(report.findings)
        summary = (
            f"{revisions} revision{'s' * (revisions != 1)}, "
            f"{findings} finding{'s' * (findings != 1)}"
        )
        console.print(("[green]" if report.ok else "[red]") + summary + "[/]")
    if not report.ok:
        raise typer.Exit(int(ExitCode.LINT_FINDINGS))
