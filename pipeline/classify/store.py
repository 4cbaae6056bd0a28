"""Stored classifier versions at run time: the live one (the shipped policy classifier when none
is live yet) and the ``Assessor`` that runs a stored version.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.scoring import Head
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.cache import embed_cached
from pipeline.classify.guidance import Policy, load_policy
from pipeline.config import get_settings
from pipeline.db.models import Classifier


def shipped_version(policy: Policy, model_id: str) -> str:
    return f"shipped-{policy.version.removeprefix('policy-')}-{model_id}"[:100]


def ensure_live_classifier(
    session: Session, *, policy: Policy | None = None, model_id: str | None = None
) -> Classifier:
    """The live classifier; installs the shipped policy classifier when none is live."""
    live = session.scalar(sa.select(Classifier).where(Classifier.status == "live"))
    if live is not None:
        return live
    policy = policy or load_policy()
    if model_id is None:
        model_id = get_settings().model
    version = shipped_version(policy, model_id)
    row = session.scalar(sa.select(Classifier).where(Classifier.version == version))
    if row is None:
        row = Classifier(
            version=version,
            policy_version=policy.version,
            model_id=model_id,
            params={"kind": "shipped"},
            thresholds={c: policy.threshold(c) for c in policy.categories},
            metrics={},
        )
        session.add(row)
    row.status = "live"
    row.activated_at = datetime.now(UTC)
    session.flush()
    return row


def assessor_for(
    session: Session, classifier: Classifier, embedder: Embedder, policy: Policy | None = None
) -> Assessor:
    """The runtime of a stored classifier version (exemplar vectors from the cache)."""
    policy = policy or load_policy()
    index = exemplar_index(
        policy, embedder.model_id, lambda texts: embed_cached(session, embedder, texts)
    )
    head = Head.from_params(classifier.params["head"]) if "head" in classifier.params else None
    thresholds = {c: policy.threshold(c) for c in policy.categories}
    thresholds.update({k: float(v) for k, v in (classifier.thresholds or {}).items()})
    return Assessor(policy, index, thresholds, head, classifier.version)
