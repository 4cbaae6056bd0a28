"""Consent withdrawal: the consent is withdrawn and, in the same transaction, the content of every
account it no longer covers is purged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import Consent
from pipeline.privacy.purge import purge_account_content, unconsented_accounts
from pipeline.registry import consent


def withdraw_and_purge(
    session: Session,
    email: str,
    *,
    actor: str,
    consent_id: int | None = None,
    at: datetime | None = None,
) -> tuple[list[Consent], dict[str, int]]:
    """Withdraw consent and, in the same transaction, purge every account it no longer covers.

    An account still covered by another consent in force (e.g. a general one when an
    account-scoped consent is withdrawn) keeps its content.
    """
    at = at or now()
    withdrawn = consent.withdraw_consent(session, email, actor=actor, consent_id=consent_id, at=at)
    session.flush()
    person_id = withdrawn[0].person_id
    counts = purge_account_content(
        session,
        unconsented_accounts(session, at, person_id),
        actor=actor,
        reason="consent withdrawn",
        at=at,
    )
    return withdrawn, counts
