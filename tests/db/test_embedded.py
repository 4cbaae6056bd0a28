from __future__ import annotations

from pathlib import Path

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pipeline.config import Settings
from pipeline.db import embedded, migrate
from pipeline.db.engine import database_url as resolve_url
from pipeline.db.engine import owner_url
from pipeline.db.roles import APP_ROLE, AppLogin


def test_embedded_server_starts_in_the_data_dir_and_keeps_data(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, database_url=None, database_owner_url=None, data_dir=tmp_path / "data"
    )
    url = resolve_url(settings)
    assert (tmp_path / "data" / "pg" / "PG_VERSION").exists()
    assert make_url(url).username == APP_ROLE
    owner = sa.create_engine(owner_url(settings))
    migrate.upgrade(owner, app=AppLogin())
    owner.dispose()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO audit_event (actor, action) VALUES ('t', 'kept')"))
            assert conn.scalar(
                sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
    finally:
        engine.dispose()
    assert embedded.stop(tmp_path / "data")
    # a later command starts it again on the same data
    engine = sa.create_engine(resolve_url(settings))
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT action FROM audit_event")) == "kept"
    finally:
        engine.dispose()
        embedded.stop(tmp_path / "data")


def test_configured_url_is_used_as_given(database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url.replace("+psycopg2", ""))
    assert make_url(database_url_of(settings)) == make_url(database_url)


def database_url_of(settings: Settings) -> str:
    return resolve_url(settings)


def test_a_temporary_server_is_stopped_and_removed_at_exit() -> None:
    with embedded.temporary("impartial-test-tmp-") as url:
        folder = Path(make_url(url).query["host"]).parent
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT 1")) == 1
        engine.dispose()
        pid = int((folder / "pg" / "postmaster.pid").read_text().split()[0])
    assert not folder.exists()
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
