"""review queue: claim-order index (risk desc, age) over open flags

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(
        "ix_flag_open_priority", table_name="flag", postgresql_where=sa.text("closed_at IS NULL")
    )
    op.create_index(
        "ix_flag_queue_order",
        "flag",
        [sa.text("risk DESC"), "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("closed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_flag_queue_order", table_name="flag", postgresql_where=sa.text("closed_at IS NULL")
    )
    op.create_index(
        "ix_flag_open_priority",
        "flag",
        ["risk", "created_at"],
        unique=False,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
