"""add posts.published_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stanchion.models import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("published_at", UTCDateTime(), nullable=True))
    op.create_index_concurrently(op.f("ix_posts_published_at"), "posts", ["published_at"])  # type: ignore[attr-defined]  # registered by stanchion.migrations at import


def downgrade() -> None:
    op.drop_index_concurrently(op.f("ix_posts_published_at"), "posts")  # type: ignore[attr-defined]
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("published_at")
