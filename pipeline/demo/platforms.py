"""Serve the demo's posts from the local fake platforms (``pipeline.fakes``).

The fake servers listen on ephemeral ports, so the demo's accounts get a new host (and, for
feeds, a new URL) on every run; the posts keep their ids, because the fakes number them in the
order they are added and date them a minute apart from the same start on every run (a Bluesky
post's id is made from its time).

The start is recent (a day before the demo's registry was first seeded): the reports' default
window (the last 90 days) and the official-languages check (the last 7 days) see the posts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pipeline.demo.dataset import Dataset
from pipeline.fakes import FakePlatforms


@dataclass(frozen=True)
class Address:
    """Where an account lives on the fakes: what to register it with."""

    platform: str
    host: str
    handle: str


@contextmanager
def serve(dataset: Dataset, start: datetime | None = None) -> Iterator[dict[str, Address]]:
    """Start the fake servers with every demo account and post, dated from ``start`` on (by
    default the fakes' own fixed date); yield each account's address.

    Accounts that may not be scanned are served too: the registry, not the source, decides.
    """

    with FakePlatforms() as fakes:
        for server in fakes.servers.values() if start is not None else ():
            # the fakes' clock (each post is dated a minute after the one before) starts here
            server._clock = start  # type: ignore[attr-defined]
        addresses = {}
        for account in dataset.accounts:
            options = (
                {"language": _main_language(account)}
                if account.platform == "rss"
                else {"followers": account.followers}
            )
            handle = fakes.add_account(account.platform, account.name_on_platform, **options)
            for post in account.posts:
                if account.platform == "rss":
                    fakes.add_post("rss", handle, post.text, title=post.title)
                else:
                    fakes.add_post(account.platform, handle, post.text, lang=post.lang)
            addresses[account.key] = Address(account.platform, fakes.host(account.platform), handle)
        yield addresses


def _main_language(account) -> str:
    langs = [p.lang for p in account.posts]
    return max(set(langs), key=langs.count) if langs else "en"
