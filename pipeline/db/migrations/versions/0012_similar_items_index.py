"""an approximate (HNSW) index for the similar decided items

The ``embedding.vector`` column has no fixed dimension (any sentence-transformers model may be
configured), and HNSW indexes only vectors of one dimension: the index covers the 384-dimension
vectors (the default model's) through the expression ``vector::vector(384)``, and a query uses
it when it orders by that same expression under ``dim = 384``. Vectors of other dimensions are
searched exactly. The partial index on decided flags by text hash takes each neighbour found to
its flags without reading the open ones.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-13 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_embedding_vector_384_hnsw ON embedding "
        "USING hnsw ((vector::vector(384)) vector_cosine_ops) WHERE dim = 384"
    )
    op.create_index(
        "ix_flag_decided_content_hash",
        "flag",
        ["content_hash"],
        postgresql_where=sa.text("closed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_flag_decided_content_hash", table_name="flag")
    op.execute("DROP INDEX ix_embedding_vector_384_hnsw")
