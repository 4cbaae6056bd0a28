"""Context factors from the guidance (audience, seniority, relevance to work, tone) and the risk.

risk = sigmoid(logit(top category score) + sum of factor contributions). Every contribution
is a non-decreasing function of its factor, so the risk is monotonic in each factor and in
the score; an unknown factor contributes nothing (neutral).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pipeline.classify.guidance import LexiconMatch, Policy, fold


@dataclass(frozen=True)
class Context:
    """What is known about where a text is (or will be) posted; None = unknown."""

    audience: int | None = None
    seniority: str | None = None
    org_unit: str | None = None


def relevance(match: LexiconMatch, text: str, org_unit: str | None) -> float:
    """How much the text touches government work or the owner's own organization, in [0, 1]."""
    value = min(1.0, 0.5 * match.count("work"))
    if org_unit and len(org_unit) >= 3 and fold(org_unit) in fold(text):
        value = 1.0
    return value


def tone(match: LexiconMatch, text: str) -> float:
    """Heat of the tone in [0, 1]: heated words, insults, shouting, exclamation marks."""
    letters = [c for c in text if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 12 else 0.0
    bangs = len(re.findall(r"!", text))
    raw = (
        0.35 * match.count("tone")
        + 0.35 * match.count("vulgar")
        + 0.15 * min(bangs, 3)
        + (0.4 if caps > 0.6 else 0.0)
    )
    return min(1.0, raw)


def contributions(
    policy: Policy, context: Context, relevance_value: float, tone_value: float
) -> dict[str, dict[str, Any]]:
    """Each factor's value and its contribution to the risk's log-odds."""
    spec = policy.spec.context
    out: dict[str, dict[str, Any]] = {}
    if context.audience is None:
        out["audience"] = {"value": None, "contribution": 0.0}
    else:
        decades = math.log10(max(context.audience, 1) / spec.audience.reference)
        decades = max(-spec.audience.max_decades, min(spec.audience.max_decades, decades))
        out["audience"] = {
            "value": context.audience,
            "contribution": spec.audience.weight_per_decade * decades,
        }
    band = context.seniority
    out["seniority"] = {
        "value": band,
        "contribution": float(spec.seniority.get(band, 0.0)) if band else 0.0,
    }
    out["relevance"] = {
        "value": round(relevance_value, 3),
        "contribution": spec.relevance_weight * relevance_value,
    }
    out["tone"] = {"value": round(tone_value, 3), "contribution": spec.tone_weight * tone_value}
    for factor in out.values():
        factor["contribution"] = round(float(factor["contribution"]), 4)
    return out


def combine(top_score: float, factors: dict[str, dict[str, Any]]) -> float:
    """The risk in [0, 1] from the top category score and the factors' contributions."""
    p = min(max(top_score, 1e-6), 1 - 1e-6)
    logit = math.log(p / (1 - p)) + sum(f["contribution"] for f in factors.values())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))
