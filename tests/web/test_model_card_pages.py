"""Model cards on the Reports page: the list, a card's page per role, its Markdown and JSON
downloads, French, accessible structure, and bad requests."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pipeline.db.models import AuditEvent, Classifier

HOSTILE_MODEL = '<img src=x onerror="alert(1)">'


def versions(db) -> tuple[Classifier, Classifier]:
    live = Classifier(
        version="shipped-abc-m",
        policy_version="policy-abc",
        model_id=HOSTILE_MODEL,
        status="live",
        params={"kind": "shipped"},
        thresholds={"partisan": 0.35},
        metrics={},
    )
    trained = Classifier(
        version="trained-20261101-abc",
        policy_version="policy-abc",
        model_id="fake-bow",
        status="shadow",
        params={"kind": "trained", "mapping": {"partisan": ["partisan"], "benign": []}},
        thresholds={"partisan": 0.41},
        metrics={
            "macro_f1": 0.8123,
            "per_label": {
                "partisan": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 10},
                "benign": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 10},
            },
            "holdout": {"macro_f1": 0.75, "stratified": True, "rows": 8},
        },
    )
    db.add_all([live, trained])
    db.commit()
    return live, trained


def signed_in(browser, make, db, role: str):
    user = make.user(role)
    db.commit()
    client = browser()
    assert client.login(user.email).status_code == 303
    return client


@pytest.mark.parametrize("role", ["auditor", "lead", "admin"])
def test_report_readers_find_every_version_and_open_its_card(browser, make, db, role) -> None:
    live, trained = versions(db)
    client = signed_in(browser, make, db, role)
    index = client.client.get("/reports")
    assert index.status_code == 200
    table = re.search(r'<table id="model-cards-table">.*?</table>', index.text, re.S).group(0)
    for row in (live, trained):
        assert f'href="/reports/model-cards/{row.version}"' in table
        assert f'href="/reports/model-cards/{row.version}?format=md"' in table
    assert "0.812" in table and "0.750" in table and "not measured" in table
    page = client.client.get(f"/reports/model-cards/{trained.version}")
    assert page.status_code == 200
    assert f"<h1>Model card: {trained.version}</h1>" in page.text


@pytest.mark.parametrize("role", ["reviewer", "employee"])
def test_other_roles_may_not_read_model_cards(browser, make, db, role) -> None:
    live, _ = versions(db)
    client = signed_in(browser, make, db, role)
    for url in (f"/reports/model-cards/{live.version}", "/reports/model-cards/live?format=json"):
        response = client.client.get(url)
        assert response.status_code == 403 and "for the role" in response.text


def test_a_card_page_is_structured_for_assistive_technology(browser, make, db) -> None:
    _, trained = versions(db)
    client = signed_in(browser, make, db, "auditor")
    page = client.client.get(f"/reports/model-cards/{trained.version}").text
    article = re.search(r'<article id="model-card" lang="en">.*</article>', page, re.S).group(0)
    assert article.count("<h1>") == 1 and article.count("<h2 ") == 11
    headers = re.findall(r"<th( scope=\"(?:col|row)\")?>", article)
    assert headers and all(scope for scope in headers)  # every header cell says what it heads
    assert article.count("<caption") >= 3
    # not measured is said in words, never an empty cell
    assert "<td></td>" not in article and "not measured" in article
    # the held-out estimate is named as such
    assert '<th scope="col">held out (stratified)</th>' in article


def test_the_french_card_page_is_marked_french(browser, make, db) -> None:
    _, trained = versions(db)
    client = signed_in(browser, make, db, "lead")
    page = client.client.get(f"/reports/model-cards/{trained.version}?lang=fr").text
    assert '<article id="model-card" lang="fr">' in page
    assert '<h2 id="card-limits-heading">Limites connues</h2>' in page
    assert "0,812" in page and "non mesuré" in page
    assert 'hreflang="en" lang="en">English version</a>' in page


def test_downloads_are_markdown_and_json_of_the_same_card(browser, make, db) -> None:
    live, _ = versions(db)
    client = signed_in(browser, make, db, "auditor")
    md = client.client.get("/reports/model-cards/live?format=md&lang=fr&days=7")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.headers["content-disposition"] == (
        'attachment; filename="model-card-shipped-abc-m-fr.md"'
    )
    assert md.text.startswith("# Fiche de modèle\u00a0: shipped-abc-m")
    js = client.client.get("/reports/model-cards/live?format=json&days=7")
    card = js.json()
    assert (card["version"], card["lang"], card["disagreement"]["days"]) == (live.version, "en", 7)
    assert js.headers["content-disposition"].endswith('-en.json"')
    # reading a card writes nothing to the audit log (it holds no personal information)
    cards_read = db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("%card%"))
    )
    assert cards_read == 0


def test_stored_values_stay_text_on_the_card_page(browser, make, db) -> None:
    live, _ = versions(db)
    client = signed_in(browser, make, db, "auditor")
    page = client.client.get(f"/reports/model-cards/{live.version}").text
    assert HOSTILE_MODEL not in page and "&lt;img src=x onerror=" in page


def test_bad_card_requests_get_a_clear_answer(browser, make, db) -> None:
    versions(db)
    client = signed_in(browser, make, db, "auditor")
    unknown = client.client.get("/reports/model-cards/nope")
    assert unknown.status_code == 404 and "no classifier version" in unknown.text
    bad_lang = client.client.get("/reports/model-cards/live?lang=de")
    assert bad_lang.status_code == 400 and "en or fr" in bad_lang.text
    bad_format = client.client.get("/reports/model-cards/live?format=pdf")
    assert bad_format.status_code == 400 and "html, md or json" in bad_format.text
