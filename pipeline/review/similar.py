"""Similar decided flags: the decided flags whose texts lie nearest a flag's, for the reviewer.

A reviewer reads how similar posts were judged, so only posts that are similar count: a
neighbour farther than ``similar_max_distance`` (cosine distance between vectors of the live
classifier's model) is not listed, even when nothing nearer exists. The list never holds a
flag about the viewer's own posts (a conflict of interest, as in ``guards``), another flag on
the same post, or a flag of the same group (copies of one post, covered by one decision).

At a million decided flags an exact search would read every vector of the model for each page
view, so the search goes through the HNSW index of migration 0012. That index holds the
384-dimension vectors (the default model's) under the expression ``vector::vector(384)``: the
query orders by the same expression under ``dim = 384`` so the planner can pick it; vectors of
any other dimension are searched exactly. The index finds neighbours before the filters
(decided, not the viewer's, not this post) apply, and by default stops after
``hnsw.ef_search`` of them; with pgvector's iterative scan (0.8 and later) it goes on until
enough neighbours pass the filters (or ``hnsw.max_scan_tuples`` are read). In relaxed order the
neighbours come back nearly sorted, so the query takes a few more than it shows and sorts those
by their exact distance.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.db.models import AppUser, Flag
from pipeline.review.guards import own_person_ids

INDEXED_DIM = 384  # the dimension of the vectors migration 0012's HNSW index holds
OVERFETCH = 4  # candidates read per flag shown, re-sorted exactly (relaxed order)
# HNSW candidate list: on benchmarks/pages.py's 300k vectors, pgvector's default 40 found 84%
# and 89% of an exact search's similar flags (two builds), 100 found 95% and 89%, for a few
# milliseconds more
EF_SEARCH = 100

# The flag's own vector in the live model, at any precision (the full one first).
QUERY_MODEL = text(
    """
    SELECT mine.model_id, mine.dim FROM embedding mine
    JOIN classifier live ON live.status = 'live'
         AND split_part(mine.model_id, '@', 1) = live.model_id
    WHERE mine.content_hash = :content_hash
    ORDER BY mine.model_id = live.model_id DESC, mine.model_id
    LIMIT 1
    """
)

# {dim} is an integer from the embedding table: a type modifier cannot be a bound parameter,
# and the index's predicate (dim = 384) must be visible to the planner as a constant.
# The candidates are MATERIALIZED and sorted again by "d + 0" (pgvector's advice for relaxed
# order): otherwise PostgreSQL takes the index scan's nearly sorted order for sorted, and stops
# reading candidates after the first few.
NEAREST = """
    WITH near AS MATERIALIZED (
        SELECT f.id, f.category,
               e.vector::vector({dim}) <=> (
                   SELECT q.vector::vector({dim}) FROM embedding q
                   WHERE q.content_hash = :content_hash AND q.model_id = :model_id) AS d
        FROM embedding e
        JOIN flag f ON f.content_hash = e.content_hash AND f.closed_at IS NOT NULL
        WHERE e.dim = {dim} AND e.model_id = :model_id
          AND f.id <> :flag_id AND f.post_id <> :post_id
          AND (CAST(:group_key AS text) IS NULL OR f.group_key IS DISTINCT FROM :group_key)
          AND NOT EXISTS (
              SELECT 1 FROM post p JOIN account a ON a.id = p.account_id
              WHERE p.id = f.post_id AND a.owner_id = ANY(CAST(:own AS integer[])))
        ORDER BY d
        LIMIT :fetch
    )
    SELECT near.id, near.category, r.decision, r.clause, r.rationale, near.d
    FROM near
    JOIN LATERAL (SELECT decision, clause, rationale FROM review
                  WHERE review.flag_id = near.id ORDER BY review.id DESC LIMIT 1) r ON true
    WHERE near.d <= :max_distance
    ORDER BY near.d + 0, near.id
    LIMIT :limit
    """


@cache
def nearest_sql(dim: int) -> TextClause:
    """The search for vectors of ``dim`` dimensions (through the HNSW index at 384)."""
    return text(NEAREST.format(dim=int(dim)))


def similar_decided(
    session: Session,
    flag: Flag,
    viewer: AppUser,
    *,
    limit: int = 5,
    max_distance: float | None = None,
) -> list[dict[str, Any]]:
    """Up to ``limit`` decided flags nearest ``flag`` and within ``max_distance`` (by default
    ``similar_max_distance``), nearest first; none about ``viewer``'s own posts, none on the
    flag's post or in its group. Empty when the flag's text has no vector of the live model.

    Sets the HNSW search settings for the rest of the caller's transaction."""
    search = similar_search(session, flag, viewer, limit=limit, max_distance=max_distance)
    if search is None:
        return []
    rows = session.execute(*search).all()
    return [
        {
            "flag_id": r[0],
            "category": r[1],
            "decision": r[2],
            "clause": r[3],
            "rationale": r[4],
            "distance": round(float(r[5]), 4),
        }
        for r in rows
    ]


def similar_search(
    session: Session,
    flag: Flag,
    viewer: AppUser,
    *,
    limit: int = 5,
    max_distance: float | None = None,
) -> tuple[TextClause, dict[str, Any]] | None:
    """The query ``similar_decided`` runs and its parameters (``None`` when the flag's text has
    no vector of the live model), with the HNSW search settings made for it."""
    if max_distance is None:
        max_distance = get_settings().similar_max_distance
    found = session.execute(QUERY_MODEL, {"content_hash": flag.content_hash}).first()
    if found is None:
        return None
    model_id, dim = found
    session.execute(
        text(
            "SELECT set_config('hnsw.ef_search', :ef, true), "
            "set_config('hnsw.iterative_scan', 'relaxed_order', true)"
        ),
        {"ef": str(max(EF_SEARCH, limit * OVERFETCH))},
    )
    return nearest_sql(dim), {
        "content_hash": flag.content_hash,
        "model_id": model_id,
        "flag_id": flag.id,
        "post_id": flag.post_id,
        "group_key": flag.group_key,
        "own": own_person_ids(session, viewer),
        "fetch": limit * OVERFETCH,
        "max_distance": max_distance,
        "limit": limit,
    }
