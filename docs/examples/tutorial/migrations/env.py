"""Alembic environment: stanchion runs it (sync or async URL, or a connection handed in)."""

from stanchion.migrations.env import run_migrations

# Pass options for alembic's context.configure here, e.g. include_object=...
run_migrations()
