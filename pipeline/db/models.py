"""The data model (SQLAlchemy 2.0 declarative).

The machine's output (``assessment``, ``flag``) is kept apart from the human's (``review``,
``employee_response``). Schema changes go through Alembic migrations only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipeline.vocabulary import (
    ACCOUNT_KINDS,
    CATEGORIES,
    DECISIONS,
    PLATFORMS,
    ROLES,
    SAMPLE_DRAWS,
    SCAN_STATUSES,
    SENIORITY_BANDS,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (CheckConstraint(_in("seniority_band", SENIORITY_BANDS), name="seniority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    org_unit: Mapped[str] = mapped_column(String(200), index=True)
    seniority_band: Mapped[str] = mapped_column(String(20), server_default="staff")
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = _now()
    # set when the person is retired (left, or taken off the registry): nothing of theirs is
    # scanned any more; the row stays for the decisions and the audit log that name them
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    accounts: Mapped[list[Account]] = relationship(back_populates="owner")
    consents: Mapped[list[Consent]] = relationship(back_populates="person")


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("platform", "host", "handle"),
        CheckConstraint(_in("platform", PLATFORMS), name="platform"),
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint("kind = 'official' OR owner_id IS NOT NULL", name="personal_has_owner"),
        CheckConstraint("owner_id IS NOT NULL OR org_unit IS NOT NULL", name="has_owner_or_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(253))
    handle: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    org_unit: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    audience_size: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default=sql("true"))
    created_at: Mapped[datetime] = _now()
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner: Mapped[Person | None] = relationship(back_populates="accounts")


class Consent(Base):
    """One grant in the consent ledger; never edited except to record its withdrawal."""

    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint("scope IN ('all', 'account')", name="scope"),
        CheckConstraint("(scope = 'account') = (account_id IS NOT NULL)", name="scope_account"),
        CheckConstraint("expires_at IS NULL OR expires_at > granted_at", name="expiry_after_grant"),
        Index(None, "person_id", "withdrawn_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    scope: Mapped[str] = mapped_column(String(20), server_default="all")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    purpose: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = _now()

    person: Mapped[Person] = relationship(back_populates="consents")


class SourceCursor(Base):
    __tablename__ = "source_cursor"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    cursor: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(Text)
    # the last failure: {"kind": "permanent"|"transient", "http_status", "reason", "at"}
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_warning: Mapped[str | None] = mapped_column(Text)
    profile_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _now()


class Post(Base):
    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        Index(None, "account_id", "published_at"),
        Index(None, "content_hash"),
        Index(
            "ix_post_unpurged_fetched_at", "fetched_at", postgresql_where=sql("text IS NOT NULL")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    # en, fr, bilingual or other: identified by us (official accounts), not the platform's tag
    lang_detected: Mapped[str | None] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fetched_at: Mapped[datetime] = _now()
    text_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    # the post's parts (body, quote, poll, media, link...): see pipeline.ingest.sources.parts
    parts: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))


class Embedding(Base):
    """A vector per distinct text and model: identical text is embedded once."""

    __tablename__ = "embedding"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[Any] = mapped_column(Vector())
    created_at: Mapped[datetime] = _now()


# The similar decided flags (pipeline.review.similar): HNSW holds vectors of one dimension, so
# this index holds the default model's (384), cast from the column of any dimension.
Index(
    "ix_embedding_vector_384_hnsw",
    Embedding.vector.cast(Vector(384)).label("vector_384"),
    postgresql_using="hnsw",
    postgresql_ops={"vector_384": "vector_cosine_ops"},
    postgresql_where=Embedding.dim == 384,
)


class Classifier(Base):
    __tablename__ = "classifier"
    __table_args__ = (
        CheckConstraint("status IN ('live', 'shadow', 'retired', 'candidate')", name="status"),
        Index(
            "uq_classifier_one_live", "status", unique=True, postgresql_where=sql("status = 'live'")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(100), unique=True)
    policy_version: Mapped[str] = mapped_column(String(100))
    model_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), server_default="candidate")
    params: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    thresholds: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    metrics: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    created_at: Mapped[datetime] = _now()
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Assessment(Base):
    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("post_id", "classifier_id", "content_hash"),
        Index(None, "classifier_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    classifier_id: Mapped[int] = mapped_column(ForeignKey("classifier.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(100))
    scores: Mapped[dict[str, Any]]
    risk: Mapped[float] = mapped_column(Float)
    factors: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    explanation: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    created_at: Mapped[datetime] = _now()


class Flag(Base):
    """A machine suggestion that a human should look at one post for one category."""

    __tablename__ = "flag"
    __table_args__ = (
        CheckConstraint(_in("category", (*CATEGORIES, "none")), name="category"),
        CheckConstraint(_in("sample_draw", SAMPLE_DRAWS), name="sample_draw"),
        CheckConstraint("is_sample = (sample_draw IS NOT NULL)", name="sample_has_draw"),
        UniqueConstraint("post_id", "category", "content_hash"),
        Index(None, "group_key"),
        Index(None, "claimed_by_id"),
        Index(None, "created_at", "category"),
        Index(None, "closed_at"),
        Index(None, "assessment_id"),
        Index("ix_flag_sample_created_at", "created_at", postgresql_where=sql("is_sample")),
        # the similar decided flags: a neighbour's text hash to its decided flags
        Index(
            "ix_flag_decided_content_hash",
            "content_hash",
            postgresql_where=sql("closed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    risk: Mapped[float] = mapped_column(Float)
    is_sample: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    # a quality sample's draw (``SampleDraw``): only random ones estimate the miss rate
    sample_draw: Mapped[str | None] = mapped_column(String(10))
    group_key: Mapped[str | None] = mapped_column(String(100))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()


# The claim order (risk desc, then age) over open flags only: claims stay index scans at 1M.
Index(
    "ix_flag_queue_order",
    Flag.risk.desc(),
    Flag.created_at,
    Flag.id,
    postgresql_where=Flag.closed_at.is_(None),
)


class Review(Base):
    """A human decision on a flag (reviewer or lead); the flag's status is derived from these."""

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint(_in("decision", DECISIONS), name="decision"),
        CheckConstraint("stage IN ('review', 'lead')", name="stage"),
        Index(None, "flag_id", "created_at"),
        Index(None, "created_at"),
        # escalations are few: the count of escalated items reads these, not every review
        Index("ix_review_escalate_flag", "flag_id", postgresql_where=sql("decision = 'escalate'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10), server_default="review")
    decision: Mapped[str] = mapped_column(String(20))
    clause: Mapped[str] = mapped_column(String(40))
    rationale: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()


class EmployeeResponse(Base):
    """An employee's own side of a flag about them, or a contest of its decision."""

    __tablename__ = "employee_response"
    __table_args__ = (CheckConstraint("kind IN ('comment', 'contest')", name="kind"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flag.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()


class AppUser(Base):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("lang IN ('en', 'fr')", name="lang"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default=sql("true"))
    external: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    session_version: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lang: Mapped[str | None] = mapped_column(String(2))  # the interface language they chose
    created_at: Mapped[datetime] = _now()


class AuditEvent(Base):
    """Append-only: a database trigger rejects UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "person_id", "at"),
        Index(None, "action", "at"),
        Index(None, "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = _now()
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(100))
    person_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))


class AuditChain(Base):
    """The audit log's hash chain, one entry per event in commit order, written by a database
    trigger when the event's transaction commits; append-only like the log (see migration 0007
    and ``pipeline.audit.chain``)."""

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ScanRun(Base):
    __tablename__ = "scan_run"
    __table_args__ = (
        CheckConstraint(_in("status", SCAN_STATUSES), name="status"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    trigger: Mapped[str] = mapped_column(String(20), server_default="cli")
    status: Mapped[str] = mapped_column(String(20), server_default="running")
    started_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accounts: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    requests: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    new_posts: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    edits: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    assessed: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    flags_created: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    skipped: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    errors: Mapped[dict[str, Any]] = mapped_column(server_default=sql("'{}'::jsonb"))
    # accounts that could not be read: [{"account_id", "kind", "http_status", "reason"}]
    failures: Mapped[list[Any]] = mapped_column(server_default=sql("'[]'::jsonb"))
    # the lease of a run in progress: renewed by the processes working for it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LegalHold(Base):
    __tablename__ = "legal_hold"
    __table_args__ = (Index(None, "person_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(320))
    placed_at: Mapped[datetime] = _now()
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
