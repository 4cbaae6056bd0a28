"""one review item per post; escalations counted from an index of their own

A review item is the open flags of one post, grouped when they are claimed and decided
(``pipeline.review.items``): the flag table stays as it is. The queue page counts escalated
items from the escalate reviews (few), through a partial index, instead of reading the latest
review of every decided flag (slow at a million).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-13 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_review_escalate_flag",
        "review",
        ["flag_id"],
        postgresql_where=sa.text("decision = 'escalate'"),
    )


def downgrade() -> None:
    op.drop_index("ix_review_escalate_flag", table_name="review")
