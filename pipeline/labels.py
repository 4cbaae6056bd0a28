"""Plain words for the product's identifiers, in the language in effect.

Pages, reports and the CLI's human output show these instead of raw ids (``government_policy``,
``no_concern``). ``label(value)`` is the one place that turns an identifier into words; unknown
values come back as they are, so a new identifier is never hidden.
"""

from __future__ import annotations

from pipeline.i18n import N_, gettext

LABELS: dict[str, str] = {
    # categories
    "partisan": N_("Partisan political activity"),
    "government_policy": N_("Comment on government policy"),
    "vulgar": N_("Vulgar or offensive language"),
    "self_serving": N_("Self-serving promotion"),
    "official_languages": N_("Official languages"),
    "none": N_("No category"),
    # decisions
    "no_concern": N_("No concern"),
    "advise": N_("Advise the employee"),
    "escalate": N_("Escalate to a lead"),
    "refer": N_("Refer"),
    "reopen": N_("Reopen"),
    # roles
    "reviewer": N_("Reviewer"),
    "lead": N_("Lead"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
    "employee": N_("Employee"),
    # platforms and accounts
    "mastodon": N_("Mastodon"),
    "bluesky": N_("Bluesky"),
    "rss": N_("RSS feed"),
    "official": N_("Official account"),
    "personal": N_("Personal account"),
    # seniority
    "staff": N_("Staff"),
    "supervisor": N_("Supervisor"),
    "manager": N_("Manager"),
    "executive": N_("Executive"),
    # context factors of a risk score
    "audience": N_("Audience"),
    "seniority": N_("Seniority"),
    "relevance": N_("Relevance to work"),
    "tone": N_("Tone"),
    # languages
    "en": N_("English"),
    "fr": N_("French"),
    # a flag's status, a review's stage, an employee's response
    "open": N_("Open"),
    "claimed": N_("Claimed"),
    "escalated": N_("Escalated"),
    "closed": N_("Closed"),
    "review": N_("Review"),
    "comment": N_("Comment"),
    "contest": N_("Contest"),
    # the risk in words
    "high_risk": N_("High risk"),
    "medium_risk": N_("Medium risk"),
    "low_risk": N_("Low risk"),
}


def label(value: object) -> str:
    """``value``'s plain words in the language in effect; the value itself when unknown."""
    if value is None:
        return ""
    text = str(value)
    words = LABELS.get(text)
    return gettext(words) if words else text
