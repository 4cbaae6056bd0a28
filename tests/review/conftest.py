"""Factories for the review tests: people, accounts, posts, assessments, flags and users.

Flags are inserted directly (the classifier's job elsewhere), then ``enqueue`` groups them.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pipeline.db.models import (
    Account,
    AppUser,
    Assessment,
    Classifier,
    Embedding,
    Flag,
    Person,
    Post,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing is slow on purpose)."""
    from pipeline.users import hash_password

    return hash_password(PASSWORD)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Factory:
    db: Session
    classifier: Classifier | None = None

    def person(
        self, name: str = "Ana Roy", *, org_unit: str = "Policy Branch", seniority: str = "staff"
    ) -> Person:
        n = next(_seq)
        person = Person(
            email=f"person{n}@example.org",
            display_name=name,
            org_unit=org_unit,
            seniority_band=seniority,
            pseudonym=f"P-{n:06X}",
        )
        self.db.add(person)
        self.db.flush()
        return person

    def account(
        self,
        owner: Person | None = None,
        *,
        kind: str = "personal",
        org_unit: str | None = None,
        audience: int = 250,
    ) -> Account:
        n = next(_seq)
        account = Account(
            platform="mastodon",
            host="https://mastodon.example",
            handle=f"user{n}@mastodon.example",
            kind=kind,
            owner=owner,
            org_unit=org_unit or (owner.org_unit if owner else "Comms"),
            audience_size=audience,
        )
        self.db.add(account)
        self.db.flush()
        return account

    def live_classifier(self) -> Classifier:
        if self.classifier is None:
            self.classifier = Classifier(
                version="test-1", policy_version="p1", model_id="m", status="live"
            )
            self.db.add(self.classifier)
            self.db.flush()
        return self.classifier

    def post(self, account: Account, text: str = "A post", *, published_at: datetime = T0) -> Post:
        n = next(_seq)
        post = Post(
            account_id=account.id,
            external_id=str(n),
            url=f"https://mastodon.example/@u/{n}",
            text=text,
            content_hash=sha(text),
            published_at=published_at,
        )
        self.db.add(post)
        self.db.flush()
        return post

    def assessment(self, post: Post, *, risk: float = 0.5) -> Assessment:
        assessment = Assessment(
            post_id=post.id,
            classifier_id=self.live_classifier().id,
            content_hash=post.content_hash,
            policy_version="p1",
            scores={"partisan": risk},
            risk=risk,
            factors={"audience": "small", "seniority": "staff"},
            explanation={"summary": "Mentions a party by name", "terms": ["party"]},
        )
        self.db.add(assessment)
        self.db.flush()
        return assessment

    def flag(
        self,
        post: Post | None = None,
        *,
        category: str = "partisan",
        risk: float = 0.5,
        created_at: datetime = T0,
        text: str | None = None,
        account: Account | None = None,
    ) -> Flag:
        if post is None:
            post = self.post(account or self.account(self.person()), text or f"text {next(_seq)}")
        assessment = self.assessment(post, risk=risk)
        flag = Flag(
            post_id=post.id,
            assessment_id=assessment.id,
            category=category,
            content_hash=post.content_hash,
            score=risk,
            risk=risk,
            created_at=created_at,
        )
        self.db.add(flag)
        self.db.flush()
        return flag

    def embedding(self, text: str, vector: list[float]) -> None:
        self.db.merge(
            Embedding(content_hash=sha(text), model_id="m", dim=len(vector), vector=vector)
        )
        self.db.flush()

    def user(self, role: str, *, person: Person | None = None, email: str | None = None) -> AppUser:
        n = next(_seq)
        user = AppUser(
            email=email or f"{role}{n}@example.org",
            role=role,
            password_hash=password_hash(),
            person_id=person.id if person else None,
        )
        self.db.add(user)
        self.db.flush()
        return user


@pytest.fixture
def make(db: Session) -> Factory:
    return Factory(db)


@pytest.fixture
def clock() -> Callable[..., datetime]:
    """An explicit clock: ``clock(minutes=5)`` is T0 + 5 days' worth of nothing else."""

    def at(**delta: Any) -> datetime:
        return T0 + timedelta(days=1) + timedelta(**delta)

    return at


CSRF_RE = __import__("re").compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(**overrides: Any):
    from pipeline.config import Settings

    values = {
        "secret_key": "test-secret-" + "x" * 32,
        "cookie_https_only": False,
        "login_ip_limit": "10000/60",
        **overrides,
    }
    return Settings(**values)


class Browser:
    """A signed-in (or anonymous) TestClient that knows its CSRF token."""

    def __init__(self, app: Any) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""

    def refresh_csrf(self) -> str:
        page = self.client.get("/login")
        self.csrf = CSRF_RE.search(page.text).group(1)
        return self.csrf

    def login(self, email: str, password: str = PASSWORD) -> Any:
        self.refresh_csrf()
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf}
        )
        if response.status_code == 303:
            self.csrf = self.client.get("/api/me").json()["csrf_token"]
        return response

    def form(self, path: str, **data: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **data})

    def api(self, path: str, body: dict | None = None) -> Any:
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def web_app(engine):
    from pipeline.web import create_app

    return create_app(web_settings())


@pytest.fixture
def browser(web_app) -> Callable[[], Browser]:
    return lambda: Browser(web_app)
