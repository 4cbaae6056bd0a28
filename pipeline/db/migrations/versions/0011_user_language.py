"""each user's interface language (English or French), kept across sign-ins

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-13 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("lang", sa.String(length=2), nullable=True))
    op.create_check_constraint(op.f("ck_app_user_lang"), "app_user", "lang IN ('en', 'fr')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_app_user_lang"), "app_user", type_="check")
    op.drop_column("app_user", "lang")
