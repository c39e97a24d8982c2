"""Registers the transaction tests' tables before the schema is created."""

from tests.transactions import models as _models  # noqa: F401
