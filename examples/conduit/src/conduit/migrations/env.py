"""Alembic environment for the conduit tables; stanchion runs it (``stanchion db ...``)."""

from stanchion.migrations.env import run_migrations

run_migrations()
