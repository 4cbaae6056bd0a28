"""``impartial consent``: the ledger of opt-in consents for personal accounts."""

from __future__ import annotations

from datetime import timedelta

import typer

from pipeline import clock
from pipeline.audit.trail import cli_actor
from pipeline.cli.common import JSON_OPTION_HELP, console, fail, parse_date, print_rows, session
from pipeline.i18n import _
from pipeline.labels import label
from pipeline.privacy import withdrawal
from pipeline.registry.consent import DEFAULT_PURPOSE, consent_state, grant_consent, list_consents

consent = typer.Typer(help="Consent ledger: grant, withdraw, list.", no_args_is_help=True)


@consent.command("grant")
def grant(
    email: str = typer.Argument(..., help="The consenting person's email."),
    evidence: str = typer.Option(
        ..., "--evidence", help="Where the signed opt-in is kept (e.g. a records reference)."
    ),
    expires: str | None = typer.Option(None, "--expires", help="Expiry date, YYYY-MM-DD."),
    days: int | None = typer.Option(None, "--days", min=1, help="Or: expires after N days."),
    account: int | None = typer.Option(
        None, "--account", help="Scope to one account id (default: all their personal accounts)."
    ),
    purpose: str = typer.Option(DEFAULT_PURPOSE, "--purpose", help="Purpose told."),
) -> None:
    """Record a person's explicit, revocable opt-in for their personal accounts.

    Example: impartial consent grant ana.roy@example.org --evidence "Form PS-114, file 2026-031" --days 365
    """
    if expires and days:
        raise fail(_("give --expires or --days, not both"))
    expires_at = parse_date(expires, "--expires")
    if days:
        expires_at = clock.now() + timedelta(days=days)
    with session() as uow:
        granted = grant_consent(
            uow.session,
            email,
            evidence=evidence,
            expires_at=expires_at,
            account_id=account,
            purpose=purpose,
            actor=cli_actor(),
        )
        uow.commit()
        until = (
            _("until %(day)s") % {"day": f"{granted.expires_at:%Y-%m-%d}"}
            if granted.expires_at
            else _("until withdrawn")
        )
        console.print(
            _("consent %(id)s granted for %(email)s (%(scope)s, %(until)s)")
            % {"id": granted.id, "email": email, "scope": label(granted.scope), "until": until}
        )


@consent.command("withdraw")
def withdraw(
    email: str = typer.Argument(..., help="The person withdrawing consent."),
    consent_id: int | None = typer.Option(
        None, "--id", help="Withdraw only this consent (default: all active ones)."
    ),
) -> None:
    """Withdraw consent: scanning stops at once, and in the same transaction the content of
    every personal account no longer covered is purged (decided flags keep their decision
    metadata; a legal hold suspends the purge).

    Example: impartial consent withdraw ana.roy@example.org
    """
    with session() as uow:
        withdrawn, counts = withdrawal.withdraw_and_purge(
            uow.session, email, consent_id=consent_id, actor=cli_actor()
        )
        uow.commit()
    console.print(
        _("withdrew %(n)s consent(s) of %(email)s") % {"n": len(withdrawn), "email": email}
    )
    console.print(
        _(
            "purged %(accounts)s account(s): %(posts_deleted)s posts deleted, "
            "%(posts_tombstoned)s kept as tombstones of decided flags, "
            "%(assessments)s assessments, %(open_flags)s open flags, "
            "%(embeddings)s embeddings"
        )
        % counts
    )
    if counts["held_accounts"]:
        held = _("%(n)s account(s) under a legal hold were not purged") % {
            "n": counts["held_accounts"]
        }
        console.print(f"[yellow]{held}[/]", markup=True)


@consent.command("list")
def list_(
    email: str | None = typer.Argument(None, help="Only this person's consents."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """List consents with their state (active, expired, withdrawn).

    Example: impartial consent list ana.roy@example.org
    """
    with session() as uow:
        rows = [
            [
                c.id,
                c.person.email,
                c.scope if c.account_id is None else f"account {c.account_id}",
                c.granted_at,
                c.expires_at,
                c.withdrawn_at,
                consent_state(c),
                c.evidence,
            ]
            for c in list_consents(uow.session, email)
        ]
    print_rows(
        ["id", "person", "scope", "granted_at", "expires_at", "withdrawn_at", "state", "evidence"],
        rows,
        as_json=as_json,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(consent, name="consent")
