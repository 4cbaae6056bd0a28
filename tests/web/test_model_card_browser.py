"""A model card in real headless Chromium: from the Reports page to a card, in both languages."""

from __future__ import annotations

from pipeline.db.models import Classifier
from tests.factories import PASSWORD


def test_auditor_opens_a_model_card_from_the_reports_page(live_server, page, db, make) -> None:
    db.add(
        Classifier(
            version="shipped-abc-m",
            policy_version="policy-abc",
            model_id="m",
            status="live",
            params={"kind": "shipped"},
            thresholds={"partisan": 0.35},
            metrics={},
        )
    )
    auditor = make.user("auditor")
    db.commit()
    refused: list[str] = []  # what the content security policy blocked
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    failed: list[str] = []
    page.on(
        "response",
        lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", auditor.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/audit")
    page.goto(f"{live_server}/reports")
    page.click("#model-cards-table >> text=shipped-abc-m")
    page.wait_for_url(f"{live_server}/reports/model-cards/shipped-abc-m")
    assert page.locator("article#model-card h1").text_content() == "Model card: shipped-abc-m"
    assert page.locator("article#model-card h2").count() == 11
    assert page.locator("#card-limits li").count() >= 4
    page.click("#card-lang")
    page.wait_for_url(f"{live_server}/reports/model-cards/shipped-abc-m?lang=fr&days=30")
    assert page.locator("article#model-card").get_attribute("lang") == "fr"
    assert page.locator("#card-limits-heading").text_content() == "Limites connues"
    with page.expect_download() as download:
        page.click("#card-md")
    assert download.value.suggested_filename == "model-card-shipped-abc-m-fr.md"
    assert refused == [] and failed == []
