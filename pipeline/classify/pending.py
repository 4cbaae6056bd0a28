"""Which posts still need an assessment, and a worker's claim on a batch of them.

A post is pending while its current text (``content_hash``) lacks an assessment by one of the
classifiers that run (the live one and the shadows). Several workers may assess at once (the
nightly scan's assess partitions, a second ``impartial scan``): each takes its batch with
``FOR NO KEY UPDATE OF post SKIP LOCKED``, so a post locked by another worker is left to that
worker, and holds the lock until its assessments commit. The rule behind the claim: after the
lock is taken the batch is checked again, since a post that another worker finished between
this worker's snapshot and its lock still looks pending in that snapshot.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.db.models import Account, Assessment, Classifier, Person, Post


def running_classifier_ids(session: Session) -> list[int]:
    """The classifiers that assess posts: the live one and the shadows."""
    statuses = ("live", "shadow")
    return list(session.scalars(sa.select(Classifier.id).where(Classifier.status.in_(statuses))))


def _is_pending(classifier_ids: list[int]) -> sa.ColumnElement[bool]:
    done = (
        sa.select(sa.func.count())
        .select_from(Assessment)
        .where(
            Assessment.post_id == Post.id,
            Assessment.content_hash == Post.content_hash,
            Assessment.classifier_id.in_(classifier_ids),
        )
        .scalar_subquery()
    )
    return sa.and_(
        Post.text.is_not(None), Post.text_purged_at.is_(None), done < len(classifier_ids)
    )


def _rows(classifier_ids: list[int]) -> sa.Select:
    return (
        sa.select(
            Post.id,
            Post.text,
            Post.content_hash,
            Account.audience_size,
            Person.seniority_band,
            sa.func.coalesce(Person.org_unit, Account.org_unit),
        )
        .join(Account, Account.id == Post.account_id)
        .outerjoin(Person, Person.id == Account.owner_id)
        .where(_is_pending(classifier_ids))
        .order_by(Post.id)
    )


def any_pending(
    session: Session, classifier_ids: list[int], after_id: int = 0, upto_id: int | None = None
) -> bool:
    """Whether a post with an id in ``(after_id, upto_id]`` is pending (claimed or not)."""
    query = sa.select(Post.id).where(_is_pending(classifier_ids), Post.id > after_id)
    if upto_id is not None:
        query = query.where(Post.id <= upto_id)
    return session.scalar(query.limit(1)) is not None


def claim_batch(
    session: Session,
    classifier_ids: list[int],
    after_id: int,
    limit: int,
    upto_id: int | None = None,
) -> tuple[list[Any], int | None]:
    """Lock up to ``limit`` pending posts with ids in ``(after_id, upto_id]`` that no other
    worker holds, in the session's open transaction (commit to release them).

    Returns the rows still pending once locked, and the last id looked at (``None`` when
    none was left in the range): the next batch starts after it."""
    query = _rows(classifier_ids).where(Post.id > after_id)
    if upto_id is not None:
        query = query.where(Post.id <= upto_id)
    locked = session.execute(
        query.limit(limit).with_for_update(of=Post, key_share=True, skip_locked=True)
    ).all()
    if not locked:
        return [], None
    ids = [row[0] for row in locked]
    still = list(session.execute(_rows(classifier_ids).where(Post.id.in_(ids))))
    return still, ids[-1]


def pending_id_ranges(
    session: Session, classifier_ids: list[int], parts: int
) -> list[tuple[int, int, int]]:
    """The pending posts cut into at most ``parts`` runs of consecutive ids of about equal
    size: ``(first_id, last_id, posts)`` each, in id order."""
    pending = sa.select(
        Post.id.label("id"), sa.func.ntile(parts).over(order_by=Post.id).label("part")
    ).where(_is_pending(classifier_ids))
    sub = pending.subquery()
    query = (
        sa.select(sa.func.min(sub.c.id), sa.func.max(sub.c.id), sa.func.count())
        .group_by(sub.c.part)
        .order_by(sub.c.part)
    )
    return [(int(a), int(b), int(n)) for a, b, n in session.execute(query)]
