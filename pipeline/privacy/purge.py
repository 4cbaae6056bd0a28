"""Purging an account's content: what consent withdrawal and expiry take away.

Set-based SQL, one account at a time so each purge is audited with its own counts. A flag a
human has already decided is decision metadata the Privacy Regulations make us keep (s.4): the
flag row (category, score, risk), its reviews and the employee's responses stay, and its post
becomes a tombstone (content hash only: no text nor its parts, no link, and its platform
identifier replaced by ``purged:<row id>``, so nothing in it leads back to the post). Everything
else goes. A legal hold on the account's owner suspends the purge entirely.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import and_, not_, select, text
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import Account
from pipeline.registry import consent

PURGE_COUNTS = (
    "posts_deleted",
    "posts_tombstoned",
    "assessments",
    "open_flags",
    "responses",
    "embeddings",
    "decided_flags_kept",
)

# Hashes this account's content refers to that no other account's post has now (an embedding
# is a cache of a text: one another account still needs stays).
_OWN_HASHES = """
    WITH mine AS (
        SELECT p.content_hash AS h FROM post p WHERE p.account_id = :acc
        UNION SELECT a.content_hash FROM assessment a JOIN post p ON p.id = a.post_id
              WHERE p.account_id = :acc
        UNION SELECT f.content_hash FROM flag f JOIN post p ON p.id = f.post_id
              WHERE p.account_id = :acc
    )
    SELECT h FROM mine
    WHERE NOT EXISTS (SELECT 1 FROM post o WHERE o.content_hash = mine.h
                      AND o.account_id <> :acc)
"""

_DECIDED = "EXISTS (SELECT 1 FROM review r WHERE r.flag_id = f.id)"

_COUNT = f"""
SELECT
  (SELECT count(*) FROM post p WHERE p.account_id = :acc AND NOT EXISTS (
      SELECT 1 FROM flag f WHERE f.post_id = p.id AND {_DECIDED})) AS posts_deleted,
  (SELECT count(*) FROM post p WHERE p.account_id = :acc AND EXISTS (
      SELECT 1 FROM flag f WHERE f.post_id = p.id AND {_DECIDED})) AS posts_tombstoned,
  (SELECT count(*) FROM assessment a JOIN post p ON p.id = a.post_id
      WHERE p.account_id = :acc) AS assessments,
  (SELECT count(*) FROM flag f JOIN post p ON p.id = f.post_id
      WHERE p.account_id = :acc AND NOT {_DECIDED}) AS open_flags,
  (SELECT count(*) FROM employee_response er JOIN flag f ON f.id = er.flag_id
      JOIN post p ON p.id = f.post_id WHERE p.account_id = :acc AND NOT {_DECIDED}) AS responses,
  (SELECT count(*) FROM embedding e WHERE e.content_hash IN ({_OWN_HASHES})) AS embeddings,
  (SELECT count(*) FROM flag f JOIN post p ON p.id = f.post_id
      WHERE p.account_id = :acc AND {_DECIDED}) AS decided_flags_kept
"""

_PURGE = (
    # embeddings first: the hashes are found through the rows deleted below
    f"DELETE FROM embedding WHERE content_hash IN ({_OWN_HASHES})",
    f"""DELETE FROM flag f USING post p
        WHERE p.id = f.post_id AND p.account_id = :acc AND NOT {_DECIDED}""",
    "DELETE FROM assessment a USING post p WHERE p.id = a.post_id AND p.account_id = :acc",
    """DELETE FROM post p WHERE p.account_id = :acc
        AND NOT EXISTS (SELECT 1 FROM flag f WHERE f.post_id = p.id)""",
    """UPDATE post SET text = NULL, url = NULL, meta = '{}'::jsonb, parts = '{}'::jsonb,
        external_id = 'purged:' || id, text_purged_at = coalesce(text_purged_at, :at)
        WHERE account_id = :acc""",
)

HELD_PERSONS = """
    SELECT person_id FROM legal_hold
    WHERE placed_at <= :at AND (released_at IS NULL OR released_at > :at)
"""


def now() -> datetime:
    return datetime.now(UTC)


def held_person_ids(session: Session, at: datetime | None = None) -> set[int]:
    """People under a legal hold in force at ``at``: nothing of theirs is purged."""
    return set(session.scalars(text(HELD_PERSONS), {"at": at or now()}))


def unconsented_accounts(session: Session, at: datetime, person_id: int | None = None) -> list[int]:
    """Personal accounts no consent in force covers at ``at`` (of one person, or of all)."""
    query = select(Account.id).where(
        and_(Account.kind == "personal", not_(consent.active_consent_clause(at)))
    )
    if person_id is not None:
        query = query.where(Account.owner_id == person_id)
    return list(session.scalars(query.order_by(Account.id)))


def purge_account_content(
    session: Session,
    account_ids: Iterable[int],
    *,
    actor: str,
    reason: str,
    at: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Purge the content of each account (see the module docstring); return summed counts.

    Accounts whose owner is under a legal hold are left untouched and counted in
    ``held_accounts``. Each purged account gets one ``privacy.purge`` audit event with its
    counts (never content). ``dry_run`` counts without changing or auditing anything.
    """
    at = at or now()
    ids = sorted(set(account_ids))
    totals = dict.fromkeys(("accounts", "held_accounts", *PURGE_COUNTS), 0)
    if not ids:
        return totals
    owners = dict(
        session.execute(
            text("SELECT id, owner_id FROM account WHERE id = ANY(:ids)"), {"ids": ids}
        ).all()
    )
    held = held_person_ids(session, at)
    session.flush()
    for account_id in ids:
        if account_id not in owners:
            continue
        owner = owners[account_id]
        if owner is not None and owner in held:
            totals["held_accounts"] += 1
            if not dry_run:
                trail.record(
                    session,
                    "privacy.purge_held",
                    actor=actor,
                    subject_type="account",
                    subject_id=account_id,
                    person_id=owner,
                    reason=reason,
                )
            continue
        params = {"acc": account_id, "at": at}
        counts = dict(session.execute(text(_COUNT), params).mappings().one())
        if not dry_run:
            for statement in _PURGE:
                session.execute(text(statement), params)
            trail.record(
                session,
                "privacy.purge",
                actor=actor,
                subject_type="account",
                subject_id=account_id,
                person_id=owner,
                reason=reason,
                **counts,
            )
        totals["accounts"] += 1
        for key in PURGE_COUNTS:
            totals[key] += int(counts[key])
    if not dry_run:
        session.expire_all()
    return totals
