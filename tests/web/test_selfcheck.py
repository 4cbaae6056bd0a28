"""The self-check page and API with the real classifier: a judgement, and nothing kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.db.models import Base

DRAFT = "Vote Conservative on election day, the Liberals are a disgrace! Views are my own."
MARK = "Conservative"


def row_counts(db) -> dict[str, int]:
    return {
        t.name: db.scalar(sa.select(sa.func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


def audit_rows_with_the_draft(db) -> int:
    return db.scalar(
        sa.text(
            "SELECT count(*) FROM audit_event "
            "WHERE details::text ILIKE :mark OR coalesce(subject_id, '') ILIKE :mark"
        ),
        {"mark": f"%{MARK}%"},
    )


@pytest.fixture
def employee(browser, make, db):
    """A signed-in employee, and existing posts, assessments and flags to compare against."""
    person = make.person()
    user = make.user("employee", person=person)
    make.flag(account=make.account(person), text="An earlier post about the weather")
    make.embedding("An earlier post about the weather", [0.1] * 384)
    db.commit()
    client = browser()
    assert client.login(user.email).status_code == 303
    return client


@pytest.mark.model
def test_selfcheck_page_judges_a_partisan_draft_and_stores_nothing(employee, db) -> None:
    before = row_counts(db)
    assert min(before[t] for t in ("post", "embedding", "assessment", "flag")) == 1
    page = employee.form("/selfcheck", text=DRAFT, audience="20000", seniority="executive")
    assert page.status_code == 200
    assert '<span id="flagged">Partisan political activity' in page.text
    assert 'id="risk"' in page.text and 'id="categories"' in page.text
    assert 'Over the threshold: <span id="flagged">Partisan political activity' in page.text
    assert "Could a reasonable person reading this doubt" in page.text  # the questions
    assert "Disclaimers such as" in page.text  # "views are my own" was set aside
    db.expire_all()
    assert row_counts(db) == before  # no post, embedding, assessment, flag, nor audit event
    assert audit_rows_with_the_draft(db) == 0


@pytest.mark.model
def test_selfcheck_api_returns_the_judgement_and_stores_nothing(employee, db) -> None:
    before = row_counts(db)
    response = employee.api(
        "/api/selfcheck", {"text": DRAFT, "audience": 20000, "seniority": "executive"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert "partisan" in report["flagged"] and report["risk"] > 0.5
    categories = {c["category"]: c for c in report["categories"]}
    assert categories["partisan"]["flagged"] is True
    assert categories["partisan"]["score"] >= categories["partisan"]["threshold"]
    assert report["explanation"]["summary"].startswith("Over threshold")
    assert report["explanation"]["disclaimer_stripped"] is True
    assert report["questions"][0].startswith("Could a reasonable person")
    assert report["factors"]["seniority"]["value"] == "executive"
    db.expire_all()
    assert row_counts(db) == before
    assert audit_rows_with_the_draft(db) == 0


def test_selfcheck_rejects_bad_input_before_loading_a_model(employee, db) -> None:
    bad_band = employee.form("/selfcheck", text=DRAFT, seniority="king")
    assert bad_band.status_code == 400 and "seniority must be one of" in bad_band.text
    assert employee.api("/api/selfcheck", {"text": ""}).status_code == 422
    assert employee.api("/api/selfcheck", {"text": "x" * 10_001}).status_code == 422
    assert audit_rows_with_the_draft(db) == 0
