"""``blog``: ``blog up`` (migrate, seed if empty, serve), ``blog seed``, ``blog serve``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from blog.migrate import upgrade_to_head
from blog.seed import SeedSize, is_empty, seed
from stanchion import Database, StanchionError

cli = typer.Typer(help="stanchion's reference blog API.", no_args_is_help=True)
console = Console()
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

Host = Annotated[str, typer.Option(envvar="BLOG_HOST", help="Interface to listen on.")]
Port = Annotated[int, typer.Option(envvar="BLOG_PORT", help="Port to listen on.")]


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL; default: a SQLite file) to the latest schema."""
    db = Database()
    try:
        upgrade_to_head(db)
        console.print(f"[green]schema up to date[/] on {db.url}")
    finally:
        db.dispose()


@cli.command("seed")
def seed_command(
    users: Annotated[int, typer.Option(min=1)] = SeedSize.users,
    posts: Annotated[int, typer.Option(min=1)] = SeedSize.posts,
    force: Annotated[bool, typer.Option(help="Seed even if there are users already.")] = False,
) -> None:
    """Load demo data in bulk (thousands of rows)."""
    db = Database()
    try:
        if not force and not is_empty(db):
            console.print("the database already has data: nothing seeded (use --force)")
            return
        written = seed(db, SeedSize(users=users, posts=posts))
        console.print(f"[green]seeded {written:,} rows[/] into {db.url}")
    finally:
        db.dispose()


@cli.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Serve the API with uvicorn; interactive docs at /docs."""
    import uvicorn

    console.print(f"serving on [bold]http://{host}:{port}[/] — interactive docs at /docs")
    uvicorn.run("blog.app:app", host=host, port=port, proxy_headers=False)


@cli.command()
def up(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """Migrate, seed when empty, and serve: everything a first run needs."""
    db = Database()
    try:
        upgrade_to_head(db)
        if is_empty(db):
            written = seed(db)
            console.print(f"[green]seeded {written:,} rows[/]")
    finally:
        db.dispose()
    serve(host=host, port=port)


def main() -> None:
    """The ``blog`` console script: an expected failure (no database, wrong password, bad
    DATABASE_URL) is one line and a hint, not a traceback."""
    try:
        cli()
    except StanchionError as error:
        stderr.print(f"[bold red]error:[/] {error}")
        if error.hint:
            stderr.print(f"[bold]hint:[/] {error.hint}")
        sys.exit(3)
