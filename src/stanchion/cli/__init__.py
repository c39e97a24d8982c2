"""The ``stanchion`` command: ``stanchion db ...`` for migrations, ``stanchion health``,
``stanchion top`` (a live view of a service's database metrics)."""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated, Any

import typer

from stanchion import errors
from stanchion.cli import db
from stanchion.cli._output import Format, console, emit_json, fail, reported_errors
from stanchion.cli._output import report as report_error
from stanchion.cli.top import top
from stanchion.migrations.exit_codes import ExitCode

app = typer.Typer(
    name="stanchion",
    help="The production data layer for Python services on SQLAlchemy 2.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.command()(top)


@app.command()
def health(
    url: Annotated[str | None, typer.Option(help="Database URL (default: DATABASE_URL).")] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    metrics_url: Annotated[
        str | None,
        typer.Option(help="Also report a service's metrics endpoint (what `stanchion top` shows)."),
    ] = None,
) -> None:
    """Ping the database: reachable or not, latency and pool state. Exit 3 when unreachable."""
    from stanchion.database import Database

    with reported_errors():
        database = Database(url) if url else Database()
    try:
        report = database.health()
    finally:
        database.dispose()
    service = _service_summary(metrics_url) if metrics_url else None
    if format is Format.json:
        emit_json(
            {
                "ok": report.ok,
                "backend": report.backend,
                "latency_ms": report.latency_ms,
                "pool": dataclasses.asdict(report.pool),
                "error": report.error,
                "url": database.url,
                **({"service": dataclasses.asdict(service)} if service is not None else {}),
            }
        )
    elif report.ok:
        console.print(
            f"[green]ok[/] {report.backend} at {database.url} in {report.latency_ms:.1f} ms"
        )
        if service is not None and metrics_url is not None:
            from stanchion.cli.top import render

            console.print(render(service, metrics_url))
    else:
        kind = getattr(errors, report.error or "", errors.DatabaseUnavailable)
        hint = (
            kind.hint
            if isinstance(kind, type) and issubclass(kind, errors.StanchionError)
            else None
        )
        message = f"unreachable: {report.backend} at {database.url}: {report.error}"
        fail(message, ExitCode.CONFIG, hint)
    if not report.ok:
        raise typer.Exit(int(ExitCode.CONFIG))


def _service_summary(metrics_url: str) -> Any:
    """What `stanchion top` would show for `metrics_url`, once."""
    from stanchion.cli.top import scrape, summarize

    with reported_errors():
        try:
            return summarize(scrape(metrics_url), None, 0.0)
        except OSError as error:
            fail(f"cannot read {metrics_url}: {type(error).__name__}", ExitCode.CONFIG)


def main() -> None:
    """Entry point of the ``stanchion`` console script: expected failures are one line and a
    hint, not a traceback."""
    try:
        app(standalone_mode=True)
    except errors.StanchionError as error:
        try:
            report_error(error)
        except typer.Exit as done:
            sys.exit(done.exit_code)


__all__ = ["app", "main"]
