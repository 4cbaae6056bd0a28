"""Whether a decision's guidance clause matches what the flag was raised for.

A reviewer who advises or escalates names the clause of concern. Naming another category than
the flag's is sometimes right (a post flagged as partisan that is in fact vulgar), but far more
often a slip (the example copied, the wrong item in a list), and the employee then reads a
decision that cites the wrong part of the guidance. Entry points ask ``clause_mismatch`` before
recording a decision and warn, or ask for confirmation, when it answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.i18n import _
from pipeline.labels import label
from pipeline.vocabulary import CATEGORIES, Decision


def clause_mismatch(categories: Iterable[str], clause: str | None, decision: str) -> str | None:
    """A one-line warning when ``clause`` names none of the flagged ``categories`` (those of
    the item decided) on a decision of concern; None when it matches or needs no clause.

    No clause (each flag's own category applies), "no concern", and items without a category
    (quality samples) never warn.
    """
    if not clause or decision == Decision.NO_CONCERN:
        return None
    flagged = sorted({c for c in categories if c in CATEGORIES})
    if not flagged or clause in flagged:
        return None
    return _(
        "the clause %(clause)s is not what this item was flagged for (%(flagged)s): "
        "check that %(clause)s is the part of the guidance you mean"
    ) % {
        "clause": label(clause),
        "flagged": ", ".join(label(c) for c in flagged),
    }
