"""Revealing who wrote an escalated flag's post: a lead's act, with a stated reason, audited.

Reviewers work blind. Only a lead sees the identity (name, email, handle, link of a personal
account), only on an escalated flag, never on a flag about their own posts, and never on an
escalation they raised themselves (a second lead reveals: ``duties``). Every reveal states why
the identity is needed; the reason is kept in the ``identity.reveal`` audit event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import Account, AppUser, Person, Post
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.review.duties import check_second_lead
from pipeline.review.errors import NotAllowed
from pipeline.review.guards import audit_flag, require_role, visible_flag
from pipeline.review.status import flag_status

MAX_REASON_CHARS = 1000


def reveal_reason(reason: str | None) -> str:
    """The stated reason for a reveal, stripped; ``InputError`` when blank or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reveal needs a reason: say why the author's identity is needed"))
    if len(reason) > MAX_REASON_CHARS:
        raise InputError(_("keep the reason under %(n)s characters") % {"n": MAX_REASON_CHARS})
    return reason


def reveal_identity(
    session: Session,
    flag_id: int,
    lead: AppUser,
    *,
    reason: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Who posted an escalated flag's post, for a second lead who states why; audited."""
    require_role(lead, "lead")
    reason = reveal_reason(reason)
    at = now(at)
    flag = visible_flag(session, flag_id, lead)
    if flag_status(session, flag, at) != "escalated":
        raise NotAllowed(_("identities are revealed only on escalated flags"))
    check_second_lead(session, lead, flag, action=_("reveal the author's identity"))
    post = session.get(Post, flag.post_id)
    account = session.get(Account, post.account_id)
    owner = session.get(Person, account.owner_id) if account.owner_id else None
    audit_flag(
        session,
        "identity.reveal",
        lead,
        flag.id,
        owner.id if owner else None,
        reason=reason,
    )
    return {
        "flag_id": flag.id,
        "name": owner.display_name if owner else None,
        "email": owner.email if owner else None,
        "org_unit": account.org_unit,
        "platform": account.platform,
        "handle": account.handle,
        "url": post.url,
        "reason": reason,
    }
