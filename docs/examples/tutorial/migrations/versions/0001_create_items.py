"""create items

Revision ID: e1931ff691b3
Revises:
Create Date: 2026-12-03 07:27:55.214705

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stanchion.models import UTCDateTime, utcnow

# revision identifiers, used by Alembic.
revision: str = "e1931ff691b3"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's rowid needs INTEGER


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=40), nullable=False),
        sa.Column("quantity", BIGINT, nullable=False),
        sa.Column("price_cents", BIGINT, nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("sku", name=op.f("uq_items_sku")),
    )
    op.create_index(op.f("ix_items_warehouse"), "items", ["warehouse"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_items_warehouse"), table_name="items")
    op.drop_table("items")
