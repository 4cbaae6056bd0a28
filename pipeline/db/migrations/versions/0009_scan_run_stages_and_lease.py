"""scan runs: a status at each stage's end and for a run found dead, and the lease's heartbeat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "status IN ('running', 'success', 'partial', 'failed')"
NEW = (
    "status IN ('running', 'ingested', 'assessed', 'queued', 'success', 'partial', 'failed', "
    "'interrupted')"
)


def upgrade() -> None:
    op.drop_constraint(op.f("ck_scan_run_status"), "scan_run", type_="check")
    op.create_check_constraint(op.f("ck_scan_run_status"), "scan_run", NEW)
    op.add_column("scan_run", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("scan_run", "heartbeat_at")
    op.execute(
        "UPDATE scan_run SET status = 'failed' "
        "WHERE status IN ('ingested', 'assessed', 'queued', 'interrupted')"
    )
    op.drop_constraint(op.f("ck_scan_run_status"), "scan_run", type_="check")
    op.create_check_constraint(op.f("ck_scan_run_status"), "scan_run", OLD)
