"""Schema migrations through Alembic, configured in code (no alembic.ini to find).

Migrations run as the schema's owner and end by asserting the app role's grants
(``pipeline.db.roles``). A downgrade that would drop the audit log refuses unless it is told
explicitly that the log is to be destroyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from pipeline.config import get_settings
from pipeline.db import roles

MIGRATIONS = Path(__file__).parent / "migrations"
AUDIT_LOG_REVISION = "0001"  # creates audit_event; undoing it drops every audit row


class PgvectorMissingError(RuntimeError):
    """The server has no pgvector extension available."""


class AuditLogProtectedError(RuntimeError):
    """A downgrade would drop the audit log, and destroying it was not asked for."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def ensure_pgvector(engine: sa.Engine) -> None:
    """Create the vector extension, or say clearly that the server lacks it."""
    with engine.connect() as conn:
        available = conn.scalar(
            sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
        )
        if not available:
            raise PgvectorMissingError(
                f"the PostgreSQL server at {engine.url.render_as_string(hide_password=True)} "
                "has no pgvector extension: install pgvector on it (e.g. the pgvector/pgvector "
                "image or the postgresql-NN-pgvector package), or unset IMPARTIAL_DATABASE_URL "
                "to use the embedded server"
            )
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        conn.commit()


@dataclass(frozen=True)
class RoleSetup:
    """Who owns the schema after an upgrade, and whether the app's role holds only its grants
    (False: it is the owner, or a superuser, and could rewrite the audit log)."""

    owner: str
    app: str
    least_privilege: bool


def upgrade(
    engine: sa.Engine, revision: str = "head", *, app: roles.AppLogin | None = None
) -> RoleSetup:
    """Migrate as the schema owner, then grant the app role its rights, in one transaction.

    ``engine`` logs in as a superuser or as the owner; ``app`` defaults to the role of the
    configured IMPARTIAL_DATABASE_URL (the embedded server's app role when it is unset).
    """
    app = app or roles.app_login(get_settings().database_url)
    ensure_pgvector(engine)
    with engine.begin() as conn:
        login = roles.current_login(conn)
        separate = app.name != login.name and not (login.superuser and app.name == roles.OWNER_ROLE)
        if separate:
            roles.ensure_app_role(conn, app, login)
        owner = roles.take_ownership(conn, login)
        command.upgrade(_config(conn, engine), revision)
        least = separate and app.name != owner and not roles.is_superuser(conn, app.name)
        if least:
            roles.grant_app(conn, app.name, owner)
    return RoleSetup(owner=owner, app=app.name, least_privilege=least)


def drops_audit_log(engine: sa.Engine, revision: str) -> bool:
    """Whether downgrading to ``revision`` from where the schema is would drop audit_event."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        return False
    steps = script.iterate_revisions(current, revision, select_for_downgrade=True)
    return any(step.revision == AUDIT_LOG_REVISION for step in steps)


def downgrade(engine: sa.Engine, revision: str, *, destroy_audit_log: bool = False) -> None:
    """Step the schema back as its owner; refuses to drop the audit log unless told to."""
    if drops_audit_log(engine, revision) and not destroy_audit_log:
        raise AuditLogProtectedError(
            f"downgrading to {revision!r} drops the audit log (audit_event) and every event in "
            "it; nothing was changed"
        )
    with engine.begin() as conn:
        roles.take_ownership(conn, roles.current_login(conn))
        command.downgrade(_config(conn, engine), revision)


def _config(conn: sa.Connection, engine: sa.Engine) -> Config:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = conn
    return cfg


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def status(engine: sa.Engine) -> SchemaStatus:
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    pending = [
        rev.revision for rev in script.iterate_revisions(head, current) if rev.revision != current
    ]
    pending.reverse()
    return SchemaStatus(current=current, head=head, pending=pending)
