"""Fixtures for the classifier tests: a fake embedder, the real model once per session, and
a few registered accounts with posts (synthetic text written for these tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from pipeline.classify.embedding.fake import FakeEmbedder
from pipeline.classify.embedding.sentence_transformer import SentenceTransformerEmbedder
from pipeline.classify.guidance import load_policy
from pipeline.db.models import Account, Person, Post


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Iterator[SentenceTransformerEmbedder]:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole test session."""
    from pipeline.classify.embedding import factory

    yield factory.get_embedder()  # the same instance the code under test gets


@pytest.fixture
def policy():
    return load_policy()


def add_post(session: Session, account: Account, text: str, n: int) -> Post:
    post = Post(
        account_id=account.id,
        external_id=f"ext-{n}",
        text=text,
        lang="en",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(post)
    return post


@pytest.fixture
def account(db: Session) -> Account:
    person = Person(
        email="ana@example.org",
        display_name="Ana Roy",
        org_unit="Policy Branch",
        seniority_band="manager",
        pseudonym="P-0001",
    )
    db.add(person)
    db.flush()
    acc = Account(
        platform="mastodon",
        host="https://mastodon.example",
        handle="ana@mastodon.example",
        kind="personal",
        owner_id=person.id,
        audience_size=5000,
    )
    db.add(acc)
    db.commit()
    return acc


POSTS = [
    "Vote Conservative on election day, the Liberals have failed us. Views are my own.",
    "What a fucking idiot, shut up you clown.",
    "Check out my new YouTube channel and please subscribe! Use my promo code for 20% off.",
    "Spent the weekend canoeing with my kids, the fall colours were amazing.",
    "Quel connard, ferme ta gueule.",
]


@pytest.fixture
def posts(db: Session, account: Account) -> list[Post]:
    out = [add_post(db, account, text, i) for i, text in enumerate(POSTS)]
    db.commit()
    return out
