"""privacy and reports: detected language of posts, indexes for retention and reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (name, table, columns, partial condition)
INDEXES = (
    ("ix_post_unpurged_fetched_at", "post", ["fetched_at"], "text IS NOT NULL"),
    ("ix_flag_created_at_category", "flag", ["created_at", "category"], None),
    ("ix_flag_closed_at", "flag", ["closed_at"], None),
    ("ix_flag_assessment_id", "flag", ["assessment_id"], None),
    ("ix_flag_sample_created_at", "flag", ["created_at"], "is_sample"),
    ("ix_review_created_at", "review", ["created_at"], None),
    ("ix_scan_run_started_at", "scan_run", ["started_at"], None),
)


def upgrade() -> None:
    op.add_column("post", sa.Column("lang_detected", sa.String(length=16), nullable=True))
    for name, table, columns, where in INDEXES:
        op.create_index(
            name,
            table,
            columns,
            unique=False,
            postgresql_where=sa.text(where) if where else None,
        )


def downgrade() -> None:
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("post", "lang_detected")
