"""Both official languages: every marked string has French, no template shows unmarked text,
and the language is chosen as a bilingual service should choose it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline import i18n
from pipeline.labels import LABELS, label
from pipeline.locale.messages import missing

TEMPLATES = sorted((Path(i18n.__file__).parent / "web" / "templates").glob("*.html"))
# attributes whose value a person reads or hears
READ_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "label",
    "hint",
    "heading",
    "description",
    "error-message",
    "value-label",
    "text",
}
JINJA = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}|{{.*?}}|{%.*?%}|{#.*?#}", re.S)
WORDS = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


class _Text(HTMLParser):
    """The text and read attributes left in a template once Jinja's parts are removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and WORDS.search(value):
                self.found.append(f'{tag}[{name}="{value}"]')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and WORDS.search(data):
            self.found.append(data.strip())


def bare_text(source: str) -> list[str]:
    parser = _Text()
    parser.feed(JINJA.sub(" ", source))
    return parser.found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_show_no_text_outside_the_catalogue(template: Path) -> None:
    assert bare_text(template.read_text(encoding="utf-8")) == []


def test_bare_text_is_found_in_text_and_attributes() -> None:
    found = bare_text('<p>{{ _("Queue") }} Claim</p><img alt="A chart"><b>{{ n }}</b> · 3')
    assert found == ["Claim", 'img[alt="A chart"]']


def test_every_marked_string_has_french() -> None:
    assert missing() == {}


def test_the_catalogue_files_agree() -> None:
    seen: dict[str, str] = {}
    from babel.messages.pofile import read_po

    for path in sorted(i18n.CATALOGUES.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if message.id and isinstance(message.string, str) and message.string:
                    assert seen.setdefault(message.id, message.string) == message.string, (
                        f"{path.name} translates {message.id!r} differently"
                    )


def test_labels_are_plain_words_in_both_languages() -> None:
    assert label("government_policy") == "Comment on government policy"
    with i18n.use_lang("fr"):
        assert label("government_policy") == "Commentaire sur une politique gouvernementale"
        assert label("no_concern") == "Aucune préoccupation"
        assert label("something_new") == "something_new"
    assert all(
        i18n.gettext(words, "fr") != words or words in ("Mastodon", "Bluesky")
        for words in LABELS.values()
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-CA, fr;q=0.5", "en"),
        ("de-DE, fr;q=0.3", "fr"),
        ("de-DE", None),
        ("fr;q=0, en;q=0.1", "en"),
        ("", None),
    ],
)
def test_accept_language_picks_the_preferred_official_language(header, expected) -> None:
    assert i18n.from_accept_language(header) == expected


def test_the_cli_language_follows_impartial_lang_then_the_locale(monkeypatch) -> None:
    for name in ("IMPARTIAL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.from_environment() == "en"
    monkeypatch.setenv("LANG", "fr_CA.UTF-8")
    assert i18n.from_environment() == "fr"
    monkeypatch.setenv("IMPARTIAL_LANG", "en")
    assert i18n.from_environment() == "en"


def test_the_first_visit_follows_accept_language_and_the_toggle_sticks(browser) -> None:
    anonymous = browser()
    page = anonymous.client.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert '<html lang="fr">' in page.text
    page = anonymous.client.get("/login")
    assert '<html lang="en">' in page.text
    moved = anonymous.client.get("/lang/fr", params={"next": "/login"})
    assert moved.status_code == 303 and moved.headers["location"] == "/login"
    assert '<html lang="fr">' in anonymous.client.get("/login").text
    assert anonymous.client.get("/fr").headers["location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "x"])
def test_the_toggle_returns_only_to_this_site(browser, target) -> None:
    moved = browser().client.get("/lang/en", params={"next": target})
    assert moved.headers["location"] == "/"


def test_a_signed_in_choice_is_kept_on_the_user(browser, make, db) -> None:
    user = make.user("auditor")
    db.commit()
    first = browser()
    assert first.login(user.email).status_code == 303
    first.client.get("/lang/fr", params={"next": "/audit"})
    second = browser()
    second.login(user.email)
    page = second.client.get("/audit")
    assert '<html lang="fr">' in page.text


def test_a_language_picked_on_the_sign_in_page_stays_after_signing_in(browser, make, db) -> None:
    user = make.user("auditor")
    db.commit()
    visitor = browser()
    visitor.client.get("/lang/fr", params={"next": "/login"})
    assert visitor.login(user.email).status_code == 303
    assert '<html lang="fr">' in visitor.client.get("/audit").text


def test_a_refused_action_is_worded_in_the_users_language(browser, make, db) -> None:
    """The message is built while the route runs: a French-speaking reviewer (saved choice,
    copied into the session at sign-in) reads it in French, an English one in English."""
    make.flag(risk=0.9)
    french, english = make.user("reviewer"), make.user("reviewer")
    french.lang = "fr"
    db.commit()
    answers = {}
    for user in (french, english):
        client = browser()
        assert client.login(user.email).status_code == 303
        lang = user.lang or "en"
        flag_id = client.api("/api/queue/claim").json()["flag_id"]
        refused = client.api(f"/api/flags/{flag_id}/decide", {"decision": "advise"})
        assert refused.status_code == 400
        answers[lang] = refused.json()["detail"]
        nothing = client.api(f"/api/flags/{flag_id}/undo")
        assert nothing.status_code == 409
        answers[f"{lang}-undo"] = nothing.json()["detail"]
        assert client.api(f"/api/flags/{flag_id}/release").status_code == 200
        gone = client.api(f"/api/flags/{flag_id}/undo")  # released: the next one's turn
        assert gone.status_code == 404
        answers[f"{lang}-gone"] = gone.json()["detail"]
    assert answers["fr"] == (
        "pour conseiller ou transmettre, rédigez une justification : dites pourquoi, en une phrase"
    )
    assert answers["en"] == "to advise or escalate, write a rationale: say why, in a sentence"
    assert answers["fr-undo"].startswith("aucune décision de votre part à annuler")
    assert answers["en-undo"].startswith("there is no decision of yours to undo")
    assert answers["fr-gone"].startswith("aucun signalement")
    assert answers["en-gone"].startswith("no such flag, or not one you may open")


def test_a_page_for_another_role_says_so_in_the_users_language(browser, make, db) -> None:
    user = make.user("employee")
    db.commit()
    visitor = browser()
    visitor.login(user.email)
    english = visitor.client.get("/audit")
    visitor.client.get("/lang/fr", params={"next": "/"})
    french = visitor.client.get("/audit")
    assert english.status_code == french.status_code == 403
    assert "this page is for the role Auditor" in english.text
    assert "cette page est réservée au rôle Vérificateur" in french.text
