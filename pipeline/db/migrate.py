"""Schema migrations through Alembic, configured in code (no alembic.ini to find)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


class PgvectorMissingError(RuntimeError):
    """The server has no pgvector extension available."""


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


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    ensure_pgvector(engine)
    with engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


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
