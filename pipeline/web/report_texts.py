"""The reports' words in the page's language: titles, descriptions, column headings, the
identifiers their cells hold, and the names of a chart's series and categories.

The SQL files (``sql/reports``) keep their English first line and their column ids, which the
CSV download and the API keep as they are (stable for analysts' scripts). A page translates
at render time: a title or description is looked up by its English text (marked here, so the
catalogue check sees it), a column by its id; an id not listed is shown through
``pipeline.labels.label`` or as it is, so a new column is never hidden.
"""

from __future__ import annotations

from typing import Any

from pipeline.i18n import N_, current, gettext
from pipeline.labels import LABELS, label

# each report's first line, "Title: description", as the SQL file words it
SQL_TEXTS = (
    N_("Classifier versions in use"),
    N_("assessments and flags in the period, decisions on them, metrics."),
    N_("Decision mix per category"),
    N_(
        "the latest decision on each flag decided in the period; no_concern_pct is the "
        "precision signal for thresholds."
    ),
    N_("Flags by category and week"),
    N_("what the classifier raised, what is still open, and samples."),
    N_("Flags by org unit and seniority band"),
    N_('cells behind fewer people than the minimum (5) are shown as "<5".'),
    N_("Estimated miss rate"),
    N_("share of reviewed quality samples a reviewer found concerning (Wilson 95% CI)."),
    N_("Official languages per organization"),
    N_("official posts by detected language, and unpaired ones."),
    N_("Queue backlog and age"),
    N_(
        "open flags per category at the end of the period (claimed, reopened, by age), and "
        "flags escalated in the period still awaiting a lead."
    ),
    N_("Reviewer workload and agreement"),
    N_("reviews per reviewer in the period, and how often two reviewers of the same group agreed."),
    N_("Scan runs in the period (latest 500)"),
    N_("how each ended, its counts, the accounts not read, and why a failed run failed."),
    N_("Time to decision and SLA"),
    N_(
        "hours from flag to its latest decision (closed_at) for flags decided in the period, "
        "median and p90, SLA breaches, open flags past the SLA."
    ),
)

COLUMNS: dict[str, str] = {
    "account_kind": N_("Account kind"),
    "accounts": N_("Accounts"),
    "activated_at": N_("Made live"),
    "advise": N_("Advise"),
    "agreement_pct": N_("Agreement (%)"),
    "assessed": N_("Assessed"),
    "assessments": N_("Assessments"),
    "awaiting_lead": N_("Awaiting a lead"),
    "bilingual": N_("Bilingual"),
    "breach_pct": N_("Breaches (%)"),
    "category": N_("Category"),
    "ci_high_pct": N_("95% interval, high (%)"),
    "ci_low_pct": N_("95% interval, low (%)"),
    "claimed": N_("Claimed"),
    "d1_3": N_("1 to 3 days"),
    "d3_7": N_("3 to 7 days"),
    "decided": N_("Decided"),
    "edits": N_("Edits"),
    "en": N_("English"),
    "errors": N_("Errors"),
    "escalate": N_("Escalate"),
    "failed_accounts": N_("Accounts not read"),
    "flags": N_("Flags"),
    "flags_created": N_("Flags created"),
    "fr": N_("French"),
    "id": N_("Run"),
    "lead_reviews": N_("Lead reviews"),
    "median_age_h": N_("Median age (hours)"),
    "median_h": N_("Median (hours)"),
    "metrics": N_("Metrics"),
    "miss_rate_pct": N_("Miss rate (%)"),
    "misses": N_("Misses"),
    "model_id": N_("Model"),
    "new_posts": N_("New posts"),
    "no_concern": N_("No concern"),
    "no_concern_pct": N_("No concern (%)"),
    "oldest_h": N_("Oldest (hours)"),
    "open": N_("Open"),
    "open_flags": N_("Open flags"),
    "open_past_sla": N_("Open past the SLA"),
    "org_unit": N_("Org unit"),
    "other": N_("Other language"),
    "over_7d": N_("Over 7 days"),
    "p90_h": N_("90th percentile (hours)"),
    "policy_version": N_("Policy"),
    "posts": N_("Posts"),
    "refer": N_("Refer"),
    "reopen": N_("Reopen"),
    "reopened": N_("Reopened"),
    "requests": N_("Requests"),
    "reviewed": N_("Reviewed"),
    "reviewer": N_("Reviewer"),
    "reviews": N_("Reviews"),
    "run_error": N_("Why it failed"),
    "run_key": N_("Run key"),
    "samples": N_("Samples"),
    "seconds": N_("Seconds"),
    "seniority_band": N_("Seniority band"),
    "shared_groups": N_("Groups shared with another reviewer"),
    "skipped": N_("Skipped"),
    "sla_breaches": N_("SLA breaches"),
    "started_at": N_("Started"),
    "status": N_("Status"),
    "trigger": N_("Started by"),
    "under_1d": N_("Under 1 day"),
    "unpaired_flags": N_("Unpaired posts flagged"),
    "unpaired_pct": N_("Unpaired (%)"),
    "untagged": N_("Not yet tagged"),
    "version": N_("Version"),
    "week": N_("Week"),
}

# what a chart's vertical axis counts, where it shows several columns of one kind
AXES: dict[str, str] = {
    "decision_mix": N_("Flags decided"),
    "queue_backlog": N_("Open flags"),
    "time_to_decision": N_("Hours"),
    "reviewer_workload": N_("Count"),
    "classifier_versions": N_("Count"),
    "miss_rate": N_("Miss rate (%)"),
    "scan_runs": N_("Count"),
    "official_languages": N_("Posts"),
}

# words the reports' cells hold besides the product's identifiers (pipeline.labels)
VALUES: dict[str, str] = {
    "all": N_("All"),
    "live": N_("Live"),
    "shadow": N_("Shadow"),
    "retired": N_("Retired"),
    "candidate": N_("Candidate"),
    "running": N_("Running"),
    "ingested": N_("Ingested"),
    "assessed": N_("Assessed"),
    "queued": N_("Queued"),
    "success": N_("Succeeded"),
    "partial": N_("Partly done"),
    "failed": N_("Failed"),
    "interrupted": N_("Interrupted"),
    # a classifier version's kind
    "shipped": N_("Shipped"),
    "trained": N_("Trained"),
    "fine-tuned": N_("Fine-tuned"),
}


def text(english: str) -> str:
    """A report's title or description (the SQL file's English) in the language in effect,
    as a sentence (the description follows the title's colon in the file, in lower case)."""
    words = gettext(english)
    return words[:1].upper() + words[1:]


def axis(name: str, columns: list[str]) -> str:
    """The name of a chart's vertical axis: its one column's heading, or what its columns
    count."""
    if len(columns) == 1:
        return column(columns[0])
    return gettext(AXES[name]) if name in AXES else ""


def column(name: str) -> str:
    """A column id's heading in the language in effect (the id itself when unknown)."""
    words = COLUMNS.get(name)
    return gettext(words) if words else label(name)


def value(cell: Any) -> Any:
    """A cell in words when it holds an identifier (``partisan``, ``all``, ``staff``...), a
    decimal with the language's decimal mark; whole numbers, dates and names as they are."""
    if isinstance(cell, float) and current() == "fr":
        return f"{cell:g}".replace(".", ",")  # 12,5 %: a French decimal comma
    if not isinstance(cell, str):
        return cell
    if cell in VALUES:
        return gettext(VALUES[cell])
    return label(cell) if cell in LABELS else cell


def translated(data: dict[str, Any]) -> dict[str, Any]:
    """``report_chart_data``'s result with its words in the language in effect: the title,
    description, headings (``headings``, beside the stable ``columns``), the identifiers in its
    cells, and its chart's category labels and series names."""
    out = dict(data)
    out["title"] = text(data["title"])
    out["description"] = text(data["description"])
    out["headings"] = [column(c) for c in data["columns"]]
    out["rows"] = [[value(v) for v in row] for row in data["rows"]]
    chart = data.get("chart")
    if chart:
        out["chart"] = {
            **chart,
            "labels": [value(v) for v in chart.get("labels", [])],
            "series": [
                {**s, "name": column(s["name"]) if s["name"] in COLUMNS else value(s["name"])}
                for s in chart.get("series", [])
            ],
        }
    return out
