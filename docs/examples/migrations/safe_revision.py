"""Add post tags and an author reference safely (a revision using stanchion's safe operations).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # A NOT NULL column on a busy table: give it a server default (instant on PG 11+, MySQL 8).
    op.add_column(
        "posts", sa.Column("views", sa.Integer(), nullable=False, server_default="0")
    )
    # Nullable first, backfill, then NOT NULL without a long exclusive lock.
    op.add_column("posts", sa.Column("editor_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE posts SET editor_id = author_id")
    op.set_not_null("posts", "editor_id", existing_type=sa.BigInteger())
    # Indexes without blocking writes: CONCURRENTLY (PG), ALGORITHM=INPLACE LOCK=NONE (MySQL).
    op.create_index_concurrently("ix_posts_editor_id", "posts", ["editor_id"])
    # A foreign key that does not scan the table under lock, validated separately (PG).
    op.create_foreign_key_not_valid(
        "fk_posts_editor_id_authors", "posts", "authors", ["editor_id"], ["id"]
    )
    op.validate_constraint("fk_posts_editor_id_authors", "posts")
    # A new enum value, committed before anything uses it (PG; MySQL enums are column types).
    op.add_enum_value("post_status", "archived")


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:  # batch: SQLite rebuilds the table
        batch.drop_constraint("fk_posts_editor_id_authors", type_="foreignkey")
    op.drop_index_concurrently("ix_posts_editor_id", "posts")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("editor_id")
        batch.drop_column("views")
