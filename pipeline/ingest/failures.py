"""Why an account could not be read in a scan, by kind, as stored and as listed.

The rule: a permanent failure (a 4xx other than 429, an answer over the size limit, not a feed,
an account gone, suspended or deactivated) is requested once per scan; a transient one (a 5xx, a
429, a broken or unparsable body, no answer at all) is tried once more at the end of its host's
turn. Only an unreachable host (connection refused or reset, a timeout) counts toward taking the
host as down: any answer, even an error, shows it is up.

Each failure is kept on the account (``source_cursor.last_error``, cleared by the next success),
counted in the scan's summary by kind, and listed in the scan's ``scan_run.failures``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import SourceCursor
from pipeline.ingest.sources.errors import (
    HttpError,
    PermanentError,
    TransientError,
    UnreachableError,
)
from pipeline.vocabulary import ErrorKind

NOT_FOUND = (404, 410)


@dataclass(frozen=True)
class Failure:
    kind: ErrorKind
    reason: str
    http_status: int | None = None
    unreachable: bool = False  # no answer at all: counts toward taking the host as down

    @property
    def permanent(self) -> bool:
        return self.kind == ErrorKind.PERMANENT

    def as_error(self, at: datetime) -> dict[str, Any]:
        """The account's ``last_error``."""
        return {
            "kind": str(self.kind),
            "http_status": self.http_status,
            "reason": self.reason,
            "at": at.isoformat(),
        }

    def as_listed(self, account_id: int, platform: str, host: str) -> dict[str, Any]:
        """One entry of the scan's ``failures``."""
        return {
            "account_id": account_id,
            "platform": platform,
            "host": host,
            "kind": str(self.kind),
            "http_status": self.http_status,
            "reason": self.reason,
        }


def classify(exc: BaseException) -> Failure:
    """The failure an exception out of a connector stands for."""
    if isinstance(exc, HttpError) and exc.status in NOT_FOUND:
        return not_found(exc.status)
    if isinstance(exc, PermanentError):
        return Failure(ErrorKind.PERMANENT, exc.reason, exc.status)
    if isinstance(exc, UnreachableError):
        return Failure(ErrorKind.TRANSIENT, exc.reason, exc.status, unreachable=True)
    if isinstance(exc, TransientError):
        return Failure(ErrorKind.TRANSIENT, exc.reason, exc.status)
    # not foreseen (a connector's bug, a database hiccup): worth one more try at the end
    return Failure(ErrorKind.TRANSIENT, f"{type(exc).__name__}: {exc}")


def not_found(status: int | None) -> Failure:
    return Failure(
        ErrorKind.PERMANENT,
        "account not found (gone or renamed): correct or deactivate it in the registry",
        status,
    )


def host_down(host: str, after: int) -> Failure:
    return Failure(
        ErrorKind.TRANSIENT,
        f"not requested: {host} did not answer {after} accounts in a row in this scan",
        unreachable=True,
    )


def last_status(session: Session, account_ids: list[int]) -> dict[int, SourceCursor]:
    """Each account's stored state (last status, error and warning), when it has one."""
    if not account_ids:
        return {}
    rows = session.scalars(select(SourceCursor).where(SourceCursor.account_id.in_(account_ids)))
    return {row.account_id: row for row in rows}


def describe(error: dict[str, Any] | None) -> str | None:
    """A stored ``last_error`` in one line: ``permanent, HTTP 400: reason (at)``."""
    if not error:
        return None
    status = f", HTTP {error['http_status']}" if error.get("http_status") else ""
    at = str(error.get("at") or "")[:16].replace("T", " ")
    return f"{error.get('kind')}{status}: {error.get('reason')}" + (f" ({at})" if at else "")
