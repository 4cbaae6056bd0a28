"""The employee's self-check before posting: the same judgement a post would get, stored
nowhere and audited nowhere (the text never leaves this function)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.risk import Context
from pipeline.classify.core.scoring import Head
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.factory import get_embedder
from pipeline.classify.guidance import Policy, load_policy
from pipeline.db.models import Classifier
from pipeline.errors import InputError
from pipeline.vocabulary import SENIORITY_BANDS

MAX_CHARS = 10_000

log = logging.getLogger(__name__)


def _live(session: Session | None) -> Classifier | None:
    if session is None:
        return None
    return session.scalar(sa.select(Classifier).where(Classifier.status == "live"))


def _assessor(live: Classifier | None, policy: Policy, embedder: Embedder) -> Assessor:
    # Exemplar vectors come straight from the model (not the cache) so nothing is written.
    index = exemplar_index(policy, embedder.model_id, embedder.encode)
    thresholds = {c: policy.threshold(c) for c in policy.categories}
    head, version = None, "shipped"
    if live is not None and live.model_id == embedder.model_id:
        version = live.version
        thresholds.update({k: float(v) for k, v in (live.thresholds or {}).items()})
        if "head" in live.params:
            head = Head.from_params(live.params["head"])
    return Assessor(policy, index, thresholds, head, version)


def _embedder_for(live: Classifier | None) -> Embedder:
    """The live version's model; the configured one (and so the shipped policy) when the live
    version's model cannot be loaded here: a draft is still checked, never refused for that."""
    if live is None:
        return get_embedder()
    try:
        return get_embedder(live.model_id)
    except (OSError, ValueError, InputError) as exc:
        log.warning("self-check: the live model %s is not available here (%s)", live.model_id, exc)
        return get_embedder()


def check_text(
    text: str,
    *,
    audience: int | None = None,
    seniority: str | None = None,
    org_unit: str | None = None,
    lang: str = "en",
    session: Session | None = None,
    embedder: Embedder | None = None,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """Categories, risk, explanation and the reasonable-person questions for a draft (JSON-able).

    ``session`` (optional, only read) selects the live classifier, which runs on its own model
    (a fine-tuned version's is its own); without it the shipped policy is used. Nothing is
    stored.
    """
    if not text or not text.strip():
        raise InputError("nothing to check: the text is empty")
    if len(text) > MAX_CHARS:
        raise InputError(f"the text is longer than {MAX_CHARS} characters")
    if seniority is not None and seniority not in SENIORITY_BANDS:
        raise InputError(f"seniority must be one of {', '.join(SENIORITY_BANDS)}")
    if audience is not None and audience < 0:
        raise InputError("audience must be zero or more")
    policy = policy or load_policy()
    live = _live(session)
    embedder = embedder or _embedder_for(live)
    assessor = _assessor(live, policy, embedder)
    scored = policy.strip_disclaimers(text)
    vectors = embedder.encode([scored])
    context = Context(audience=audience, seniority=seniority, org_unit=org_unit)
    judgement = assessor.judge([scored], vectors, [context], stripped=[scored != text.strip()])[0]
    language = "fr" if lang.lower().startswith("fr") else "en"
    return {
        "categories": [
            {
                "category": c,
                "description": policy.spec.categories[c].description.model_dump()[language],
                "score": judgement.scores[c],
                "threshold": assessor.thresholds[c],
                "flagged": c in judgement.flagged,
            }
            for c in policy.categories
        ],
        "flagged": judgement.flagged,
        "risk": judgement.risk,
        "factors": judgement.factors,
        "explanation": judgement.explanation,
        "questions": policy.spec.questions[language],
        "note": (
            "Disclaimers such as 'views are my own' were set aside: the guidance says they "
            "do not remove the risk."
            if judgement.explanation["disclaimer_stripped"]
            else None
        ),
        "policy_version": policy.version,
        "classifier_version": assessor.version,
    }
