"""Database roles: the schema's owner, and the app's least-privileged login.

The owner (``impartial_owner``) owns every table, sequence and function and runs the
migrations. The app (``impartial_app``, or whoever ``IMPARTIAL_DATABASE_URL`` logs in as: the
CLI, the DAG tasks, the web app) owns nothing and may only read and write the working tables;
on the audit log it may read and append, nothing else. Owning nothing, it cannot disable a
trigger, drop or truncate a table, or create one, and not being a superuser it cannot set
``session_replication_role``: the app's own URL cannot rewrite history.

When the migrating login is a superuser (the embedded server, docker-compose's postgres user),
migrations run as the owner role (``SET LOCAL ROLE``), and what another role owns (an install
made before the roles were split) is handed over to it first. When it is not, the login itself
is the owner. The app's grants are asserted again after every upgrade, in the migrations'
transaction; default privileges give it the same rights on what an owner creates later.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from psycopg2 import sql
from psycopg2.extensions import encrypt_password
from sqlalchemy.engine import make_url

OWNER_ROLE = "impartial_owner"
APP_ROLE = "impartial_app"
SCHEMA = "public"
APPEND_ONLY = ("audit_event",)  # the app may read and insert, never change or delete
READ_ONLY = ("alembic_version", "audit_chain")  # the app may only read

_RELATION_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
_NOT_AN_EXTENSION_MEMBER = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
)


class RoleSetupError(RuntimeError):
    """The roles cannot be set up with the migrating login's rights."""


@dataclass(frozen=True)
class AppLogin:
    """The role the app logs in as, and the password to give it (None: leave it as it is)."""

    name: str = APP_ROLE
    password: str | None = None


@dataclass(frozen=True)
class Login:
    """Who a connection logged in as."""

    name: str
    superuser: bool
    create_role: bool


def app_login(app_url: str | None) -> AppLogin:
    """The app's role from its URL; the embedded server's app role when there is no URL."""
    if not app_url:
        return AppLogin()
    url = make_url(app_url)
    return AppLogin(name=url.username or APP_ROLE, password=url.password or None)


def current_login(conn: sa.Connection) -> Login:
    row = conn.execute(
        sa.text(
            "SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    return Login(name=row[0], superuser=row[1], create_role=row[2])


def _execute(conn: sa.Connection, statement: sql.Composable) -> None:
    """Run a statement composed by psycopg2 (identifiers and literals quoted, never by hand)
    in the connection's transaction."""
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(statement)


def _exists(conn: sa.Connection, role: str) -> bool:
    return bool(conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}))


def ensure_app_role(conn: sa.Connection, app: AppLogin, login: Login) -> None:
    """Create the app's login role if it is missing; give it the password its URL carries."""
    may_manage = login.superuser or login.create_role
    role = sql.Identifier(app.name)
    if not _exists(conn, app.name):
        if not may_manage:
            raise RoleSetupError(
                f"the app's database role {app.name!r} (the user of IMPARTIAL_DATABASE_URL) does "
                f"not exist, and {login.name!r} may not create roles: create it as an "
                f"administrator (CREATE ROLE {app.name} LOGIN PASSWORD '...'), then run "
                "'impartial db upgrade' again"
            )
        _execute(conn, sql.SQL("CREATE ROLE {} LOGIN").format(role))
    if app.password and may_manage:
        # hashed here: the clear password never reaches the server or its logs
        raw = conn.connection.dbapi_connection
        hashed = encrypt_password(app.password, app.name, raw, None)
        _execute(conn, sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(hashed)))


def ensure_owner_role(conn: sa.Connection) -> None:
    """Create the owner role if missing (a superuser's task; it never logs in itself)."""
    if not _exists(conn, OWNER_ROLE):
        _execute(conn, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(OWNER_ROLE)))


def take_ownership(conn: sa.Connection, login: Login) -> str:
    """Make the rest of this transaction run as the schema's owner; return the owner's name.

    A superuser creates the owner role, hands it everything in the schema that another role
    owns, gives it the schema's CREATE right (and takes that right from everyone else), then
    becomes it. Any other login is the owner itself.
    """
    if not login.superuser:
        return login.name
    ensure_owner_role(conn)
    owner, schema = sql.Identifier(OWNER_ROLE), sql.Identifier(SCHEMA)
    _execute(conn, sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema))
    _execute(conn, sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema, owner))
    for statement in _ownership_changes(conn):
        _execute(conn, statement)
    _execute(conn, sql.SQL("SET LOCAL ROLE {}").format(owner))
    return OWNER_ROLE


def _ownership_changes(conn: sa.Connection) -> list[sql.Composable]:
    """ALTER ... OWNER statements for what the owner role does not own yet.

    Tables go first: a table takes its serial sequences and indexes along; sequences that
    belong to no table, functions and types follow. Extension members (pgvector's) stay.
    """
    where = (
        "n.nspname = :schema AND {owner} <> (SELECT oid FROM pg_roles WHERE rolname = :owner) "
        "AND " + _NOT_AN_EXTENSION_MEMBER
    )
    params = {"schema": SCHEMA, "owner": OWNER_ROLE}
    relations = conn.execute(
        sa.text(
            "SELECT c.relkind, n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND "
            + where.format(owner="c.relowner", oid="c.oid")
        ),
        params,
    ).all()
    sequences = conn.execute(
        sa.text(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend t WHERE "
            "t.objid = c.oid AND t.deptype IN ('a', 'i')) AND "
            + where.format(owner="c.relowner", oid="c.oid")
        ),
        params,
    ).all()
    routines = conn.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
            + where.format(owner="p.proowner", oid="p.oid")
        ),
        params,
    ).scalars()
    types = conn.execute(
        sa.text(
            "SELECT n.nspname, t.typname FROM pg_type t "
            "JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype IN ('e', 'd', 'r') AND "
            + where.format(owner="t.typowner", oid="t.oid")
        ),
        params,
    ).all()
    owner = sql.Identifier(OWNER_ROLE)
    statements: list[sql.Composable] = [
        sql.SQL("ALTER {} {} OWNER TO {}").format(
            sql.SQL(_RELATION_KINDS[kind]), sql.Identifier(schema, name), owner
        )
        for kind, schema, name in relations
    ]
    statements += [
        sql.SQL("ALTER SEQUENCE {} OWNER TO {}").format(sql.Identifier(schema, name), owner)
        for schema, name in sequences
    ]
    # regprocedure's text is already a quoted, qualified signature
    statements += [
        sql.SQL("ALTER ROUTINE {} OWNER TO {}").format(sql.SQL(r), owner) for r in routines
    ]
    statements += [
        sql.SQL("ALTER TYPE {} OWNER TO {}").format(sql.Identifier(schema, name), owner)
        for schema, name in types
    ]
    return statements


def grant_app(conn: sa.Connection, app: str, owner: str) -> None:
    """Give the app exactly its rights on everything in the schema (run as the owner).

    Everything is revoked first, so rights given by hand (TRUNCATE, REFERENCES, TRIGGER, or
    UPDATE on the audit log) do not survive an upgrade.
    """
    role, schema = sql.Identifier(app), sql.Identifier(SCHEMA)
    statements = [
        "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        "REVOKE CREATE ON SCHEMA {schema} FROM {role}",
        "GRANT USAGE ON SCHEMA {schema} TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    for statement in statements:
        _execute(
            conn,
            sql.SQL(statement).format(schema=schema, role=role, owner=sql.Identifier(owner)),
        )
    present = set(
        conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": SCHEMA}
        ).scalars()
    )
    for table in sorted(present & set(APPEND_ONLY)):
        _execute(
            conn,
            sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(
                sql.Identifier(SCHEMA, table), role
            ),
        )
    for table in sorted(present & set(READ_ONLY)):
        _execute(
            conn,
            sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
                sql.Identifier(SCHEMA, table), role
            ),
        )


def exposures(conn: sa.Connection) -> list[str]:
    """What the connection's own login could do to the audit log that the app must not."""
    login = current_login(conn)
    found = []
    if login.superuser:
        found.append(f"{login.name} is a superuser")
    owned = conn.scalar(
        sa.text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND pg_has_role(current_user, c.relowner, 'USAGE')"
        ),
        {"s": SCHEMA},
    )
    if owned and not login.superuser:
        found.append(f"{login.name} owns (or acts as the owner of) {owned} tables and indexes")
    audit = conn.scalar(sa.text("SELECT to_regclass('audit_event') IS NOT NULL"))
    if audit and not login.superuser:
        for right in ("UPDATE", "DELETE", "TRUNCATE"):
            if conn.scalar(sa.text("SELECT has_table_privilege('audit_event', :p)"), {"p": right}):
                found.append(f"{login.name} may {right} audit_event")
    return found


def is_superuser(conn: sa.Connection, role: str) -> bool:
    return bool(
        conn.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role})
    )
