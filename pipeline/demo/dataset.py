"""The demo's data file (``demo.yaml``): people, their accounts and consents, and posts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

# libyaml's safe loader where PyYAML was built with it (about 10x faster), else the Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEMO_FILE = Path(__file__).with_name("demo.yaml")
CONSENT_STATES = ("granted", "withdrawn", "none")


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    org_unit: str
    seniority: str
    consent: str


@dataclass(frozen=True)
class DemoPost:
    account: str
    id: str
    lang: str
    text: str
    expect: str
    title: str = ""  # feeds: the entry's title


@dataclass(frozen=True)
class DemoAccount:
    key: str
    platform: str
    kind: str
    name: str
    followers: int
    name_on_platform: str  # the user name (Mastodon, Bluesky) or feed name (RSS)
    owner: str | None = None
    org_unit: str | None = None
    posts: list[DemoPost] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    people: list[DemoPerson]
    accounts: list[DemoAccount]

    @property
    def posts(self) -> list[DemoPost]:
        return [post for account in self.accounts for post in account.posts]

    def scanned_accounts(self) -> list[DemoAccount]:
        """Official accounts, and personal ones whose owner's consent is in force."""
        consenting = {p.email for p in self.people if p.consent == "granted"}
        return [a for a in self.accounts if a.kind == "official" or a.owner in consenting]


def load(path: Path = DEMO_FILE) -> Dataset:
    """Read and check the data file; a mistake in it names the entry."""
    raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    people = [DemoPerson(**p) for p in raw["people"]]
    for person in people:
        if person.consent not in CONSENT_STATES:
            raise ValueError(f"{path}: {person.email}: consent must be one of {CONSENT_STATES}")
    posts: dict[str, list[DemoPost]] = {}
    for entry in raw["posts"]:
        post = DemoPost(**entry)
        posts.setdefault(post.account, []).append(post)
    accounts = [DemoAccount(**a, posts=posts.pop(a["key"], [])) for a in raw["accounts"]]
    if posts:
        raise ValueError(f"{path}: posts name unknown accounts: {', '.join(sorted(posts))}")
    emails = {p.email for p in people}
    for account in accounts:
        if account.owner is not None and account.owner not in emails:
            raise ValueError(f"{path}: account {account.key}: unknown owner {account.owner}")
    ids = [p.id for p in (post for a in accounts for post in a.posts)]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: post ids must be unique")
    return Dataset(people=people, accounts=accounts)
