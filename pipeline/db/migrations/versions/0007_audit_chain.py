"""audit hash chain: every audit event is chained, at commit, into the append-only audit_chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

Each chain entry's hash is sha256(previous entry's hash || the event's canonical text), the
canonical text being the event's columns as a JSON object computed in SQL (the same expression
as ``pipeline.audit.chain.CANONICAL``). A DEFERRABLE INITIALLY DEFERRED constraint trigger does
the chaining when the inserting transaction commits, under a transaction-scoped advisory lock:
the lock is taken after all of the transaction's own work, and held only for the commit, so
writers are serialised for a moment and never while they hold row locks they still wait on.
The function runs as the owner (SECURITY DEFINER); the app may only read the chain. Events
that exist when this revision runs are chained first, in id order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHAIN_LOCK = 7_215_400_117  # pg_advisory_xact_lock key: one chain writer at a time

CANONICAL = """jsonb_build_object(
        'id', e.id,
        'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor', e.actor,
        'actor_user_id', e.actor_user_id,
        'action', e.action,
        'subject_type', e.subject_type,
        'subject_id', e.subject_id,
        'person_id', e.person_id,
        'details', e.details
    )::text"""

FUNCTIONS = f"""
CREATE FUNCTION audit_chain_link(e audit_event) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    body text := {CANONICAL};
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT seq, hash INTO last_seq, last_hash FROM audit_chain ORDER BY seq DESC LIMIT 1;
    INSERT INTO audit_chain (seq, event_id, prev_hash, hash)
    VALUES (
        coalesce(last_seq, 0) + 1,
        e.id,
        coalesce(last_hash, ''),
        encode(sha256(convert_to(coalesce(last_hash, '') || body, 'UTF8')), 'hex')
    );
END
$$;
REVOKE ALL ON FUNCTION audit_chain_link(audit_event) FROM PUBLIC;

CREATE FUNCTION audit_chain_append() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM audit_chain_link(NEW);
    RETURN NULL;
END
$$;

CREATE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGERS = """
CREATE CONSTRAINT TRIGGER audit_event_chain
    AFTER INSERT ON audit_event DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_chain_append();
CREATE TRIGGER audit_chain_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only();
CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only();
"""

BACKFILL = """
DO $$
DECLARE
    e audit_event;
BEGIN
    FOR e IN SELECT * FROM audit_event ORDER BY id LOOP
        PERFORM audit_chain_link(e);
    END LOOP;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_chain_event_id")),
    )
    op.execute(FUNCTIONS)
    op.execute(BACKFILL)
    op.execute(TRIGGERS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_event_chain ON audit_event")
    op.drop_table("audit_chain")
    op.execute("DROP FUNCTION IF EXISTS audit_chain_append_only()")
    op.execute("DROP FUNCTION IF EXISTS audit_chain_append()")
    op.execute("DROP FUNCTION IF EXISTS audit_chain_link(audit_event)")
