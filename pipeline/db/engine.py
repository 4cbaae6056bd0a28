"""Engine, sessions and the unit of work.

``database_url()`` resolves the app's URL (starting the embedded server when no URL is set),
``owner_url()`` the URL migrations use; ``unit_of_work()`` yields a session that commits only
when the block asks it to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Settings, get_settings
from pipeline.db import embedded


def database_url(settings: Settings | None = None) -> str:
    """The app's URL (its least-privileged role); starts the embedded server when none is
    configured."""
    settings = settings or get_settings()
    if settings.database_url:
        return _normalize(settings.database_url)
    return embedded.app_url(embedded.start(settings.data_dir))


def owner_url(settings: Settings | None = None) -> str:
    """The URL migrations use: IMPARTIAL_DATABASE_OWNER_URL, else the app's configured URL
    (one login for everything), else the embedded server's superuser."""
    settings = settings or get_settings()
    if settings.database_owner_url:
        return _normalize(settings.database_owner_url)
    if settings.database_url:
        return _normalize(settings.database_url)
    return embedded.start(settings.data_dir)


def _normalize(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


_engines: dict[tuple[str, int], Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    """The app's engine: one pool per URL for the life of the process."""
    settings = settings or get_settings()
    return _engine(database_url(settings), settings.db_pool_size)


def get_owner_engine(settings: Settings | None = None) -> Engine:
    """The schema owner's engine (migrations and ``impartial db`` maintenance only)."""
    return _engine(owner_url(settings), 1)


def _engine(url: str, pool_size: int) -> Engine:
    key = (url, pool_size)
    if key not in _engines:
        _engines[key] = create_engine(
            key[0], pool_size=key[1], max_overflow=key[1] * 2, pool_pre_ping=True
        )
    return _engines[key]


def reset_engines() -> None:
    """Dispose every engine (tests, and after the settings change)."""
    while _engines:
        _engines.popitem()[1].dispose()


class UnitOfWork:
    """A session that rolls back unless ``commit()`` is called (cosmicpython's pattern)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[UnitOfWork]:
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    with factory() as session:
        uow = UnitOfWork(session)
        try:
            yield uow
        finally:
            session.rollback()
