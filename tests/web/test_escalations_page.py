"""The lead's escalation list: the start of each post, who escalated it and the history, and
the actions that end or expose something set apart, each behind its own confirmation."""

from __future__ import annotations

import re

from pipeline import review

LONG_POST = "Everyone should vote for the Purple Party on Monday. " * 12


def _escalated(db, make, text: str = LONG_POST):
    flag = make.flag(text=text, risk=0.8)
    reviewer, lead = make.user("reviewer"), make.user("lead")
    db.commit()
    assert review.claim_next(db, reviewer).id == flag.id
    review.decide(db, flag.id, reviewer, decision="escalate", clause="partisan", rationale="Lead?")
    db.commit()
    return flag, reviewer, lead


def test_leads_see_the_post_excerpt_and_who_escalated_it(db, make, browser) -> None:
    _flag, reviewer, lead = _escalated(db, make)
    client = browser()
    client.login(lead.email)

    page = client.client.get("/escalations").text

    excerpt = re.search(r'<blockquote class="excerpt">(.*?)</blockquote>', page, re.S).group(1)
    assert excerpt.startswith("Everyone should vote for the Purple Party on Monday.")
    assert excerpt.endswith("…") and len(excerpt) <= 281
    assert f'<dd class="escalated-by">{reviewer.email}, ' in page
    history = re.search(r'<ol class="history">(.*?)</ol>', page, re.S).group(1)
    assert "Escalate to a lead" in history and f"by {reviewer.email}" in history
    assert "Partisan political activity" in page
    api = client.client.get("/api/escalations").json()
    assert api[0]["escalated_by"] == reviewer.email and api[0]["excerpt"] == excerpt


def test_close_reveal_and_reopen_each_need_their_own_confirmation(db, make, browser) -> None:
    flag, _, lead = _escalated(db, make)
    client = browser()
    client.login(lead.email)

    page = client.client.get("/escalations").text

    actions = re.search(r'<details class="lead-actions".*?</details>', page, re.S).group(0)
    forms = re.findall(r'<form method="post" action="([^"]+)".*?</form>', actions, re.S)
    assert forms == [
        f"/flags/{flag.id}/close",
        f"/flags/{flag.id}/reveal",
        f"/flags/{flag.id}/reopen",
    ]
    for form in re.findall(r"<form.*?</form>", actions, re.S):
        assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', form)
    assert "<details" in page and "<details open" not in page  # folded until asked for


def test_the_lead_who_escalated_sees_no_action_but_the_second_lead_notice(db, make, browser):
    flag = make.flag(text="Vote Purple")
    lead = make.user("lead")
    db.commit()
    review.claim_next(db, lead)
    review.decide(db, flag.id, lead, decision="escalate", clause="partisan", rationale="Lead?")
    db.commit()
    client = browser()
    client.login(lead.email)

    page = client.client.get("/escalations").text

    assert 'id="second-lead"' in page and f"/flags/{flag.id}/reveal" not in page
    assert f'<dd class="escalated-by">{lead.email} (you), ' in page


def test_the_list_reads_in_french(db, make, browser) -> None:
    _, _, lead = _escalated(db, make, text="Votez pour le parti Mauve")
    client = browser()
    client.login(lead.email)

    page = client.client.get("/escalations", headers={"Accept-Language": "fr"}).text

    assert "Cas transmis" in page and "Transmis par" in page
    assert "Clore, révéler ou renvoyer dans la file" in page
