"""The review queue: intake, claims with leases, decisions, escalations, blind views.

The rules import no web framework; ``pipeline.web`` and the CLI are thin shells over them.
"""

from __future__ import annotations

from pipeline.queue.claims import claim_next, release
from pipeline.queue.decisions import close_escalation, decide, reopen
from pipeline.queue.employees import own_flags, respond
from pipeline.queue.errors import Conflict, NotAllowed, NotFound
from pipeline.queue.escalations import escalations
from pipeline.queue.intake import enqueue
from pipeline.queue.status import STATUSES, flag_status, status_of, status_sql
from pipeline.queue.views import (
    my_claims,
    queue_stats,
    reveal_identity,
    similar_decided,
    view_flag,
)

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
    "view_flag",
]
