"""Shared fixtures: one real embedded PostgreSQL per test session, migrated once.

The code under test connects as the app's least-privileged role, as it does in production;
``engine`` and ``db`` (the tests' own rows and checks) and the migrations use the superuser.
Tests that take ``engine`` or ``db`` get an empty database: every table is truncated after
each of them (the audit tables' append-only triggers are bypassed for that cleanup only).

Tiers: every test gets one or more of the markers ``unit`` (no database, no model), ``db``,
``model`` (the real sentence-transformers model), ``browser`` and ``airflow``, from the fixtures
it takes (``model`` is also set by hand where a command loads the model). The tiers are held:
a ``unit`` test finds no database, and a test not marked ``model`` cannot load the model.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pipeline.classify.embedding.layered import LayeredModel
from pipeline.classify.embedding.sentence_transformer import SentenceTransformerEmbedder
from pipeline.config import get_settings
from pipeline.db import embedded, migrate
from pipeline.db.engine import reset_engines
from pipeline.db.models import Base
from pipeline.db.roles import APP_ROLE, AppLogin
from tests.factories import T0, Factory, World

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

TIER_FIXTURES = {
    "db": {
        "database_url",
        "admin_database_url",
        "_session_engine",
        "engine",
        "db",
        "make",
        "world",
    },
    "model": {"real_embedder"},
    "browser": {"chromium", "page", "live_server"},
    "airflow": {"airflow_db", "dagbag", "run_dag"},
}
NO_DATABASE = "postgresql+psycopg2://unit-tests-have-no-database@127.0.0.1:9/none"
APP_URL, OWNER_URL = "IMPARTIAL_DATABASE_URL", "IMPARTIAL_DATABASE_OWNER_URL"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        marked = {m.name for m in item.iter_markers()} & TIER_FIXTURES.keys()
        tiers = {tier for tier, names in TIER_FIXTURES.items() if fixtures & names}
        for tier in sorted(tiers - marked):
            item.add_marker(tier)
        if not tiers | marked:
            item.add_marker("unit")


def _no_model(*args: object, **kwargs: object) -> None:
    raise RuntimeError("this test loads the sentence-transformers model: mark it 'model'")


@pytest.fixture(autouse=True)
def _tier_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``unit`` test sees no database; a test not marked ``model`` cannot load the model."""
    if request.node.get_closest_marker("unit"):
        monkeypatch.setenv(APP_URL, NO_DATABASE)
        monkeypatch.setenv(OWNER_URL, NO_DATABASE)
        get_settings.cache_clear()
        reset_engines()
        request.addfinalizer(get_settings.cache_clear)
        request.addfinalizer(reset_engines)
    if not request.node.get_closest_marker("model"):
        monkeypatch.setattr(SentenceTransformerEmbedder, "__init__", _no_model)
        monkeypatch.setattr(LayeredModel, "__init__", _no_model)


@pytest.fixture(scope="session", autouse=True)
def _model_cache() -> Iterator[Path]:
    """Models exported for the fast path go to one folder per test session (not the checkout)."""
    folder = Path(tempfile.mkdtemp(prefix="impartial-models-"))
    previous = os.environ.get("IMPARTIAL_MODEL_CACHE")
    os.environ["IMPARTIAL_MODEL_CACHE"] = str(folder)
    get_settings.cache_clear()
    yield folder
    if previous is None:
        os.environ.pop("IMPARTIAL_MODEL_CACHE", None)
    else:
        os.environ["IMPARTIAL_MODEL_CACHE"] = previous
    get_settings.cache_clear()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def admin_database_url() -> Iterator[str]:
    """The test server's superuser: IMPARTIAL_TEST_DATABASE_URL, or a fresh embedded server.

    Migrations run with it (as the owner role), and so does the cleanup between tests. The
    server's folder is not under pytest's basetemp, which concurrent pytest runs rotate.
    """
    url = os.environ.get("IMPARTIAL_TEST_DATABASE_URL")
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="impartial-test-"))
    # registered first, so it runs after the server's own exit hook has stopped it
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = embedded.start(folder, cleanup_mode="delete")
    # a throwaway server: durability buys nothing here, and every commit would wait on disk
    engine = sa.create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sa.text(f"ALTER SYSTEM SET {setting} = off"))
        conn.execute(sa.text("SELECT pg_reload_conf()"))
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def database_url(admin_database_url: str) -> Iterator[str]:
    """The app's URL: its least-privileged role, migrated for by the superuser as the owner.

    While the tests run, IMPARTIAL_DATABASE_URL is this URL (everything through
    ``get_engine()`` runs as the app) and IMPARTIAL_DATABASE_OWNER_URL the superuser's.
    """
    password = secrets.token_urlsafe(16)  # ignored by the embedded server's trusted socket
    url = (
        make_url(admin_database_url)
        .set(username=APP_ROLE, password=password)
        .render_as_string(hide_password=False)
    )
    previous = {name: os.environ.get(name) for name in (APP_URL, OWNER_URL)}
    os.environ[APP_URL] = url
    os.environ[OWNER_URL] = admin_database_url
    get_settings.cache_clear()
    reset_engines()
    engine = sa.create_engine(admin_database_url)
    migrate.upgrade(engine, app=AppLogin(APP_ROLE, password))
    engine.dispose()
    yield url
    reset_engines()
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _session_engine(admin_database_url: str, database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(admin_database_url, pool_size=20, max_overflow=10)
    yield engine
    engine.dispose()


def truncate_all(engine: sa.Engine) -> None:
    """Empty every table a test wrote to and restart the sequences it used.

    Rows are deleted rather than truncated (a test leaves a few rows; TRUNCATE would create new
    files for every table, about 80 ms each time), with triggers off (the audit tables'
    append-only triggers and the foreign-key checks) for this cleanup only: the superuser's
    privilege, which the app's role does not have.
    """
    tables = [t.name for t in Base.metadata.sorted_tables]
    used = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in conn.execute(sa.text(used)).scalars().all():
            conn.execute(sa.text(f"DELETE FROM {table}"))
        for sequence in conn.execute(
            sa.text("SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
        ).scalars():
            conn.execute(sa.text("SELECT setval(:s, 1, false)"), {"s": sequence})


@pytest.fixture
def engine(_session_engine: sa.Engine) -> Iterator[sa.Engine]:
    """The test database, emptied after the test."""
    yield _session_engine
    truncate_all(_session_engine)


@pytest.fixture
def db(engine: sa.Engine) -> Iterator[Session]:
    """A session on the emptied test database; commit freely."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the project (public labeled posts, read-only)."""
    return SHARED_DATA


@pytest.fixture
def clock() -> Callable[..., datetime]:
    """An explicit clock: ``clock(minutes=5)`` is one day after ``T0``, plus five minutes."""

    def at(**delta: Any) -> datetime:
        return T0 + timedelta(days=1) + timedelta(**delta)

    return at


@pytest.fixture
def make(db: Session) -> Factory:
    """Queue-shaped rows at ``T0`` (see ``tests.factories``)."""
    return Factory(db)


@pytest.fixture
def world(db: Session) -> World:
    """History-shaped rows at ``NOW`` minus some days (see ``tests.factories``)."""
    return World(db)
