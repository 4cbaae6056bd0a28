"""The self-check page in both languages: its questions and category descriptions follow the
draft's language, marked as such when it is not the page's. (A hashed bag of words stands in
for the model: test_selfcheck.py judges drafts with the real one.)"""

from __future__ import annotations

import re

import pytest

from pipeline.classify import selfcheck
from pipeline.classify.embedding.fake import FakeEmbedder

FRENCH = "Votez pour le Parti violet aux prochaines élections, les autres sont une honte!"
ENGLISH = "Vote for the Purple Party at the next election, the others are a disgrace!"


@pytest.fixture
def employee(browser, make, db, monkeypatch):
    monkeypatch.setattr(selfcheck, "get_embedder", lambda model_id=None: FakeEmbedder())
    user = make.user("employee", person=make.person())
    db.commit()
    client = browser()
    assert client.login(user.email).status_code == 303
    return client


def questions(page: str) -> str:
    return re.search(r'<ol id="questions"[^>]*>', page).group(0)


def test_a_french_draft_on_an_english_page_gets_french_questions_marked_french(employee):
    page = employee.form("/selfcheck", text=FRENCH, audience="300", seniority="manager").text
    assert '<html lang="en">' in page
    assert questions(page) == '<ol id="questions" lang="fr">'
    assert "Une personne raisonnable qui lit ceci" in page
    assert '<td lang="fr">Appuie ou attaque un parti politique' in page
    # the form keeps what was sent, and the interface stays English
    assert 'value="300"' in page and '<option value="manager" selected>Manager</option>' in page
    assert "Ask yourself" in page and "Seniority band" in page


def test_an_english_draft_on_a_french_page_gets_english_questions_marked_english(employee):
    employee.client.get("/lang/fr", params={"next": "/selfcheck"})
    page = employee.form("/selfcheck", text=ENGLISH).text
    assert '<html lang="fr">' in page and "Posez-vous ces questions" in page
    assert questions(page) == '<ol id="questions" lang="en">'
    assert "Could a reasonable person reading this doubt" in page
    assert "Non précisé" in page  # the seniority band's empty choice, in French


def test_a_draft_in_the_pages_language_needs_no_mark(employee):
    page = employee.form("/selfcheck", text=ENGLISH).text
    assert questions(page) == '<ol id="questions">'
