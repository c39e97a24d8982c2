"""The ``stanchion`` command: ``stanchion db ...`` for migrations, ``stanchion health``."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from stanchion.cli import db
from stanchion.cli._output import Format, console, emit_json
from stanchion.migrations.exit_codes import ExitCode

app = typer.Typer(
    name="stanchion",
    help="The production data layer for Python services on SQLAlchemy 2.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")


@app.command()
def health(
    url: Annotated[str | None, typer.Option(help="Database URL (default: DATABASE_URL).")] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
) -> None:
    """Ping the database: reachable or not, latency and pool state. Exit 3 when unreachable."""
    from stanchion.database import Database

    database = Database(url) if url else Database()
    try:
        report = database.health()
    finally:
        database.dispose()
    if format is Format.json:
        emit_json(
            {
                "ok": report.ok,
                "backend": report.backend,
                "latency_ms": report.latency_ms,
                "pool": dataclasses.asdict(report.pool),
                "error": report.error,
                "url": database.url,
            }
        )
    elif report.ok:
        console.print(
            f"[green]ok[/] {report.backend} at {database.url} in {report.latency_ms:.1f} ms"
        )
    else:
        console.print(f"[red]unreachable[/] {report.backend} at {database.url}: {report.error}")
    if not report.ok:
        raise typer.Exit(int(ExitCode.CONFIG))


def main() -> None:
    """Entry point of the ``stanchion`` console script."""
    app()


__all__ = ["app", "main"]
