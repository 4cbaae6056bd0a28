"""What the employee reads about a flag: the outcome in plain words and the few reasons, built
from the explanation without ever carrying the policy's exemplars."""

from __future__ import annotations

import pytest

from pipeline import i18n
from pipeline.review.own_posts import employee_explanation, outcome, reasons


@pytest.mark.parametrize(
    ("status", "decisions", "sample", "expected"),
    [
        ("open", [], False, "pending"),
        ("claimed", [], False, "in_review"),
        ("escalated", ["escalate"], False, "escalated"),
        ("closed", ["escalate", "refer"], False, "refer"),
        ("closed", ["advise"], False, "advise"),
        ("closed", ["no_concern"], True, "no_concern"),
        ("open", ["advise", "reopen"], False, "reopened"),
        ("open", [], True, "sample"),
    ],
)
def test_each_state_has_one_meaning(status, decisions, sample, expected) -> None:
    assert outcome(status, [{"decision": d} for d in decisions], sample) == expected


def test_the_employees_explanation_has_no_exemplar() -> None:
    ex = {
        "categories": {
            "vulgar": {"score": 0.9, "matched_terms": ["x"], "nearest_exemplars": [{"text": "E"}]}
        },
        "nearest_benign": {"text": "B"},
        "factors": {"tone": {"value": 0.5, "contribution": 0.3}},
    }
    shown = employee_explanation(ex)
    assert "nearest_exemplars" not in str(shown) and "nearest_benign" not in shown
    assert shown["categories"]["vulgar"] == {"score": 0.9, "matched_terms": ["x"]}


def test_reasons_name_the_flagged_categories_then_what_raised_the_risk() -> None:
    ex = {
        "categories": {
            "partisan": {"matched_terms": ["vote", "party", "a", "b", "c", "d"]},
            "vulgar": {"matched_terms": ["oops"]},
        },
        "factors": {
            "tone": {"value": 0.4, "contribution": 0.2},
            "audience": {"value": 9000, "contribution": 0.4},
            "seniority": {"value": "staff", "contribution": -0.2},
        },
    }
    found = [str(r) for r in reasons(ex, ["partisan"])]
    assert found == [
        "It uses words often linked to Partisan political activity: “vote”, “party”, “a”, “b”, “c”.",
        "Your account has a large audience (9000), so the post can travel far.",
        "The tone reads as heated or disrespectful.",
    ]
    with i18n.use_lang("fr"):
        assert str(reasons(ex, ["partisan"])[2]) == "Le ton paraît emporté ou irrespectueux."
    assert reasons(None, ["partisan"]) == []
