"""The retention run: keep each kind of record only as long as its purpose needs.

- accounts no consent covers any more (expired or withdrawn) are purged like a withdrawal;
- flags whose final decision is ``no_concern`` go ``retention_no_concern_days`` after it;
- flags that led to advice or a referral are kept ``retention_decided_years`` (at least two:
  Privacy Regulations s.4) after the decision, then go with their reviews and responses;
- the text of posts never flagged (and its parts: quote, poll, media descriptions, link card)
  goes ``retention_unflagged_days`` after collection; the row
  keeps its hash and its assessments (the scores), and its embeddings go;
- a legal hold on a person suspends all of it for their accounts.

A dry run does the same work inside a savepoint and rolls it back: the counts are exactly what
a real run would remove, and nothing changes. A real run is never applied as of a future moment
(beyond ``CLOCK_SKEW``): that would remove today what the rules keep until then, such as
decisions younger than the two-year minimum. A dry run may look ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.privacy.purge import HELD_PERSONS, purge_account_content, unconsented_accounts

_NOT_HELD = f"""NOT EXISTS (
    SELECT 1 FROM account a WHERE a.id = p.account_id AND a.owner_id IN ({HELD_PERSONS}))"""

# Still holding content the purge would remove (tombstones of decided flags do not count).
_HAS_CONTENT = """
    SELECT DISTINCT p.account_id FROM post p
    WHERE p.account_id = ANY(:ids) AND (
        p.text IS NOT NULL
        OR EXISTS (SELECT 1 FROM assessment s WHERE s.post_id = p.id)
        OR NOT EXISTS (SELECT 1 FROM flag f JOIN review r ON r.flag_id = f.id
                       WHERE f.post_id = p.id))
"""

# The final (latest) human decision on each flag and when it was made.
_DECIDED_FLAGS = f"""
    DELETE FROM flag f USING (
        SELECT DISTINCT ON (r.flag_id) r.flag_id, r.decision, r.created_at
        FROM review r ORDER BY r.flag_id, r.created_at DESC, r.id DESC
    ) AS fin, post p
    WHERE f.id = fin.flag_id AND p.id = f.post_id
      AND fin.decision = ANY(:decisions) AND fin.created_at < :cutoff
      AND {_NOT_HELD}
"""

_UNFLAGGED_TEXT = f"""
    WITH dropped AS (
        UPDATE post p SET text = NULL, parts = '{{}}'::jsonb, text_purged_at = :at
        WHERE p.text IS NOT NULL AND p.fetched_at < :cutoff
          AND NOT EXISTS (SELECT 1 FROM flag f WHERE f.post_id = p.id)
          AND {_NOT_HELD}
        RETURNING p.id, p.content_hash
    ), gone AS (
        DELETE FROM embedding e
        WHERE e.content_hash IN (SELECT content_hash FROM dropped)
          AND NOT EXISTS (SELECT 1 FROM post o  -- the CTEs all see the rows before the update
                          WHERE o.content_hash = e.content_hash AND o.text IS NOT NULL
                            AND o.id NOT IN (SELECT id FROM dropped))
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM dropped), (SELECT count(*) FROM gone)
"""


# How far ahead of this machine's clock a real run's "as of" may be (another machine's clock).
CLOCK_SKEW = timedelta(minutes=5)


def years_before(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year - years)
    except ValueError:  # 29 February
        return at.replace(year=at.year - years, day=28)


def run_retention(
    session: Session,
    *,
    dry_run: bool = False,
    at: datetime | None = None,
    settings: Settings | None = None,
    actor: str = "system:retention",
) -> dict[str, Any]:
    """Apply the retention rules as of ``at``; return the counts removed (or that would be).

    The caller commits (the CLI and the DAG do); a dry run leaves the session unchanged.
    """
    settings = settings or get_settings()
    current = now()
    at = at or current
    if not dry_run and at > current + CLOCK_SKEW:
        raise InputError(
            _(
                "cannot apply retention as of %(at)s UTC: that is in the future, and would remove now what the rules keep until then (use --dry-run to look ahead)"
            )
            % {"at": f"{at:%Y-%m-%d %H:%M}"}
        )
    session.flush()
    savepoint = session.begin_nested() if dry_run else None
    try:
        result = _apply(session, at, settings, actor)
    finally:
        if savepoint is not None:
            savepoint.rollback()
    result.update(dry_run=dry_run, at=at.isoformat())
    if not dry_run:
        trail.record(session, "retention.run", actor=actor, **result)
    return result


def _apply(session: Session, at: datetime, settings: Settings, actor: str) -> dict[str, Any]:
    params: dict[str, Any] = {"at": at}
    candidates = unconsented_accounts(session, at)
    with_content = list(
        session.scalars(text(_HAS_CONTENT), {"ids": candidates}) if candidates else []
    )
    # In a dry run this really runs, inside the savepoint the caller rolls back (its audit
    # events included), so the later steps see its effect and the counts are exact.
    purged = purge_account_content(
        session, with_content, actor=actor, reason="consent expired or withdrawn", at=at
    )
    no_concern = session.execute(
        text(_DECIDED_FLAGS),
        {
            **params,
            "decisions": ["no_concern"],
            "cutoff": at - timedelta(days=settings.retention_no_concern_days),
        },
    ).rowcount
    decided = session.execute(
        text(_DECIDED_FLAGS),
        {
            **params,
            "decisions": ["advise", "refer"],
            "cutoff": years_before(at, settings.retention_decided_years),
        },
    ).rowcount
    texts, embeddings = session.execute(
        text(_UNFLAGGED_TEXT),
        {**params, "cutoff": at - timedelta(days=settings.retention_unflagged_days)},
    ).one()
    session.expire_all()
    return {
        "consent_purge": purged,
        "no_concern_flags": no_concern,
        "decided_flags": decided,
        "unflagged_texts": int(texts),
        "embeddings": int(embeddings),
        "held_persons": len(session.scalars(text(HELD_PERSONS), params).all()),
    }
