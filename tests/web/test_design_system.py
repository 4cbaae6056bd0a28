"""The GC Design System served by the app itself: its files, nothing loaded from elsewhere, the
content security policy's nonce for the one style its loader adds, and pages that still work
(and say what to run) when ``make install`` has not put it in place."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request

from pipeline.web import create_app, design_system
from pipeline.web.rendering import templates
from tests.web.conftest import Browser, web_settings

NONCE = re.compile(r'<meta name="csp-nonce" content="([^"]+)">')


def test_the_components_stylesheet_loads_nothing_from_elsewhere() -> None:
    css = (
        '@import url("https://fonts.googleapis.com/css2?family=Lato");:root{--x:1}'
        "@font-face{font-family:gcds-icons;src:url(https://cdn.example/fonts@1/icons/"
        'gcds-icons.ttf) format("truetype"),url(https://cdn.example/icons/gcds-icons.woff)}'
    )
    local = design_system.local_css(css)
    assert "http" not in local and ":root{--x:1}" in local
    assert 'url("/static/gcds-fonts/icons/gcds-icons.woff")' in local
    installed = (design_system.COMPONENTS / "gcds.css").read_text(encoding="utf-8")
    assert "https://" in installed  # what the rewrite is for
    assert not re.search(r"url\(\s*[\"']?https?:", design_system.local_css(installed))
    assert "@import" not in design_system.local_css(installed)


def test_the_design_system_is_served_from_this_site(browser) -> None:
    client = browser().client
    script = client.get("/static/gcds/gcds.esm.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"  # kept, checked again by its ETag
    css = client.get("/static/gcds/gcds.css")
    assert css.status_code == 200 and "--gcds-color-blue-muted" in css.text
    assert "googleapis" not in css.text and "cdn.design-system" not in css.text
    icons = client.get("/static/gcds-fonts/icons/gcds-icons.woff")
    assert icons.status_code == 200 and len(icons.content) > 1000
    page = client.get("/login").text
    assert '<script type="module" src="/static/gcds/gcds.esm.js"></script>' in page
    assert "<gcds-header " in page and 'skip-to-href="#main-content"' in page
    assert '<main id="main-content"' in page


def test_each_page_has_its_own_style_nonce_and_scripts_stay_self_only(browser) -> None:
    client = browser().client
    first, second = client.get("/login"), client.get("/login")
    nonces = []
    for page in (first, second):
        policy = page.headers["content-security-policy"]
        [nonce] = NONCE.findall(page.text)
        assert f"style-src 'self' 'nonce-{nonce}';" in policy
        assert "script-src 'self';" in policy and "unsafe" not in policy
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 20


def test_the_toggle_names_the_other_language_and_comes_back_here(browser) -> None:
    page = browser().client.get("/login", headers={"Accept-Language": "fr-CA"}).text
    assert '<html lang="fr">' in page
    assert 'lang-href="/lang/en?next=%2Flogin"' in page
    assert "Se connecter" in page and "Sign in" not in page


def test_a_missing_design_system_leaves_working_pages_that_say_what_to_run(
    engine, monkeypatch, tmp_path, caplog
) -> None:
    monkeypatch.setattr(design_system, "COMPONENTS", tmp_path / "nothing")
    app = create_app(web_settings())
    assert app.state.design_system is False
    assert "make install" in caplog.text
    client = Browser(app)
    page = client.client.get("/login").text
    assert "run make install" in page and "<gcds-" not in page
    assert '<input id="email" name="email" type="email"' in page  # a native form still posts
    assert client.client.get("/static/gcds/gcds.esm.js").status_code == 404


@pytest.mark.parametrize(
    ("accept", "words"), [("en-CA", "Page not found"), ("fr-CA", "Page introuvable")]
)
def test_an_unknown_address_gets_the_error_page_in_the_readers_language(
    browser, accept, words
) -> None:
    page = browser().client.get("/no/such/page", headers={"Accept-Language": accept})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert words in page.text and f'<html lang="{accept[:2]}">' in page.text
    api = browser().client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_a_page_given_a_notice_shows_it_as_a_status_message(web_app) -> None:
    scope = {
        "type": "http",
        "app": web_app,
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/selfcheck",
        "query_string": b"",
        "headers": [],
        "state": {"csp_nonce": "a-nonce"},
    }
    page = templates.get_template("error.html").render(
        request=Request(scope),
        user=None,
        lang="en",
        other_lang="fr",
        toggle_href="/lang/fr",
        csrf_token="t",
        status=409,
        message="m",
        notice="Decision saved.",
        notice_role="success",
    )
    notice = re.search(r'<div id="notice" role="status">.*?</div>', page, re.S).group(0)
    assert '<gcds-notice notice-role="success" notice-title-tag="h2" notice-title="Done">' in notice
    assert "<gcds-text>Decision saved.</gcds-text>" in notice
    assert '<meta name="csp-nonce" content="a-nonce">' in page
