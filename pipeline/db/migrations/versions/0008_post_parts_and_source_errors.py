"""the whole message and errors by kind: post parts, an account's last error and warning, the
accounts a scan could not read

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "post",
        sa.Column(
            "parts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "source_cursor",
        sa.Column("last_error", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("source_cursor", sa.Column("last_warning", sa.Text(), nullable=True))
    op.add_column(
        "scan_run",
        sa.Column(
            "failures",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("scan_run", "failures")
    op.drop_column("source_cursor", "last_warning")
    op.drop_column("source_cursor", "last_error")
    op.drop_column("post", "parts")
