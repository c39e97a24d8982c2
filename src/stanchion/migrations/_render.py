"""How autogenerate writes stanchion's portable types and defaults, and how drift is shown.

``UTCDateTime()`` and ``utcnow()`` are rendered by name (with their import) so one revision
runs on every backend, instead of the SQL text of the database that autogenerate compared with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from alembic.autogenerate import render_python_code
from alembic.operations import ops as alembic_ops
from sqlalchemy.schema import Identity

from stanchion.models.types import UTCDateTime, utcnow

RenderItem = Callable[[str, Any, Any], str | Literal[False]]


def render_item(user_hook: RenderItem | None = None) -> RenderItem:
    """A ``render_item`` hook for ``context.configure``; `user_hook` gets the first say."""

    def hook(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
        if user_hook is not None:
            rendered = user_hook(kind, obj, autogen_context)
            if rendered is not False:
                return rendered
        if kind == "type" and isinstance(obj, UTCDateTime):
            autogen_context.imports.add("from stanchion.models import UTCDateTime")
            return "UTCDateTime()"
        if kind == "server_default" and isinstance(getattr(obj, "arg", None), utcnow):
            autogen_context.imports.add("from stanchion.models import utcnow")
            return "utcnow()"
        return False

    return hook


def render_ops(upgrade_ops: alembic_ops.UpgradeOps) -> str:
    """The ``op.*`` Python code for `upgrade_ops`, as a revision would contain it."""
    code = render_python_code(
        upgrade_ops,
        render_item=render_item(),
        render_as_batch=False,
        migration_context=None,
    )
    lines = [
        line[4:] if line.startswith("    ") else line
        for line in code.splitlines()
        if "### " not in line
    ]
    return "\n".join(line for line in lines if line.strip())


def server_default_comparison(dialect: Any) -> Any:
    """The ``compare_server_default`` option for `dialect`: Alembic's own comparison where the
    database reflects identity columns (its callable hook fails on them), ours elsewhere."""
    return True if dialect.supports_identity_columns else compare_server_default


def compare_server_default(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Ignore server-default differences that are only spelling: an identity the database
    cannot reflect, parentheses, case and spaces. None lets Alembic compare as usual."""
    if isinstance(metadata_column.server_default, Identity) and (
        not context.dialect.supports_identity_columns or inspected_default is None
    ):
        return False
    if inspected_default is None or rendered_metadata_default is None:
        return None
    return False if _normalise(inspected_default) == _normalise(rendered_metadata_default) else None


def _normalise(sql: str) -> str:
    return re.sub(r"[\s()'\"`]", "", sql).lower()
