from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.db.models import AuditEvent
from pipeline.errors import InputError
from pipeline.registry import accounts, consent, people

T0 = datetime(2026, 6, 1, tzinfo=UTC)
ACTOR = "cli:test"


def _person(db: Session, email: str = "ana@example.org", **kw) -> None:
    people.add_person(
        db,
        email,
        name="Ana Roy",
        org_unit=kw.get("unit", "Policy"),
        seniority=kw.get("seniority", "staff"),
        actor=ACTOR,
    )


def _account(db: Session, handle: str, kind: str = "personal", owner: str | None = None):
    spec = accounts.AccountSpec(
        "mastodon", handle, kind, owner=owner, org_unit=None if owner else "Comms"
    )
    return accounts.add_account(db, spec, actor=ACTOR)


def _eligible_ids(db: Session, at: datetime) -> set[int]:
    return {a.id for a in consent.eligible_accounts(db, at)}


def test_official_accounts_are_eligible_without_consent(db: Session) -> None:
    official = _account(db, "@dept@gov.example", kind="official")
    assert _eligible_ids(db, T0) == {official.id}


def test_personal_accounts_need_a_consent_in_force(db: Session) -> None:
    _person(db)
    mine = _account(db, "@ana@social.example", owner="ana@example.org")
    assert _eligible_ids(db, T0) == set()

    consent.grant_consent(
        db,
        "ana@example.org",
        evidence="form 1",
        actor=ACTOR,
        at=T0,
        expires_at=T0 + timedelta(days=30),
    )
    assert _eligible_ids(db, T0 - timedelta(seconds=1)) == set()  # not yet granted
    assert _eligible_ids(db, T0 + timedelta(days=1)) == {mine.id}
    assert _eligible_ids(db, T0 + timedelta(days=30)) == set()  # expired


def test_withdrawn_consent_stops_eligibility_from_the_withdrawal_on(db: Session) -> None:
    _person(db)
    mine = _account(db, "@ana@social.example", owner="ana@example.org")
    consent.grant_consent(db, "ana@example.org", evidence="form 1", actor=ACTOR, at=T0)
    withdrawn_at = T0 + timedelta(days=3)
    consent.withdraw_consent(db, "ana@example.org", actor=ACTOR, at=withdrawn_at)
    assert _eligible_ids(db, withdrawn_at - timedelta(seconds=1)) == {mine.id}
    assert _eligible_ids(db, withdrawn_at) == set()
    assert [consent.consent_state(c, withdrawn_at) for c in consent.list_consents(db)] == [
        "withdrawn"
    ]


def test_account_scoped_consent_covers_only_that_account(db: Session) -> None:
    _person(db)
    first = _account(db, "@ana@social.example", owner="ana@example.org")
    _account(db, "@ana2@social.example", owner="ana@example.org")
    consent.grant_consent(
        db, "ana@example.org", evidence="form", actor=ACTOR, at=T0, account_id=first.id
    )
    assert _eligible_ids(db, T0 + timedelta(hours=1)) == {first.id}


def test_deactivated_accounts_are_never_eligible(db: Session) -> None:
    official = _account(db, "@dept@gov.example", kind="official")
    accounts.deactivate_account(db, official.id, actor=ACTOR)
    assert _eligible_ids(db, clock.now()) == set()
    with pytest.raises(InputError, match="already deactivated"):
        accounts.deactivate_account(db, official.id, actor=ACTOR)


def test_every_registry_change_is_audited(db: Session) -> None:
    _person(db)
    _account(db, "@ana@social.example", owner="ana@example.org")
    consent.grant_consent(db, "ana@example.org", evidence="form", actor=ACTOR)
    consent.withdraw_consent(db, "ana@example.org", actor=ACTOR)
    db.flush()
    actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["person.add", "account.add", "consent.grant", "consent.withdraw"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (accounts.AccountSpec("mastodon", "@x@social.example", "personal"), "needs an owner"),
        (accounts.AccountSpec("mastodon", "@x@social.example", "official"), "org unit or an owner"),
        (
            accounts.AccountSpec("mastodon", "@x@social.example", "secret", org_unit="U"),
            "unknown account kind",
        ),
        (
            accounts.AccountSpec(
                "mastodon", "@x@social.example", "personal", owner="who@example.org"
            ),
            "no person registered",
        ),
    ],
)
def test_invalid_accounts_are_rejected(db: Session, spec, message) -> None:
    with pytest.raises(InputError, match=message):
        accounts.add_account(db, spec, actor=ACTOR)


def test_duplicate_accounts_are_rejected(db: Session) -> None:
    _account(db, "@dept@gov.example", kind="official")
    with pytest.raises(InputError, match="already registered"):
        _account(db, "@DEPT@gov.example", kind="official")


def test_consent_rules(db: Session) -> None:
    with pytest.raises(InputError, match="no person registered"):
        consent.grant_consent(db, "nobody@example.org", evidence="x", actor=ACTOR)
    _person(db)
    with pytest.raises(InputError, match="needs evidence"):
        consent.grant_consent(db, "ana@example.org", evidence=" ", actor=ACTOR)
    with pytest.raises(InputError, match="not after the grant"):
        consent.grant_consent(
            db,
            "ana@example.org",
            evidence="x",
            actor=ACTOR,
            at=T0,
            expires_at=T0 - timedelta(days=1),
        )
    with pytest.raises(InputError, match="no consent to withdraw"):
        consent.withdraw_consent(db, "ana@example.org", actor=ACTOR)


def test_csv_import_is_all_or_nothing_and_names_the_bad_line(db: Session) -> None:
    _person(db)
    good = (
        "platform,handle,kind,owner,org_unit\n"
        "mastodon,@dept@gov.example,official,,Comms\n"
        "rss,https://news.example.org/feed.xml,official,,Comms\n"
    )
    bad = good + "bluesky,not a handle,official,,Comms\n"
    with pytest.raises(InputError, match="line 4: malformed Bluesky handle"):
        accounts.import_accounts(db, bad, actor=ACTOR)
    db.rollback()
    assert accounts.list_accounts(db) == []
    assert len(accounts.import_accounts(db, good, actor=ACTOR)) == 2
