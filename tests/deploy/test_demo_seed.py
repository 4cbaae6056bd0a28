"""The demo's data file and its seeding: synthetic, bilingual, idempotent, consent-aware."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.db.models import Account, AppUser, AuditEvent, Consent, Person, Review
from pipeline.demo import dataset, history, logins, seed, summary
from pipeline.demo.platforms import Address
from pipeline.registry import consent
from pipeline.vocabulary import CATEGORIES

DEMO = dataset.load()


def addresses(port: int) -> dict[str, Address]:
    """Where the fakes would serve each demo account, on the given port."""
    out = {}
    for a in DEMO.accounts:
        host = f"http://127.0.0.1:{port}"
        handle = {
            "mastodon": f"{a.name_on_platform}@mastodon.test",
            "bluesky": f"{a.name_on_platform}.bsky.test",
            "rss": f"{host}/feeds/{a.name_on_platform}",
        }[a.platform]
        out[a.key] = Address(a.platform, host, handle)
    return out


def test_demo_posts_cover_every_category_both_languages_and_borderline_cases() -> None:
    expects = Counter(p.expect.split(":")[0] for p in DEMO.posts)
    assert set(CATEGORIES) <= set(expects)
    assert expects["benign"] >= 10 and expects["borderline"] >= 5
    assert {p.lang for p in DEMO.posts} == {"en", "fr"}
    assert 40 <= len(DEMO.posts) <= 60


def test_demo_registry_has_units_seniority_official_and_personal_accounts() -> None:
    assert len({p.org_unit for p in DEMO.people}) >= 4
    assert {p.seniority for p in DEMO.people} >= {"staff", "manager", "executive"}
    assert {a.kind for a in DEMO.accounts} == {"official", "personal"}
    assert {a.platform for a in DEMO.accounts} == {"mastodon", "bluesky", "rss"}
    unscanned = {a.key for a in DEMO.accounts} - {a.key for a in DEMO.scanned_accounts()}
    assert unscanned == {"sam", "julie"}


def test_a_post_of_an_unknown_account_is_named(tmp_path: Path) -> None:
    text = dataset.DEMO_FILE.read_text().replace(
        "- {account: ana, id: a1", "- {account: nobody, id: a1"
    )
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ValueError, match="nobody"):
        dataset.load(tmp_path / "bad.yaml")


def test_seeding_makes_exactly_the_consenting_and_official_accounts_eligible(db: Session) -> None:
    seed.seed(db, DEMO, addresses(5001))
    db.commit()
    eligible = {a.display_name for a in consent.eligible_accounts(db)}
    assert eligible == {a.name for a in DEMO.scanned_accounts()}
    julie = db.scalar(sa.select(Person).where(Person.email == "julie.bergeron@demo.example"))
    assert [c.withdrawn_at is not None for c in julie.consents] == [True]


def test_seeding_again_adds_nothing_and_moves_accounts_to_the_new_fake_ports(db: Session) -> None:
    first = seed.seed(db, DEMO, addresses(5001))
    db.commit()
    assert (first.people_added, first.accounts_added) == (len(DEMO.people), len(DEMO.accounts))
    again = seed.seed(db, DEMO, addresses(5002))
    db.commit()
    assert (again.people_added, again.accounts_added, again.consents_recorded) == (0, 0, 0)
    assert again.accounts_moved == len(DEMO.accounts)
    hosts = set(db.scalars(sa.select(Account.host)))
    assert hosts == {"http://127.0.0.1:5002"}
    assert db.scalar(sa.select(sa.func.count(Consent.id))) == first.consents_recorded
    moves = db.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "account.move")
    )
    assert moves == len(DEMO.accounts)


def test_every_role_gets_a_demo_login_with_a_fresh_verifiable_password(db: Session) -> None:
    from argon2 import PasswordHasher

    seed.seed(db, DEMO, addresses(5001))
    first = {login.role: login for login in logins.demo_logins(db)}
    second = {login.role: login for login in logins.demo_logins(db)}
    assert set(first) == {"reviewer", "lead", "auditor", "admin", "employee"}
    users = {u.role: u for u in db.scalars(sa.select(AppUser))}
    assert len(users) == 5
    for role, login in second.items():
        assert login.password != first[role].password and len(login.password) >= 12
        assert PasswordHasher().verify(users[role].password_hash, login.password)
    assert users["reviewer"].external and users["lead"].external  # none of the demo's people
    employee = db.get(Person, users["employee"].person_id)
    assert employee.email == users["employee"].email
    assert employee.email in {p.email for p in DEMO.people if p.consent == "granted"}


def test_the_posts_start_a_day_before_the_registry_and_stay_put_across_runs(db: Session) -> None:
    before = seed.posts_start(db, DEMO)  # first run: nothing registered yet
    assert clock.now() - before < timedelta(days=1, hours=1)
    seed.seed(db, DEMO, addresses(5001))
    db.commit()
    first = db.scalar(sa.select(sa.func.min(Person.created_at)))
    start = seed.posts_start(db, DEMO)
    assert start == (first - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    assert seed.posts_start(db, DEMO) == start == before


def test_the_summary_never_shows_a_name_beside_a_pseudonym(db: Session, make) -> None:
    seed.seed(db, DEMO, addresses(5001))
    luc = db.scalar(sa.select(Account).where(Account.display_name == "Luc Gagnon"))
    make.flag(make.post(luc, "Vote for the Maple Party"), category="partisan", risk=0.9)
    db.commit()
    report = summary.summarize(db, emails=[p.email for p in DEMO.people])
    assert [line.name for line in report.people] == [p.name for p in DEMO.people]
    (flag,) = report.flags
    assert flag.who == luc.owner.pseudonym and flag.account == "bluesky"
    shown = " ".join(str(v) for v in vars(flag).values())
    assert "Luc" not in shown and "Gagnon" not in shown
    assert {line.consent for line in report.people} == {"active", "none", "withdrawn"}


def test_the_demo_reviewer_decides_three_items_once(db: Session, make) -> None:
    logins.demo_logins(db)
    for risk in (0.9, 0.8, 0.7, 0.6):
        make.flag(risk=risk)
    db.commit()
    assert history.seed_history(db) == 3
    db.commit()
    decisions = db.scalars(sa.select(Review.decision).order_by(Review.id)).all()
    assert decisions == ["advise", "escalate", "no_concern"]
    assert history.seed_history(db) == 0
