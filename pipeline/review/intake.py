"""Intake: group new flags into cross-post groups and add quality samples.

Called after the classifier has created flags (``enqueue``). Copies of one post published by
the same person (or, for an official account without owner, the same org unit) on several
accounts form one group when their content hash is equal or, where embeddings exist, their
cosine distance (between vectors of the live classifier's model) is under
``Settings.group_max_distance``; one decision covers the group.

Quality samples: a share (``Settings.sample_rate``) of live assessments that raised no flag
enters the queue as ``category='none', is_sample=true``. Only official accounts are sampled
unless ``Settings.sample_personal``: reading colleagues' unflagged personal posts is itself
intrusive. Each sample records how it was drawn (``flag.sample_draw``):

- ``random``, a share ``sample_rate * (1 - sample_uncertain_share)``: a hash of post and
  content under a cutoff, drawn first and blind to the scores, so decisions on these samples
  estimate the miss rate without bias (the ``miss_rate`` report counts only these);
- ``uncertain``, the rest (``sample_uncertain_share``, half by default): the posts whose highest
  score-to-threshold ratio is largest, i.e. closest below a threshold, where misses are likeliest
  and a reviewer's decision teaches the classifier most (``impartial export decisions``). Their
  number is topped up to ``floor(sample_rate * sample_uncertain_share * unflagged posts)``.

Re-running ``enqueue`` never samples the same post twice nor draws again: the random draw is
a fixed function of each post, and the uncertain quota is already met.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.vocabulary import CATEGORIES

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
    JOIN classifier live ON live.status = 'live'
         AND split_part(mine.model_id, '@', 1) = live.model_id
    WHERE (e.vector <=> mine.vector) < :max_distance
    ORDER BY e.vector <=> mine.vector, c.id LIMIT 1
    """
)

LIVE = """
    FROM assessment a
    JOIN classifier c ON c.id = a.classifier_id AND c.status = 'live'
    JOIN post p ON p.id = a.post_id AND p.content_hash = a.content_hash AND p.text IS NOT NULL
    JOIN account acc ON acc.id = p.account_id
"""
ELIGIBLE = "(acc.kind = 'official' OR :personal)"

RANDOM_SAMPLE = text(
    f"""
    INSERT INTO flag (post_id, assessment_id, category, content_hash, score, risk, is_sample,
                      sample_draw, group_key, created_at)
    SELECT DISTINCT ON (a.post_id, a.content_hash)
           a.post_id, a.id, 'none', a.content_hash, 0, a.risk, true, 'random', 's:' || a.id, :at
    {LIVE}
    WHERE {ELIGIBLE}
      AND NOT EXISTS (SELECT 1 FROM flag f
                      WHERE f.post_id = a.post_id AND f.content_hash = a.content_hash)
      AND ('x' || substr(md5(a.post_id::text || ':' || a.content_hash), 1, 8))::bit(32)::bigint
          < :cutoff
    ORDER BY a.post_id, a.content_hash, a.id DESC
    ON CONFLICT DO NOTHING
    RETURNING id
    """
)

# A post's closeness: its highest score / threshold, under its classifier's thresholds
# (written out per category: a set-returning jsonb function per row costs 20x more).
CLOSENESS = "greatest({})".format(
    ", ".join(
        f"CAST(a.scores ->> '{c}' AS float8) / nullif(CAST(c.thresholds ->> '{c}' AS float8), 0)"
        for c in CATEGORIES
    )
)

# The population is the unflagged posts (samples count as unflagged): one live assessment each
# (one live classifier, one assessment per post, classifier and content), and at most one
# sample flag (category 'none', unique per post and content). The planner reads the join of
# posts and assessments on two columns as one row, and would then scan the accounts (or the
# partial index of samples) whole for every assessment: the eligible posts are a unit of their
# own (OFFSET 0), joined first, and every look-up of flags goes by the flag's unique index.
UNCERTAIN_SAMPLE = text(
    f"""
    WITH candidate AS MATERIALIZED (
        SELECT a.id, a.post_id, a.content_hash, a.risk, {CLOSENESS} AS closeness,
               s.sample_draw AS drawn
        FROM (SELECT p.id, p.content_hash FROM post p JOIN account acc ON acc.id = p.account_id
              WHERE p.text IS NOT NULL AND {ELIGIBLE} OFFSET 0) p
        JOIN assessment a ON a.post_id = p.id AND a.content_hash = p.content_hash
        JOIN classifier c ON c.id = a.classifier_id AND c.status = 'live'
        LEFT JOIN flag s ON s.post_id = a.post_id AND s.category = 'none'
                        AND s.content_hash = a.content_hash
        WHERE NOT EXISTS (SELECT 1 FROM flag f
                          WHERE f.post_id = a.post_id AND f.content_hash = a.content_hash
                            AND NOT f.is_sample)
    ), quota AS (
        SELECT greatest(CAST(floor(:share * count(*)) AS bigint)
                        - count(*) FILTER (WHERE drawn = 'uncertain'), 0) AS n
        FROM candidate
    )
    INSERT INTO flag (post_id, assessment_id, category, content_hash, score, risk, is_sample,
                      sample_draw, group_key, created_at)
    SELECT post_id, id, 'none', content_hash, 0, risk, true, 'uncertain', 's:' || id, :at
    FROM candidate
    WHERE drawn IS NULL
    ORDER BY closeness DESC NULLS LAST, post_id
    LIMIT (SELECT n FROM quota)
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


def add_samples(session: Session, settings: Settings, at: datetime) -> dict[str, int]:
    """Draw the random samples first (blind to scores), then top up the uncertain ones."""
    params = {"at": at, "personal": settings.sample_personal}
    counts = {"random": 0, "uncertain": 0}
    cutoff = int(settings.sample_rate * (1 - settings.sample_uncertain_share) * 2**32)
    if cutoff > 0:
        counts["random"] = len(session.execute(RANDOM_SAMPLE, {**params, "cutoff": cutoff}).all())
    share = settings.sample_rate * settings.sample_uncertain_share
    if share > 0:
        counts["uncertain"] = len(
            session.execute(UNCERTAIN_SAMPLE, {**params, "share": share}).all()
        )
    return counts


def enqueue(
    session: Session, *, at: datetime | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """Group new flags and add quality samples; idempotent. Returns counts."""
    settings = settings or get_settings()
    counts = group_new_flags(session, settings)
    drawn = add_samples(session, settings, now(at))
    counts["samples"] = sum(drawn.values())
    counts["samples_uncertain"] = drawn["uncertain"]
    session.flush()
    return counts
