"""The audit log's actions in plain words, and event details as lines a person reads.

An auditor picks an action from a list rather than typing ``user.set_role``: ``GROUPS`` is that
list, each action with its words (marked for translation, shown in the language in effect). An
action the list does not know yet is still searchable by its code and shown as its code, so a
new kind of event is never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline.i18n import N_, gettext

# (group, ((action, words), ...)), in the order the pick-list shows them
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        N_("Sign-in"),
        (
            ("auth.login", N_("Signed in")),
            ("auth.login_failed", N_("Sign-in failed")),
            ("auth.logout", N_("Signed out")),
            ("auth.login_throttled", N_("Sign-ins throttled")),
            ("auth.login_throttle_ended", N_("Sign-in throttling ended")),
        ),
    ),
    (
        N_("Refused requests"),
        (
            ("access.denied", N_("Request refused")),
            ("access.not_found", N_("Missing or hidden item asked for")),
            ("access.conflict", N_("Action refused: the item was not in a state for it")),
        ),
    ),
    (
        N_("Review"),
        (
            ("flag.claim", N_("Flag claimed")),
            ("flag.view", N_("Flag opened")),
            ("flag.release", N_("Flag released to the queue")),
            ("flag.decide", N_("Decision recorded")),
            ("flag.reopen", N_("Flag reopened")),
            ("escalation.list", N_("Escalation list viewed")),
            ("identity.reveal", N_("Author's identity revealed")),
            ("employee.comment", N_("Employee added their side")),
            ("employee.contest", N_("Employee contested a decision")),
        ),
    ),
    (
        N_("Users and people"),
        (
            ("user.add", N_("User created")),
            ("user.list", N_("User list viewed")),
            ("user.set_role", N_("User's role changed")),
            ("user.reset_password", N_("User's password reset")),
            ("user.unlock", N_("User unlocked")),
            ("user.deactivate", N_("User deactivated")),
            ("user.demo_password", N_("Demo password set")),
            ("person.add", N_("Person registered")),
            ("person.edit", N_("Person's details changed")),
            ("person.retire", N_("Person retired")),
        ),
    ),
    (
        N_("Registry and privacy"),
        (
            ("account.add", N_("Account registered")),
            ("account.deactivate", N_("Account deactivated")),
            ("account.move", N_("Account moved to another server")),
            ("consent.grant", N_("Consent granted")),
            ("consent.withdraw", N_("Consent withdrawn")),
            ("legal_hold.place", N_("Legal hold placed")),
            ("legal_hold.release", N_("Legal hold released")),
            ("privacy.purge", N_("Content purged")),
            ("privacy.purge_held", N_("Purge held back by a legal hold")),
            ("privacy.export", N_("Personal information exported")),
            ("retention.run", N_("Retention rules applied")),
        ),
    ),
    (
        N_("Audit and reports"),
        (
            ("audit.search", N_("Audit log searched")),
            ("audit.export", N_("Audit log exported")),
            ("audit.verify", N_("Audit log's chain checked")),
            ("report.view", N_("Report viewed")),
            ("report.export", N_("Report exported")),
            ("decisions.export", N_("Decisions exported")),
        ),
    ),
    (
        N_("System"),
        (
            ("classifier.train", N_("Classifier trained")),
            ("classifier.live", N_("Classifier made live")),
            ("classifier.shadow", N_("Classifier put in shadow mode")),
            ("classifier.retired", N_("Classifier retired")),
            ("official_languages.check", N_("Official languages checked")),
            ("scan.deadline_missed", N_("Nightly scan missed its deadline")),
            ("db.upgrade", N_("Database upgraded")),
            ("db.downgrade", N_("Database downgraded")),
        ),
    ),
)

ACTIONS: dict[str, str] = {action: words for _group, items in GROUPS for action, words in items}


def action_label(action: str) -> str:
    """The action's plain words in the language in effect; its code when it has none."""
    words = ACTIONS.get(action)
    return gettext(words) if words else action


def pick_list() -> list[tuple[str, list[tuple[str, str]]]]:
    """The groups and their (action, words) in the language in effect, for a form's select."""
    return [
        (gettext(group), [(action, gettext(words)) for action, words in items])
        for group, items in GROUPS
    ]


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return "" if value is None else str(value)


def detail_lines(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An event's details as (name, value) lines: nested values flattened to text, never a
    raw dict or list literal."""
    return [(str(key).replace("_", " "), _value(value)) for key, value in (details or {}).items()]


def known_prefixes(actions: Iterable[str] = ACTIONS) -> set[str]:
    """The first part of every known action (``auth``, ``flag``...)."""
    return {action.split(".", 1)[0] for action in actions}
