"""What a platform connector is: its input (``AccountState``) and output (``Batch`` of
``FetchedPost``), and ``OptedOut`` for an account that asks not to be indexed.

A connector never touches the database. It reads the account's stored state and yields batches;
the ingest loop stores each batch (posts, cursor, profile) in one transaction, so a failure
between batches loses nothing already fetched and committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pipeline.ingest.sources.http import HostClient
from pipeline.ingest.sources.parts import Parts, flatten


@dataclass(frozen=True)
class AccountState:
    """What a connector needs to know about an account and its stored cursor."""

    account_id: int
    platform: str
    host: str
    handle: str
    external_id: str | None = None
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    profile_due: bool = True


@dataclass
class FetchedPost:
    """A post as fetched. Give ``parts`` (the whole message) and leave ``text`` empty: the
    text is then the parts flattened (``pipeline.ingest.sources.parts.flatten``)."""

    external_id: str
    text: str
    published_at: datetime
    url: str | None = None
    lang: str | None = None
    edited_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    parts: Parts | None = None

    def __post_init__(self) -> None:
        if self.parts is None:
            self.parts = Parts(body=self.text)
        elif not self.text:
            self.text = flatten(self.parts)


@dataclass
class Batch:
    """One unit to commit: posts, and the state to store with them.

    ``cursor``/``etag``/``last_modified`` are stored as given (``None`` keeps nothing:
    use ``keep_cursor`` to leave the stored cursor unchanged).
    """

    posts: list[FetchedPost] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    cursor: str | None = None
    keep_cursor: bool = True
    etag: str | None = None
    last_modified: str | None = None
    external_id: str | None = None
    audience_size: int | None = None
    profile_fetched: bool = False
    status: str = "ok"
    warning: str | None = None  # e.g. a feed stored from what a lenient parse recovered


class Connector(Protocol):
    def fetch(self, client: HostClient, state: AccountState) -> Iterator[Batch]: ...


class OptedOut(Exception):
    """The account asks not to be indexed: nothing is stored for it."""
