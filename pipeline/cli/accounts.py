"""``impartial accounts``: the registered official and personal accounts."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import JSON_OPTION_HELP, console, fail, print_rows, session
from pipeline.db.models import SourceCursor
from pipeline.i18n import N_, _
from pipeline.ingest.failures import describe, last_status
from pipeline.labels import label
from pipeline.registry.accounts import (
    CSV_COLUMNS,
    AccountSpec,
    add_account,
    deactivate_account,
    import_accounts,
    list_accounts,
)

accounts = typer.Typer(
    help="Accounts to scan: official, or personal with consent.", no_args_is_help=True
)


@accounts.command("add")
def add(
    platform: str = typer.Option(..., "--platform", help="mastodon, bluesky or rss."),
    handle: str = typer.Option(
        ..., "--handle", help="@user@instance (Mastodon), handle or DID (Bluesky), feed URL (rss)."
    ),
    kind: str = typer.Option(..., "--kind", help="official or personal."),
    owner: str | None = typer.Option(None, "--owner", help="Owner's email (personal: required)."),
    org_unit: str | None = typer.Option(None, "--org-unit", help="Org unit (official accounts)."),
    host: str | None = typer.Option(
        None, "--host", help="API base URL when it differs from the handle's (e.g. an AppView)."
    ),
    name: str | None = typer.Option(None, "--name", help="Display name."),
) -> None:
    """Register an account. Personal accounts are scanned only while their owner consents.

    Example: impartial accounts add --platform mastodon --handle @ana@social.example --kind personal --owner ana.roy@example.org
    """
    spec = AccountSpec(platform, handle, kind, owner, org_unit, host, name)
    with session() as uow:
        account = add_account(uow.session, spec, actor=cli_actor())
        uow.commit()
        console.print(
            _("added account %(id)s: %(platform)s %(handle)s (%(kind)s)")
            % {
                "id": account.id,
                "platform": label(account.platform),
                "handle": account.handle,
                "kind": label(account.kind),
            }
        )


@accounts.command("import")
def import_(
    file: Path = typer.Argument(..., help=f"CSV with columns {', '.join(CSV_COLUMNS)}."),
) -> None:
    """Register accounts from a CSV file: all rows or none; a bad row is named by its line.

    Example: impartial accounts import accounts.csv
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read %(file)s: %(reason)s") % {"file": file, "reason": exc}) from None
    with session() as uow:
        added = import_accounts(uow.session, text, actor=cli_actor())
        uow.commit()
    console.print(_("imported %(n)s accounts from %(file)s") % {"n": len(added), "file": file})


@accounts.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include deactivated accounts."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """List registered accounts, with how the last scan went for each: its last status (ok,
    not_modified, failed, not_found, opted_out), its last error (permanent or transient, the
    HTTP status, the reason, when; cleared by the next success) and its last warning.

    Example: impartial accounts list --all
    """
    with session() as uow:
        listed = list_accounts(uow.session, include_inactive=all_)
        state = last_status(uow.session, [a.id for a in listed])
        rows = [
            [
                a.id,
                a.platform,
                a.host,
                a.handle,
                a.kind,
                a.owner.email if a.owner else None,
                a.org_unit,
                a.active,
                *_read(state.get(a.id)),
            ]
            for a in listed
        ]
    if as_json:
        print_rows([*COLUMNS, *READ_COLUMNS], rows, as_json=True)
        return
    # one table of who is registered, one of the accounts whose last scan went wrong
    print_rows(
        [_(h) for h in (*HEADERS, N_("last_status"))],
        [row[: len(COLUMNS) + 1] for row in rows],
        as_json=False,
    )
    problems = [[row[0], row[3], describe(row[-2]), row[-1]] for row in rows if row[-2] or row[-1]]
    if problems:
        console.print(_("Accounts whose last scan failed or warned:"))
        print_rows(
            [_("id"), _("handle"), _("last_error"), _("last_warning")], problems, as_json=False
        )


COLUMNS = ["id", "platform", "host", "handle", "kind", "owner", "org_unit", "active"]
READ_COLUMNS = ["last_status", "last_error", "last_warning"]
# the table's headers: the JSON keys above, in the language in effect
HEADERS = [
    N_("id"),
    N_("platform"),
    N_("host"),
    N_("handle"),
    N_("kind"),
    N_("owner"),
    N_("org_unit"),
    N_("active"),
]


def _read(cursor: SourceCursor | None) -> list[object]:
    """How the account's last scan went: status, error (JSON) and warning."""
    if cursor is None:
        return ["never read", None, None]
    return [cursor.last_status or "never read", cursor.last_error, cursor.last_warning]


@accounts.command("deactivate")
def deactivate(
    account_id: int = typer.Argument(..., help="Account id (see 'accounts list')."),
) -> None:
    """Stop scanning an account (its history stays, subject to retention).

    Example: impartial accounts deactivate 12
    """
    with session() as uow:
        account = deactivate_account(uow.session, account_id, actor=cli_actor())
        uow.commit()
        console.print(
            _("deactivated account %(id)s (%(handle)s)")
            % {"id": account.id, "handle": account.handle}
        )


def register(app: typer.Typer) -> None:
    app.add_typer(accounts, name="accounts")
