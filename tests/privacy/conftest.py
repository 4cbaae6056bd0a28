"""Rows for the privacy and reporting tests, inserted directly (no scan, no classifier)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy.orm import Session

from pipeline import registry
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

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
        return registry.add_person(
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
        return registry.grant_consent(
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
    ) -> Post:
        at = published or NOW - timedelta(days=days_ago)
        return self._add(
            Post(
                account_id=account.id,
                external_id=f"ext-{next(self._seq)}",
                url="https://x/1",
                text=text,
                content_hash=digest(text),
                published_at=at,
                fetched_at=at,
                lang_detected=lang,
                meta={"source": "test"},
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
    ) -> Flag:
        return self._add(
            Flag(
                post_id=post.id,
                category=category,
                content_hash=post.content_hash,
                score=score,
                risk=score,
                is_sample=sample,
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
        self, flag: Flag, user: AppUser, decision: str, *, at: datetime, stage: str = "review"
    ) -> Review:
        return self._add(
            Review(
                flag_id=flag.id,
                reviewer_id=user.id,
                decision=decision,
                clause=flag.category,
                rationale="reasoned",
                created_at=at,
                stage=stage,
            )
        )

    def response(self, flag: Flag, user: AppUser, body: str = "my side") -> EmployeeResponse:
        return self._add(
            EmployeeResponse(flag_id=flag.id, user_id=user.id, kind="comment", body=body)
        )


@pytest.fixture
def world(db: Session) -> World:
    return World(db)
