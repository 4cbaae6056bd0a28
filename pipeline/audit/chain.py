"""The audit log's hash chain, checked from outside the database.

When an audit event's transaction commits, a database trigger (migration 0007) appends an
entry to ``audit_chain``: its position ``seq`` (1, 2, 3, ... in commit order), the event's id,
the previous entry's hash and its own, ``sha256(prev_hash || canonical text of the event)``.
:func:`verify` walks the chain in order and recomputes every hash here, in Python, from the
event as it is now, so a row changed, deleted or slipped in by someone who turned the triggers
off (a superuser) shows, and so does an entry removed from or moved within the chain.

A chain rewritten from the changed row onwards is consistent again: compare its head with one
recorded elsewhere (``impartial audit verify --anchor SEQ:HASH``) to see that too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.audit.trail import record
from pipeline.i18n import _

# The event's columns as one JSON object, computed by PostgreSQL: the same text as the
# trigger's (migration 0007); the time in UTC to the microsecond, whatever the session's zone.
CANONICAL = """jsonb_build_object(
        'id', e.id,
        'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor', e.actor,
        'actor_user_id', e.actor_user_id,
        'action', e.action,
        'subject_type', e.subject_type,
        'subject_id', e.subject_id,
        'person_id', e.person_id,
        'details', e.details
    )::text"""

MAX_REPORTED = 100  # breaks listed; the count covers them all

_CHAIN = sa.text(
    "SELECT c.seq, c.event_id, c.prev_hash, c.hash, "
    f"CASE WHEN e.id IS NULL THEN NULL ELSE {CANONICAL} END AS body "
    "FROM audit_chain c LEFT JOIN audit_event e ON e.id = c.event_id ORDER BY c.seq"
)
_UNCHAINED = sa.text(
    "SELECT e.id FROM audit_event e "
    "WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id) ORDER BY e.id"
)


def link_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """One broken link: where (chain position, event id), what kind, and what differs."""

    seq: int | None
    event_id: int | None
    kind: str  # modified, deleted, unchained, gap, relinked, anchor
    detail: str

    def describe(self) -> str:
        where = f"chain entry {self.seq}" if self.seq is not None else "no chain entry"
        event = f", event {self.event_id}" if self.event_id is not None else ""
        return f"{where}{event}: {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    """The outcome of one check: entries walked, breaks found (the first ones listed)."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    breaks: list[Break] = field(default_factory=list)
    break_count: int = 0

    @property
    def intact(self) -> bool:
        return self.break_count == 0

    @property
    def first(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    @property
    def head(self) -> str:
        """``SEQ:HASH`` of the last entry: record it elsewhere to anchor a later check."""
        return f"{self.head_seq}:{self.head_hash}"

    def add(self, found: Break) -> None:
        self.break_count += 1
        if len(self.breaks) < MAX_REPORTED:
            self.breaks.append(found)


def parse_anchor(value: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by an earlier check; ValueError when it is not that."""
    seq, _colon, digest = value.partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or len(digest) != 64 or not set(digest) <= set("0123456789abcdef"):
        raise ValueError(
            _("%(value)r is not SEQ:HASH (a chain position and a sha256 in hex)") % {"value": value}
        )
    return int(seq), digest


def count_entries(conn: sa.Connection) -> int:
    return conn.scalar(sa.text("SELECT count(*) FROM audit_chain")) or 0


def verify(
    conn: sa.Connection,
    *,
    anchor: tuple[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 5000,
) -> ChainReport:
    """Walk the chain in order on ``conn`` (one snapshot: begin it REPEATABLE READ) and
    recompute every link; ``progress(n)`` is called after every ``batch`` entries."""
    report = ChainReport()
    previous = ""
    expected = 1
    rows = conn.execution_options(stream_results=True, yield_per=batch).execute(_CHAIN)
    for seq, event_id, prev_hash, digest, body in rows:
        if seq != expected:
            report.add(Break(seq, event_id, "gap", f"entries {expected} to {seq - 1} are missing"))
        if prev_hash != previous:
            report.add(
                Break(
                    seq,
                    event_id,
                    "relinked",
                    "its previous hash is not the hash of the entry before it (entries were "
                    "removed, inserted or reordered)",
                )
            )
        if body is None:
            report.add(Break(seq, event_id, "deleted", "the event is no longer in audit_event"))
        elif link_hash(prev_hash, body) != digest:
            report.add(
                Break(
                    seq, event_id, "modified", "the event's content differs from what was chained"
                )
            )
        if anchor is not None and seq == anchor[0] and digest != anchor[1]:
            report.add(Break(seq, event_id, "anchor", "its hash is not the anchor's"))
        previous, expected = digest, seq + 1
        report.entries += 1
        report.head_seq, report.head_hash = seq, digest
        if progress is not None and report.entries % batch == 0:
            progress(batch)
    if progress is not None:
        progress(report.entries % batch)
    if anchor is not None and anchor[0] > report.head_seq:
        report.add(
            Break(anchor[0], None, "anchor", f"the chain ends at {report.head_seq}, before it")
        )
    for (event_id,) in conn.execute(_UNCHAINED):
        report.add(
            Break(None, event_id, "unchained", "the event was written with the chain's trigger off")
        )
    return report


def check(
    engine: sa.Engine,
    *,
    actor: str,
    anchor: tuple[int, str] | None = None,
    on_total: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Verify the chain in one read-only snapshot, then record the check in the audit log."""
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot as conn, conn.begin():
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        if on_total is not None:
            on_total(count_entries(conn))
        report = verify(conn, anchor=anchor, progress=progress)
    with Session(engine) as session:
        record(
            session,
            "audit.verify",
            actor=actor,
            entries=report.entries,
            breaks=report.break_count,
            head=report.head,
            first_break=report.first.describe() if report.first else None,
        )
        session.commit()
    return report
