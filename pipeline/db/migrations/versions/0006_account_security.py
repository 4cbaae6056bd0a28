"""account security: server-side session version, external reviewers, person links by email

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "app_user",
        sa.Column("external", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    # a user whose sign-in email is a registered person's email is that person
    op.execute(
        """
        UPDATE app_user u SET person_id = p.id
        FROM person p
        WHERE u.person_id IS NULL AND lower(p.email) = lower(u.email)
        """
    )


def downgrade() -> None:
    op.drop_column("app_user", "external")
    op.drop_column("app_user", "session_version")
