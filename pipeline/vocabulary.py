"""The product's word lists, one ``StrEnum`` each: what a platform, a role or a category may be.

Members are strings (``Role.LEAD == "lead"``), so they go into SQL, JSON and templates as they
are. The tuples beside them are the same words in order, for check constraints, help texts and
membership tests. The database's check constraints are written from these lists (migrations
copy them at the time they were written).
"""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    RSS = "rss"


class AccountKind(StrEnum):
    OFFICIAL = "official"
    PERSONAL = "personal"


class SeniorityBand(StrEnum):
    """Senior officials are held to a higher standard (a context factor of the risk)."""

    STAFF = "staff"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    EXECUTIVE = "executive"


class Role(StrEnum):
    REVIEWER = "reviewer"
    LEAD = "lead"
    AUDITOR = "auditor"
    ADMIN = "admin"
    EMPLOYEE = "employee"


class Category(StrEnum):
    """What a flag is about: the guidance's four categories and official-language parity."""

    PARTISAN = "partisan"
    GOVERNMENT_POLICY = "government_policy"
    VULGAR = "vulgar"
    SELF_SERVING = "self_serving"
    OFFICIAL_LANGUAGES = "official_languages"


class Decision(StrEnum):
    """What a reviewer or lead may decide about a flag."""

    NO_CONCERN = "no_concern"
    ADVISE = "advise"
    ESCALATE = "escalate"
    REFER = "refer"
    REOPEN = "reopen"


class SampleDraw(StrEnum):
    """How a quality sample was drawn: at random (the draw the miss-rate estimate uses, so it
    stays unbiased) or among the unflagged posts closest below a threshold (where misses are
    likeliest, and a reviewer's decision teaches the classifier most)."""

    RANDOM = "random"
    UNCERTAIN = "uncertain"


class ErrorKind(StrEnum):
    """Why an account could not be read: asking again this scan may help (transient: a
    connection failure, a timeout, a 5xx or a 429) or cannot (permanent: not a feed, a 4xx,
    an answer over the size limit, an account gone, suspended or deactivated)."""

    PERMANENT = "permanent"
    TRANSIENT = "transient"


class ScanStatus(StrEnum):
    """Where a scan run stands: a stage's end while it runs (running, then ingested, assessed
    and queued), how it ended, or interrupted (stopped by Ctrl-C, or found dead by the next
    scan: its process gone or its lease expired)."""

    RUNNING = "running"
    INGESTED = "ingested"
    ASSESSED = "assessed"
    QUEUED = "queued"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


PLATFORMS: tuple[str, ...] = tuple(Platform)
ACCOUNT_KINDS: tuple[str, ...] = tuple(AccountKind)
SENIORITY_BANDS: tuple[str, ...] = tuple(SeniorityBand)
ROLES: tuple[str, ...] = tuple(Role)
CATEGORIES: tuple[str, ...] = tuple(Category)
DECISIONS: tuple[str, ...] = tuple(Decision)
SAMPLE_DRAWS: tuple[str, ...] = tuple(SampleDraw)
SCAN_STATUSES: tuple[str, ...] = tuple(ScanStatus)
# a run holding the scan lease: at most one at a time (pipeline.jobs.scan_lease)
ACTIVE_SCAN_STATUSES: tuple[str, ...] = ("running", "ingested", "assessed", "queued")
