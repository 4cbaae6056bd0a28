"""The flag page explains the machine's suggestion in words and tables a reviewer can read."""

from __future__ import annotations

from pipeline import review
from pipeline.db.models import Assessment

EXPLANATION = {
    "summary": "Over threshold: partisan 0.81; terms: vote for, Purple Party.",
    "disclaimer_stripped": True,
    "classifier_version": "shipped-abc",
    "categories": {
        "partisan": {
            "score": 0.81,
            "threshold": 0.35,
            "flagged": True,
            "matched_terms": ["vote for", "Purple Party"],
            "nearest_exemplars": [
                {"lang": "en", "text": "Vote Orange on Monday!", "similarity": 0.62}
            ],
        },
        "vulgar": {
            "score": 0.05,
            "threshold": 0.35,
            "flagged": False,
            "matched_terms": [],
            "nearest_exemplars": [],
        },
    },
}
FACTORS = {
    "audience": {"value": 9100, "contribution": 0.34},
    "seniority": {"value": "executive", "contribution": 0.6},
    "tone": {"value": None, "contribution": 0.0},
}


def test_the_explanation_is_rendered_as_tables_not_raw_data(db, make, browser) -> None:
    flag = make.flag(text="Vote for the Purple Party, views are my own")
    stored = db.get(Assessment, flag.assessment_id)
    stored.explanation, stored.factors = EXPLANATION, FACTORS
    reviewer = make.user("reviewer")
    db.commit()
    review.claim_next(db, reviewer)
    db.commit()
    client = browser()
    client.login(reviewer.email)

    page = client.client.get(f"/flags/{flag.id}").text

    assert "reasonable person" in page
    assert "Over threshold: partisan 0.81" in page
    assert "views are my own" in page  # the disclaimer note
    assert "<td>vote for, Purple Party</td>" in page
    assert "Vote Orange on Monday!" in page and "(0.62)" in page
    assert "<td>Executive</td><td>+0.60</td>" in page
    assert "<td>unknown</td>" in page  # an unknown factor is said so
    assert "{&#39;score&#39;" not in page and "{'score'" not in page


def test_the_page_says_which_model_scored_the_post(db, make, browser) -> None:
    reviewers = [make.user("reviewer") for _ in PATHS]
    flags = {path: make.flag(text=f"Vote for the Purple Party ({path})") for path in PATHS}
    for path, flag in flags.items():
        stored = db.get(Assessment, flag.assessment_id)
        stored.explanation = {**EXPLANATION, "scored_path": path} if path else EXPLANATION
    db.commit()
    pages = {}
    for reviewer in reviewers:  # each holds one claim
        claimed = review.claim_next(db, reviewer)
        db.commit()
        client = browser()
        client.login(reviewer.email)
        path = next(p for p, f in flags.items() if f.id == claimed.id)
        pages[path] = client.client.get(f"/flags/{claimed.id}").text
    assert "Scored by the fast screen" in pages["screen"]
    assert "the full model did not run" in pages["screen"]
    assert "Scored by the full model" in pages["full model"]
    assert "Scored by" not in pages[None]  # the plain path needs no word on it
    assert "scored path" not in pages["screen"]  # not repeated as raw data


PATHS = ["screen", "full model", None]
