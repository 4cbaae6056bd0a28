"""The fleet the scan benchmarks share: fake hosts on 127.0.0.1 (``pipeline.fakes``) with
accounts and synthetic posts, new posts and edits published between passes, and the accounts
registered in the database.

The same seed gives the same fleet: hosts, handles and texts come from one random generator,
drawn in a fixed order, so a benchmark's figures stay comparable from run to run.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.fakes import FakeHost, fake_for
from pipeline.registry.accounts import AccountSpec, add_account

PLATFORMS = ("mastodon", "bluesky", "rss")
WORDS = (
    "budget",
    "river",
    "library",
    "weekend",
    "garden",
    "concert",
    "bridge",
    "recipe",
    "hiking",
    "museum",
    "coffee",
    "station",
    "festival",
    "harbour",
    "winter",
    "project",
)
CONCERNS = (
    "Vote for the opposition on election day, the government has failed us.",
    "What a fucking idiot, shut up you clown.",
    "Check out my new channel and please subscribe! Use my promo code for 20% off.",
)


def text(rng: random.Random, words: Sequence[str] = WORDS, concerns: Sequence[str] = ()) -> str:
    """A benign sentence of ``words``; with ``concerns``, one post in ten is one of them."""
    if concerns and rng.random() < 0.1:
        return f"{rng.choice(concerns)} {rng.choice(words)} {rng.randint(1, 10**6)}"
    return " ".join(rng.choice(words) for _ in range(rng.randint(6, 30))).capitalize() + "."


def platform_of(index: int, hosts: int) -> str:
    """About 70% Mastodon hosts, the rest Bluesky AppViews and feed hosts."""
    share = index / hosts
    return "mastodon" if share < 0.7 else "bluesky" if share < 0.85 else "rss"


def account_key(server: FakeHost, handle: str) -> str:
    """The key a fake host counts an account's requests under (``FakeHost.by_account``)."""
    if server.platform == "mastodon":
        return handle.split("@")[0]
    return handle.rsplit("/", 1)[-1] if server.platform == "rss" else handle


class Fleet:
    """``hosts`` fake hosts with ``accounts // hosts`` accounts each, 1 to 4 posts per account.

    ``extras``: one Mastodon account in ten also has an unlisted post and a reblog (neither is
    stored by a scan, so neither is in an account's ``posts``). ``fake_options`` go to every
    fake host (``hang_s``, ``slow_s``...).
    """

    def __init__(
        self,
        accounts: int,
        hosts: int,
        seed: int,
        *,
        words: Sequence[str] = WORDS,
        concerns: Sequence[str] = (),
        extras: bool = True,
        **fake_options: Any,
    ) -> None:
        self.rng = random.Random(seed)
        self.words, self.concerns = words, concerns
        self.hosts: list[tuple[FakeHost, list[dict[str, Any]]]] = []
        for h in range(hosts):
            server = fake_for(platform_of(h, hosts), seed=seed + h, **fake_options)
            self.hosts.append((server, []))  # stopped with the others if a later one fails
            for a in range(accounts // hosts):
                handle = server.add_account(f"h{h}a{a}")
                posts = [self._post(server, handle) for _ in range(self.rng.randint(1, 4))]
                if extras and server.platform == "mastodon" and self.rng.random() < 0.1:
                    server.add_post(handle, self._text(), visibility="unlisted")
                    server.add_post(handle, self._text(), reblog=True)
                self.hosts[-1][1].append(
                    {"handle": handle, "posts": posts, "key": account_key(server, handle)}
                )

    def _text(self) -> str:
        return text(self.rng, self.words, self.concerns)

    def _post(self, server: FakeHost, handle: str) -> str:
        return server.add_post(handle, self._text())  # type: ignore[attr-defined]

    def describe(self) -> list[dict[str, Any]]:
        """Each host's platform, base URL and handles (what ``register`` takes)."""
        return [
            {
                "platform": s.platform,
                "base_url": s.base_url,
                "handles": [a["handle"] for a in accounts],
            }
            for s, accounts in self.hosts
        ]

    def publish(self, share: float) -> dict[str, Any]:
        """New posts (1 to 5) for ``share`` of the accounts, and for one in five of those on
        Mastodon and feed hosts an edit of its first post."""
        edits, changed = 0, []
        for h, (server, accounts) in enumerate(self.hosts):
            for a, account in enumerate(accounts):
                if self.rng.random() >= share:
                    continue
                changed.append((h, a))
                for _ in range(self.rng.randint(1, 5)):
                    account["posts"].append(self._post(server, account["handle"]))
                if server.platform in ("mastodon", "rss") and self.rng.random() < 0.2:
                    first = account["posts"][0]
                    server.edit_post(account["handle"], first, self._text())  # type: ignore[attr-defined]
                    edits += 1
        return {"edits": edits, "changed": changed}

    def stop(self) -> None:
        for server, _ in self.hosts:
            server.stop()


def register(
    engine: sa.Engine,
    fleet: list[dict[str, Any]],
    *,
    actor: str,
    owners: Mapping[str, str] | None = None,
) -> list[list[int]]:
    """Register every handle of ``fleet`` (``Fleet.describe``): as a personal account of the
    person whose email ``owners`` gives for it, else as an official account. Returns the
    account ids, host by host."""
    owners = owners or {}
    ids = []
    with Session(engine) as session:
        for host in fleet:
            host_ids = []
            for handle in host["handles"]:
                owner = owners.get(handle)
                spec = AccountSpec(
                    host["platform"],
                    handle,
                    "personal" if owner else "official",
                    owner=owner,
                    org_unit=None if owner else "Benchmark",
                    host=None if host["platform"] == "rss" else host["base_url"],
                )
                host_ids.append(add_account(session, spec, actor=actor).id)
            ids.append(host_ids)
        session.commit()
    return ids
