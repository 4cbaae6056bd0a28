"""The review queue: intake, items claimed with leases, decisions (and their undo), escalations,
blind views.

The rules import no web framework; ``pipeline.web`` and the CLI are thin shells over them.
"""

from __future__ import annotations

from pipeline.review.claims import claim_next, release
from pipeline.review.decisions import close_escalation, decide, reopen
from pipeline.review.employees import own_flags, respond
from pipeline.review.errors import Conflict, NotAllowed, NotFound
from pipeline.review.escalations import escalations
from pipeline.review.intake import enqueue
from pipeline.review.listings import my_claims, queue_stats
from pipeline.review.reveals import reveal_identity
from pipeline.review.status import STATUSES, flag_status, status_of, status_sql
from pipeline.review.undo import undo_decision
from pipeline.review.views import similar_decided, view_flag

__all__ = [
    "STATUSES",
    "Conflict",
    "NotAllowed",
    "NotFound",
    "claim_next",
    "close_escalation",
    "decide",
    "enqueue",
    "escalations",
    "flag_status",
    "my_claims",
    "own_flags",
    "queue_stats",
    "release",
    "reopen",
    "respond",
    "reveal_identity",
    "similar_decided",
    "status_of",
    "status_sql",
    "undo_decision",
    "view_flag",
]
