"""Intake: group new flags into cross-post groups and add quality samples.

Called after the classifier has created flags (``enqueue``). Copies of one post published by
the same person (or, for an official account without owner, the same org unit) on several
accounts form one group when their content hash is equal or, where embeddings exist, their
cosine distance is under ``Settings.group_max_distance``; one decision covers the group.

Quality samples: a share (``Settings.sample_rate``) of live assessments that raised no flag
enters the queue as ``category='none', is_sample=true``, so reviewer decisions on them estimate
the miss rate. Only official accounts are sampled unless ``Settings.sample_personal``: reading
colleagues' unflagged personal posts is itself intrusive. The draw is a hash of post and
content, so re-running ``enqueue`` never samples the same post twice nor draws again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import Settings, get_settings

NEW_FLAGS = text(
    """
    SELECT f.id, f.category, f.content_hash, a.owner_id, a.org_unit
    FROM flag f JOIN post p ON p.id = f.post_id JOIN account a ON a.id = p.account_id
    WHERE f.group_key IS NULL ORDER BY f.id
    """
)

SAME_SOURCE = """
    f.closed_at IS NULL AND f.group_key IS NOT NULL AND f.category = :category
    AND f.id <> :flag_id
    AND (a.owner_id = :owner_id OR (CAST(:owner_id AS integer) IS NULL AND a.owner_id IS NULL
         AND a.org_unit = :org_unit))
"""

EXACT_GROUP = text(
    f"""
    SELECT f.group_key FROM flag f
    JOIN post p ON p.id = f.post_id JOIN account a ON a.id = p.account_id
    WHERE {SAME_SOURCE} AND f.content_hash = :content_hash
    ORDER BY f.id LIMIT 1
    """
)

# The same person's open flags come first (few), so distances are computed for them only.
NEAR_GROUP = text(
    f"""
    WITH candidate AS MATERIALIZED (
        SELECT f.id, f.group_key, f.content_hash FROM flag f
        JOIN post p ON p.id = f.post_id JOIN account a ON a.id = p.account_id
        WHERE {SAME_SOURCE}
    )
    SELECT c.group_key FROM candidate c
    JOIN embedding e ON e.content_hash = c.content_hash
    JOIN embedding mine ON mine.content_hash = :content_hash
         AND mine.model_id = e.model_id AND mine.dim = e.dim
    WHERE (e.vector <=> mine.vector) < :max_distance
    ORDER BY e.vector <=> mine.vector, c.id LIMIT 1
    """
)

SAMPLE = text(
    """
    INSERT INTO flag (post_id, assessment_id, category, content_hash, score, risk, is_sample,
                      group_key, created_at)
    SELECT DISTINCT ON (a.post_id, a.content_hash)
           a.post_id, a.id, 'none', a.content_hash, 0, a.risk, true, 's:' || a.id, :at
    FROM assessment a
    JOIN classifier c ON c.id = a.classifier_id AND c.status = 'live'
    JOIN post p ON p.id = a.post_id AND p.content_hash = a.content_hash AND p.text IS NOT NULL
    JOIN account acc ON acc.id = p.account_id
    WHERE (acc.kind = 'official' OR :personal)
      AND NOT EXISTS (SELECT 1 FROM flag f
                      WHERE f.post_id = a.post_id AND f.content_hash = a.content_hash)
      AND ('x' || substr(md5(a.post_id::text || ':' || a.content_hash), 1, 8))::bit(32)::bigint
          < :cutoff
    ORDER BY a.post_id, a.content_hash, a.id DESC
    ON CONFLICT DO NOTHING
    RETURNING id
    """
)


def _source_key(owner_id: int | None, org_unit: str | None) -> str:
    if owner_id is not None:
        return f"p{owner_id}"
    return "u" + hashlib.sha256((org_unit or "").encode()).hexdigest()[:12]


def group_new_flags(session: Session, settings: Settings) -> dict[str, int]:
    """Give every flag without a group its cross-post group key."""
    counts = {"grouped": 0, "joined_existing": 0}
    for flag_id, category, content_hash, owner_id, org_unit in session.execute(NEW_FLAGS).all():
        params = {
            "flag_id": flag_id,
            "category": category,
            "content_hash": content_hash,
            "owner_id": owner_id,
            "org_unit": org_unit,
        }
        key = session.scalar(EXACT_GROUP, params) or session.scalar(
            NEAR_GROUP, {**params, "max_distance": settings.group_max_distance}
        )
        if key:
            counts["joined_existing"] += 1
        else:
            key = f"{_source_key(owner_id, org_unit)}:{category}:{content_hash}"[:100]
        session.execute(
            text("UPDATE flag SET group_key = :key WHERE id = :id"), {"key": key, "id": flag_id}
        )
        counts["grouped"] += 1
    return counts


def add_samples(session: Session, settings: Settings, at: datetime) -> int:
    cutoff = int(settings.sample_rate * 2**32)
    if cutoff <= 0:
        return 0
    rows = session.execute(
        SAMPLE, {"at": at, "personal": settings.sample_personal, "cutoff": cutoff}
    ).all()
    return len(rows)


def enqueue(
    session: Session, *, at: datetime | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """Group new flags and add quality samples; idempotent. Returns counts."""
    settings = settings or get_settings()
    counts = group_new_flags(session, settings)
    counts["samples"] = add_samples(session, settings, now(at))
    session.flush()
    return counts
