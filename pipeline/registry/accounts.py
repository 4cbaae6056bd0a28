"""Accounts: official and personal accounts on a platform, one by one or from a CSV file.

Every change is audited in the same transaction; a CSV import adds all its rows or none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.db.models import Account
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.registry import handles
from pipeline.registry.people import check_not_retired, person_by_email
from pipeline.vocabulary import ACCOUNT_KINDS


@dataclass(frozen=True)
class AccountSpec:
    """An account as a user describes it (CLI options or a CSV row)."""

    platform: str
    handle: str
    kind: str
    owner: str | None = None
    org_unit: str | None = None
    host: str | None = None
    display_name: str | None = None


def add_account(session: Session, spec: AccountSpec, *, actor: str) -> Account:
    address = handles.parse(spec.platform, spec.handle, spec.host or None)
    kind = spec.kind.strip().lower()
    if kind not in ACCOUNT_KINDS:
        raise InputError(
            _("unknown account kind %(kind)r: use official or personal") % {"kind": spec.kind}
        )
    owner = check_not_retired(person_by_email(session, spec.owner)) if spec.owner else None
    if kind == "personal" and owner is None:
        raise InputError(_("a personal account needs an owner: give the owner's email"))
    org_unit = (spec.org_unit or "").strip() or (owner.org_unit if owner else None)
    if org_unit is None:
        raise InputError(_("an official account needs an org unit or an owner"))
    duplicate = session.scalar(
        select(Account.id).where(
            Account.platform == address.platform,
            Account.host == address.host,
            Account.handle == address.handle,
        )
    )
    if duplicate:
        raise InputError(
            _(
                "account %(platform)s %(handle)s on %(host)s is already registered (id %(duplicate)s)"
            )
            % {
                "platform": address.platform,
                "handle": address.handle,
                "host": address.host,
                "duplicate": duplicate,
            }
        )
    account = Account(
        platform=address.platform,
        host=address.host,
        handle=address.handle,
        kind=kind,
        owner=owner,
        org_unit=org_unit,
        display_name=spec.display_name or None,
    )
    session.add(account)
    session.flush()
    trail.record(
        session,
        "account.add",
        actor=actor,
        subject_type="account",
        subject_id=account.id,
        person_id=owner.id if owner else None,
        kind=kind,
        platform=address.platform,
    )
    return account


CSV_COLUMNS = ("platform", "handle", "kind", "owner", "org_unit", "host", "display_name")


def import_accounts(session: Session, csv_text: str, *, actor: str) -> list[Account]:
    """Add every row or none: the first bad row raises ``InputError`` naming its line."""
    reader = csv.DictReader(io.StringIO(csv_text))
    missing = {"platform", "handle", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            _("line 1: the CSV header lacks %(missing)s (columns: %(columns)s)")
            % {"missing": ", ".join(sorted(missing)), "columns": ", ".join(CSV_COLUMNS)}
        )
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        raise InputError(
            _("line 1: unknown column(s) %(unknown)s") % {"unknown": ", ".join(sorted(unknown))}
        )
    added = []
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise InputError(_("line %(line)s: wrong number of fields") % {"line": reader.line_num})
        spec = AccountSpec(**{k: (v or "").strip() or None for k, v in row.items()})  # type: ignore[arg-type]
        try:
            with session.begin_nested():
                added.append(add_account(session, spec, actor=actor))
        except InputError as exc:
            raise InputError(
                _("line %(line)s: %(exc)s") % {"line": reader.line_num, "exc": exc}
            ) from exc
    if not added:
        raise InputError(_("the CSV holds no account rows"))
    return added


def list_accounts(session: Session, *, include_inactive: bool = False) -> list[Account]:
    query = select(Account).order_by(Account.id)
    if not include_inactive:
        query = query.where(Account.active)
    return list(session.scalars(query))


def deactivate_account(session: Session, account_id: int, *, actor: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise InputError(_("no account with id %(account_id)s") % {"account_id": account_id})
    if not account.active:
        raise InputError(
            _("account %(account_id)s is already deactivated") % {"account_id": account_id}
        )
    account.active = False
    account.deactivated_at = now()
    trail.record(
        session,
        "account.deactivate",
        actor=actor,
        subject_type="account",
        subject_id=account.id,
        person_id=account.owner_id,
    )
    return account
