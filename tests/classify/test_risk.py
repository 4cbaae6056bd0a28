"""Risk is monotonic in each context factor and in the score; explanations are readable."""

from __future__ import annotations

import pytest

from pipeline.classify.core import risk
from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.risk import Context


def factors(policy, **kw):
    relevance = kw.pop("relevance", 0.0)
    tone = kw.pop("tone", 0.0)
    return risk.contributions(policy, Context(**kw), relevance, tone)


def test_risk_grows_with_audience(policy):
    values = [risk.combine(0.5, factors(policy, audience=a)) for a in (10, 1000, 100_000, 10**7)]
    assert values == sorted(values) and values[0] < values[-1]


def test_risk_grows_with_seniority(policy):
    bands = ["staff", "supervisor", "manager", "executive"]
    values = [risk.combine(0.5, factors(policy, seniority=b)) for b in bands]
    assert values == sorted(values) and values[0] < values[-1]


@pytest.mark.parametrize("name", ["relevance", "tone"])
def test_risk_grows_with_relevance_and_tone(policy, name):
    values = [risk.combine(0.5, factors(policy, **{name: v})) for v in (0.0, 0.3, 0.7, 1.0)]
    assert values == sorted(values) and values[0] < values[-1]


def test_risk_grows_with_the_category_score(policy):
    f = factors(policy, audience=5000, seniority="manager")
    values = [risk.combine(s, f) for s in (0.05, 0.3, 0.6, 0.95)]
    assert values == sorted(values) and values[0] < values[-1]


def test_unknown_factors_are_neutral(policy):
    f = factors(policy)
    assert all(v["contribution"] == 0 for v in f.values())
    assert risk.combine(0.42, f) == pytest.approx(0.42)


def test_relevance_and_tone_are_read_from_the_text(policy):
    calm = policy.lexicon.match("Lovely walk by the river today")
    work = "My department's new policy memo is out, my minister will brief the public service"
    assert risk.relevance(policy.lexicon.match(work), work, None) == 1.0
    assert risk.relevance(calm, "Lovely walk", "Policy Branch") == 0.0
    assert risk.relevance(calm, "Big news from the Policy Branch today", "Policy Branch") == 1.0
    heated = "This is a DISGRACE, what a corrupt and incompetent bunch!!!"
    assert risk.tone(policy.lexicon.match(heated), heated) > risk.tone(calm, "Lovely walk")


def test_explanation_names_exemplars_terms_and_factor_contributions(policy, fake_embedder):
    index = exemplar_index(policy, fake_embedder.model_id, fake_embedder.encode)
    assessor = Assessor(policy, index, {c: policy.threshold(c) for c in policy.categories})
    text = "Vote Conservative on election day, the Liberals have failed us"
    [judgement] = assessor.judge(
        [text], fake_embedder.encode([text]), [Context(audience=50_000, seniority="executive")]
    )
    explanation = judgement.explanation
    partisan = explanation["categories"]["partisan"]
    assert "partisan" in judgement.flagged
    assert {"vote", "conservative", "election", "liberals"} <= {
        t.lower() for t in partisan["matched_terms"]
    }
    nearest = partisan["nearest_exemplars"][0]
    assert nearest["text"].startswith("Vote Conservative on election day")
    assert 0 < nearest["similarity"] <= 1
    assert set(partisan["contributions"]) == {"contrast", "similarity", "lexicon", "bias"}
    assert explanation["factors"]["audience"]["contribution"] > 0
    assert explanation["factors"]["seniority"]["contribution"] > 0
    assert "partisan" in explanation["summary"] and "audience" in explanation["summary"]
    assert judgement.risk > judgement.scores["partisan"]
