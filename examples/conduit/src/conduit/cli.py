"""``conduit up`` (migrate, then serve), ``conduit migrate``, ``conduit serve``."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console

from conduit.config import database
from conduit.migrate import upgrade_to_head
from stanchion import StanchionError

cli = typer.Typer(help="The RealWorld Conduit API on stanchion.", no_args_is_help=True)
console = Console()
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

Host = Annotated[str, typer.Option(envvar="CONDUIT_HOST", help="Interface to listen on.")]
Port = Annotated[int, typer.Option(envvar="CONDUIT_PORT", help="Port to listen on.")]
Workers = Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")]


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL; default: ./conduit.db) to the newest schema."""
    db = database()
    try:
        upgrade_to_head(db)
        console.print(f"[green]schema up to date[/] on {db.url}")
    finally:
        db.dispose()


@cli.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Serve the API under /api with uvicorn (interactive docs at /docs)."""
    import uvicorn

    if not os.environ.get("CONDUIT_JWT_SECRET"):
        # One key for every worker; tokens stop working when the server restarts.
        os.environ["CONDUIT_JWT_SECRET"] = secrets.token_urlsafe(32)
        stderr.print("[yellow]CONDUIT_JWT_SECRET is not set: signing tokens with a random key[/]")
    console.print(f"serving on [bold]http://{host}:{port}/api[/] — docs at /docs")
    uvicorn.run(
        "conduit.app:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
    )


@cli.command()
def up(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """Migrate, then serve: everything a first run needs."""
    migrate()
    serve(host=host, port=port, workers=workers)


def main() -> None:
    """The ``conduit`` console script: an expected failure (no database, a wrong password, a
    bad DATABASE_URL) is one line and a hint, not a traceback."""
    try:
        cli()
    except StanchionError as error:
        stderr.print(f"[bold red]error:[/] {error}")
        if error.hint:
            stderr.print(f"[bold]hint:[/] {error.hint}")
        sys.exit(3)
