"""The one place tests make rows: people, accounts, consents, posts, assessments, flags,
reviews and users, inserted directly (no scan, no classifier).

``Factory`` (fixture ``make``) makes queue-shaped rows at the review tests' instant ``T0``;
``World`` (fixture ``world``) makes history-shaped rows at ``NOW`` minus a number of days, and
registers people and consents through the registry (audited), as the privacy and reporting
rules expect. Both flush each row at once, so its id is there to use.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import (
    Account,
    AppUser,
    Assessment,
    Classifier,
    Embedding,
    EmployeeResponse,
    Flag,
    Person,
    Post,
    Review,
)
from pipeline.registry import consent, people

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the review tests' "now"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the privacy and report tests' "now"
PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing is slow on purpose)."""
    from pipeline.review.users import hash_password

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
        # a post over several thresholds: one assessment, one flag per category
        assessment = self.db.scalar(
            select(Assessment).where(
                Assessment.post_id == post.id, Assessment.content_hash == post.content_hash
            )
        ) or self.assessment(post, risk=risk)
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


class World:
    """A small factory over one session; every row it makes is flushed at once."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._seq = count(1)
        self._classifier: Classifier | None = None

    def _add(self, row):
        self.db.add(row)
        self.db.flush()
        return row

    def person(self, name: str, *, org_unit: str = "Policy Branch", band: str = "staff") -> Person:
        return people.add_person(
            self.db,
            f"{name}@example.org",
            name=name.title(),
            org_unit=org_unit,
            seniority=band,
            actor="test",
        )

    def account(
        self, owner: Person | None = None, *, kind: str = "personal", org_unit: str | None = None
    ) -> Account:
        n = next(self._seq)
        return self._add(
            Account(
                platform="mastodon",
                host="https://social.example",
                handle=f"user{n}@social.example",
                kind=kind,
                owner_id=owner.id if owner else None,
                org_unit=org_unit or (owner.org_unit if owner else None),
            )
        )

    def consent(self, person: Person, *, days_ago: int = 60, expires_in: int | None = None):
        return consent.grant_consent(
            self.db,
            person.email,
            evidence="form",
            actor="test",
            at=NOW - timedelta(days=days_ago),
            expires_at=None if expires_in is None else NOW + timedelta(days=expires_in),
        )

    def post(
        self,
        account: Account,
        text: str,
        *,
        days_ago: float = 1,
        lang: str | None = None,
        published: datetime | None = None,
        parts: dict | None = None,
    ) -> Post:
        at = published or NOW - timedelta(days=days_ago)
        return self._add(
            Post(
                account_id=account.id,
                external_id=f"ext-{next(self._seq)}",
                url="https://x/1",
                text=text,
                content_hash=sha(text),
                published_at=at,
                fetched_at=at,
                lang_detected=lang,
                meta={"source": "test"},
                parts={"body": text} if parts is None else parts,
            )
        )

    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = self._add(
                Classifier(
                    version="test-1",
                    policy_version="p1",
                    model_id="m",
                    status="live",
                    metrics={"precision": 0.8, "recall": 0.7},
                )
            )
        return self._classifier

    def assessment(self, post: Post, risk: float = 0.5) -> Assessment:
        return self._add(
            Assessment(
                post_id=post.id,
                classifier_id=self.classifier().id,
                content_hash=post.content_hash,
                policy_version="p1",
                scores={"partisan": risk},
                risk=risk,
                explanation={"why": "test"},
                created_at=post.published_at,
            )
        )

    def embedding(self, content_hash: str, vector=(1.0, 0.0, 0.0), model: str = "m") -> Embedding:
        return self._add(
            Embedding(
                content_hash=content_hash, model_id=model, dim=len(vector), vector=list(vector)
            )
        )

    def flag(
        self,
        post: Post,
        category: str = "partisan",
        *,
        created: datetime | None = None,
        closed: datetime | None = None,
        sample: bool = False,
        group: str | None = None,
        assessment: Assessment | None = None,
        score: float = 0.7,
        draw: str = "random",
    ) -> Flag:
        return self._add(
            Flag(
                post_id=post.id,
                category=category,
                content_hash=post.content_hash,
                score=score,
                risk=score,
                is_sample=sample,
                sample_draw=draw if sample else None,
                group_key=group,
                closed_at=closed,
                created_at=created or post.published_at,
                assessment_id=assessment.id if assessment else None,
            )
        )

    def user(self, email: str, role: str = "reviewer", person: Person | None = None) -> AppUser:
        return self._add(
            AppUser(
                email=email, password_hash="x", role=role, person_id=person.id if person else None
            )
        )

    def review(
        self,
        flag: Flag,
        user: AppUser,
        decision: str,
        *,
        at: datetime,
        stage: str = "review",
        clause: str | None = None,
    ) -> Review:
        return self._add(
            Review(
                flag_id=flag.id,
                reviewer_id=user.id,
                decision=decision,
                clause=clause or flag.category,
                rationale="reasoned",
                created_at=at,
                stage=stage,
            )
        )

    def response(self, flag: Flag, user: AppUser, body: str = "my side") -> EmployeeResponse:
        return self._add(
            EmployeeResponse(flag_id=flag.id, user_id=user.id, kind="comment", body=body)
        )
