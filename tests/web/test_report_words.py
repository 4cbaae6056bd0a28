"""The reports in the reader's language: titles, descriptions, column headings and the
identifiers in their cells, while the CSV keeps the SQL's column ids."""

from __future__ import annotations

import re

from pipeline import i18n
from pipeline.reports.runner import list_reports, run_report
from pipeline.web import report_texts
from tests.factories import T0

PERIOD = "from=2026-11-01&to=2026-11-07"


def test_every_report_has_its_title_and_description_in_french() -> None:
    for info in list_reports():
        for english in (info.title, info.description):
            assert english in report_texts.SQL_TEXTS, f"{info.name}: mark {english!r}"
            assert i18n.gettext(english, "fr") != english, english


def test_every_column_of_every_report_has_a_heading(engine) -> None:
    for info in list_reports():
        for column in run_report(info.name).columns:
            assert column in report_texts.COLUMNS, f"{info.name}: no heading for {column}"
    with i18n.use_lang("fr"):
        assert report_texts.column("org_unit") == "Unité organisationnelle"
        assert report_texts.value("all") == "Tous" and report_texts.value("staff") == "Personnel"
        assert report_texts.value(12.5) == "12,5" and report_texts.value(7) == 7
        assert report_texts.value("Policy Branch") == "Policy Branch"


def test_a_french_reader_sees_the_report_in_french_and_the_csv_keeps_its_ids(
    browser, make, db
) -> None:
    for _ in range(6):
        make.flag(account=make.account(make.person(org_unit="Policy Branch")), created_at=T0)
    lead = make.user("lead")
    db.commit()
    client = browser()
    assert client.login(lead.email).status_code == 303
    client.client.get("/lang/fr", params={"next": "/reports"})
    page = client.client.get(f"/reports/flags_by_org_unit?{PERIOD}").text
    assert "<h1>Signalements par unité organisationnelle et par niveau hiérarchique</h1>" in page
    headings = re.findall(r'<th scope="col">([^<]+)</th>', page)
    assert headings[:3] == ["Unité organisationnelle", "Niveau hiérarchique", "Signalements"]
    assert "<td>Personnel</td>" in page and "<title>Policy Branch · Personnel : 6</title>" in page
    assert 'class="axis-title"' in page and "Diagramme à barres empilées" in page
    csv = client.client.get(f"/reports/flags_by_org_unit.csv?{PERIOD}").text
    assert csv.splitlines()[0].startswith("org_unit,seniority_band,flags")
    index = client.client.get("/reports").text
    assert "Répartition des décisions par catégorie" in index
