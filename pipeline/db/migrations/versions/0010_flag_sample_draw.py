"""quality samples say how they were drawn: at random (the miss-rate estimate's) or among the
unflagged posts closest below a threshold

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DRAWS = "sample_draw IN ('random', 'uncertain')"
SAMPLE_HAS_DRAW = "is_sample = (sample_draw IS NOT NULL)"


def upgrade() -> None:
    op.add_column("flag", sa.Column("sample_draw", sa.String(length=10), nullable=True))
    # every sample so far was drawn by the random hash draw
    op.execute("UPDATE flag SET sample_draw = 'random' WHERE is_sample")
    op.create_check_constraint(op.f("ck_flag_sample_draw"), "flag", DRAWS)
    op.create_check_constraint(op.f("ck_flag_sample_has_draw"), "flag", SAMPLE_HAS_DRAW)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_flag_sample_has_draw"), "flag", type_="check")
    op.drop_constraint(op.f("ck_flag_sample_draw"), "flag", type_="check")
    op.drop_column("flag", "sample_draw")
