"""The walk: every page state each role can reach, in English and in French, at 1280 px and at
320 px wide, in real Chromium with the app's content security policy in force.

On each page (``tests/web/walk.py``): axe-core finds no WCAG 2.1 A or AA violation, the page
does not scroll sideways at 320 px, nothing is refused by the content security policy, the page
says which language it is in, and a French page shows no English interface word. Every problem
of a walk is listed at once. ``IMPARTIAL_WALK_OUT=FILE`` appends what each page measured
(violations, scroll width, English words left) to FILE as JSON lines;
``IMPARTIAL_WALK_SHOTS=FOLDER`` saves a screenshot of each page at each width there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline import review
from pipeline.classify import selfcheck
from pipeline.classify.embedding.fake import FakeEmbedder
from pipeline.db.models import AppUser
from pipeline.reports.runner import list_reports
from tests.factories import PASSWORD
from tests.web.walk import Walk

LANGS = ("en", "fr")
LOCALES = {"en": "en-CA", "fr": "fr-CA"}
DRAFTS = {
    "en": "Vote for the Purple Party at the next election, the others are a disgrace!",
    "fr": "Votez pour le Parti violet aux prochaines élections, les autres sont une honte!",
}


@dataclass
class Seeded:
    users: dict[str, AppUser]
    open_flag: int
    decided_flag: int
    escalated_flag: int


def seed(db, make) -> Seeded:
    """One user per role (two leads), flags for the reports (six people in one org unit: a bar;
    one and two in others: "<5" cells), a flag decided about the employee's post, an escalated
    one, open ones."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    author = make.person("Emma Roy", org_unit="Policy Branch")
    users = {
        "reviewer": make.user("reviewer"),
        "lead": make.user("lead"),
        "second_lead": make.user("lead"),
        "auditor": make.user("auditor"),
        "admin": make.user("admin"),
        "employee": make.user("employee", person=author),
    }
    opened = [
        make.flag(
            account=make.account(make.person(org_unit="Policy Branch")),
            created_at=yesterday,
            risk=0.3 + n / 100,
            text=f"Publication {n} : le budget fédéral est une honte",
        )
        for n in range(6)
    ]
    for unit, n in (("Comms", 1), ("Finance", 2)):  # small cells, both withheld ("<5")
        for _ in range(n):
            make.flag(
                account=make.account(make.person(org_unit=unit)),
                created_at=yesterday,
                risk=0.3,
                text=f"Publication de {unit} : votez pour le Parti violet",
            )
    decided = make.flag(
        account=make.account(author), created_at=yesterday, risk=0.95, text="Votez violet!"
    )
    escalated = make.flag(created_at=yesterday, risk=0.9, text="Le ministre est incompétent")
    assert review.claim_next(db, users["reviewer"]).id == decided.id
    review.decide(
        db,
        decided.id,
        users["reviewer"],
        decision="advise",
        clause="partisan",
        rationale="Partisan",
    )
    assert review.claim_next(db, users["lead"]).id == escalated.id
    review.decide(
        db, escalated.id, users["lead"], decision="escalate", clause="partisan", rationale="À voir"
    )
    db.commit()
    return Seeded(users, opened[-1].id, decided.id, escalated.id)


@pytest.fixture
def seeded(db, make, monkeypatch) -> Seeded:
    # The walk checks the self-check's page, not the model: a hashed bag of words stands in
    # for it (tests/web/test_selfcheck.py judges drafts with the real model).
    monkeypatch.setattr(selfcheck, "get_embedder", lambda model_id=None: FakeEmbedder())
    return seed(db, make)


@pytest.fixture(params=LANGS)
def walk(request, chromium, live_server) -> Iterator[Walk]:
    """A browser whose language is the walk's (Accept-Language), on the live app."""
    lang = request.param
    context = chromium.new_context(locale=LOCALES[lang])
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = os.environ.get("IMPARTIAL_WALK_SHOTS")
    walker = Walk(page, live_server, lang, Path(shots) if shots else None)
    yield walker
    out = os.environ.get("IMPARTIAL_WALK_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            for measure in walker.measures:
                handle.write(json.dumps({"walk": request.node.name, **measure}) + "\n")
    context.close()


def sign_in(walk: Walk, user: AppUser, landing: str) -> None:
    walk.goto("/login")
    walk.page.fill("input[name=email]", user.email)
    walk.page.fill("input[name=password]", PASSWORD)
    submit(walk, 'form[action="/login"]')
    walk.page.wait_for_url(f"{walk.base}{landing}")


def visit(walk: Walk, path: str, name: str | None = None) -> None:
    walk.goto(path)
    open_details(walk)
    walk.check(name or path)


def open_details(walk: Walk) -> None:
    """Unfold every <details>, so what it holds is checked too."""
    walk.page.evaluate("() => document.querySelectorAll('details').forEach((d) => (d.open = true))")


def submit(walk: Walk, form: str) -> None:
    """Click the form's submit button: a native one, or the one inside a design-system button
    (the component's box is wider than its button: a click in its middle may miss it)."""
    walk.page.locator(form).locator("button[type=submit]:visible").first.click()


def assert_clean(walk: Walk) -> None:
    assert walk.measures, "the walk checked no page"
    assert walk.problems == [], "\n".join(walk.problems)


def test_walk_signed_out(walk, seeded) -> None:
    visit(walk, "/login")
    walk.page.fill("input[name=email]", seeded.users["reviewer"].email)
    walk.page.fill("input[name=password]", "not the password")
    submit(walk, 'form[action="/login"]')
    walk.page.locator("main [role=alert]").wait_for()
    walk.check("/login (wrong password)")
    visit(walk, "/api/docs")
    visit(walk, "/no/such/page", "error 404")
    assert walk.page.locator("h1").count() == 1
    # the header's toggle leads to the same page in the other language
    walk.goto("/login")
    walk.settle()
    walk.page.locator("gcds-lang-toggle a").click()
    walk.page.wait_for_url(f"{walk.base}/login")
    other = "fr" if walk.lang == "en" else "en"
    assert walk.page.evaluate("() => document.documentElement.lang") == other
    assert_clean(walk)


def test_walk_reviewer(walk, seeded) -> None:
    sign_in(walk, seeded.users["reviewer"], "/queue")
    open_details(walk)
    walk.check("/queue")
    submit(walk, 'form[action="/queue/claim"]')
    walk.page.wait_for_url(f"{walk.base}/flags/*")
    open_details(walk)
    walk.check("/flags/ID (claimed)")
    visit(walk, "/selfcheck")
    other = "fr" if walk.lang == "en" else "en"
    walk.page.locator('form[action="/selfcheck"] textarea').fill(DRAFTS[other])
    submit(walk, 'form[action="/selfcheck"]')
    walk.page.locator("#result").wait_for()
    assert walk.page.locator(f'#questions[lang="{other}"]').count() == 1
    walk.check("/selfcheck (a draft in the other language)")
    visit(walk, "/reports", "error 403")
    assert_clean(walk)


def test_walk_lead(walk, seeded) -> None:
    sign_in(walk, seeded.users["second_lead"], "/queue")
    walk.check("/queue")
    visit(walk, "/escalations")
    visit(walk, f"/flags/{seeded.escalated_flag}", "/flags/ID (escalated, a lead)")
    form = walk.page.locator(f'form[action="/flags/{seeded.escalated_flag}/reveal"]')
    form.locator("[name=reason]").fill("Needed for the follow-up")
    form.locator("[name=confirm]").check()
    submit(walk, f'form[action="/flags/{seeded.escalated_flag}/reveal"]')
    walk.page.wait_for_url(f"{walk.base}/flags/{seeded.escalated_flag}/reveal")
    walk.check("identity (revealed)")
    visit(walk, "/reports")
    visit(walk, "/reports/decision_mix")
    assert_clean(walk)


def test_walk_auditor(walk, seeded) -> None:
    sign_in(walk, seeded.users["auditor"], "/audit")
    walk.check("/audit")
    visit(walk, "/audit?action=auth.login", "/audit (a search)")
    visit(walk, "/reports")
    for report in list_reports():
        visit(walk, f"/reports/{report.name}")
    assert walk.page.locator("svg#chart").count() in (0, 1)
    visit(walk, "/reports/model-cards/live", "model card")
    assert_clean(walk)


def test_walk_employee(walk, seeded) -> None:
    sign_in(walk, seeded.users["employee"], "/me/flags")
    open_details(walk)
    walk.check("/me/flags")
    visit(walk, "/selfcheck")
    walk.page.locator('form[action="/selfcheck"] textarea').fill(DRAFTS[walk.lang])
    submit(walk, 'form[action="/selfcheck"]')
    walk.page.locator("#result").wait_for()
    walk.check("/selfcheck (a draft in the page's language)")
    assert_clean(walk)


def test_walk_admin(walk, seeded) -> None:
    sign_in(walk, seeded.users["admin"], "/admin/users")
    open_details(walk)
    walk.check("/admin/users")
    visit(walk, "/reports")
    assert_clean(walk)
