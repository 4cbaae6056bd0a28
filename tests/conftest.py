"""Shared fixtures: one real embedded PostgreSQL per test session, migrated once.

Tests that take ``engine`` or ``db`` get an empty database: every table is truncated after
each of them (the audit table's append-only trigger is bypassed for that cleanup only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.db import embedded, migrate
from pipeline.db.engine import reset_engines
from pipeline.db.models import Base

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
def database_url() -> Iterator[str]:
    """A URL from the environment (IMPARTIAL_TEST_DATABASE_URL) or a fresh embedded server.

    The server's folder is not under pytest's basetemp, which concurrent pytest runs rotate.
    """
    url = os.environ.get("IMPARTIAL_TEST_DATABASE_URL")
    if not url:
        url = embedded.start(
            Path(tempfile.mkdtemp(prefix="impartial-test-")), cleanup_mode="delete"
        )
    previous = os.environ.get("IMPARTIAL_DATABASE_URL")
    os.environ["IMPARTIAL_DATABASE_URL"] = url
    get_settings.cache_clear()
    reset_engines()
    engine = sa.create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    reset_engines()
    if previous is None:
        os.environ.pop("IMPARTIAL_DATABASE_URL", None)
    else:
        os.environ["IMPARTIAL_DATABASE_URL"] = previous
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _session_engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url, pool_size=20, max_overflow=10)
    yield engine
    engine.dispose()


def truncate_all(engine: sa.Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


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
