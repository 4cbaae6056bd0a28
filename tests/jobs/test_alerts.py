"""Alerts by mail and webhook, and what a failed run leaves: a local SMTP server (aiosmtpd) and
a local HTTP server, both on 127.0.0.1 and stopped by their fixtures."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.db.models import ScanRun
from pipeline.jobs import airflow_local, alerts, failures
from pipeline.reports import runner as reports


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    """A mail server on 127.0.0.1 that keeps what it receives."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict], str]]:
    """An HTTP server on 127.0.0.1 that keeps the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def alerting(mailbox, webhook, monkeypatch: pytest.MonkeyPatch):
    """Alerts configured to go to both local servers."""
    box, smtp_url = mailbox
    received, hook_url = webhook
    monkeypatch.setenv("IMPARTIAL_ALERT_EMAIL", "ops@example.org, oncall@example.org")
    monkeypatch.setenv("IMPARTIAL_SMTP_URL", smtp_url)
    monkeypatch.setenv("IMPARTIAL_ALERT_WEBHOOK", hook_url)
    get_settings.cache_clear()
    yield SimpleNamespace(mail=box.messages, hooks=received)
    get_settings.cache_clear()


def test_an_alert_goes_by_mail_and_to_the_webhook(alerting) -> None:
    sent = alerts.notify("Impartial: test", "something happened", {"run_key": "k"})

    assert sent == ["email", "webhook"]
    [mail] = alerting.mail
    assert mail["Subject"] == "Impartial: test"
    assert mail["To"] == "ops@example.org, oncall@example.org"
    assert "something happened" in mail.get_payload()
    assert alerting.hooks == [
        {
            "text": "Impartial: test: something happened",
            "subject": "Impartial: test",
            "details": {"run_key": "k"},
        }
    ]


def test_a_channel_that_fails_does_not_stop_the_others_and_is_reported(
    webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    received, hook_url = webhook
    monkeypatch.setenv("IMPARTIAL_ALERT_EMAIL", "ops@example.org")
    monkeypatch.setenv("IMPARTIAL_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody there
    monkeypatch.setenv("IMPARTIAL_ALERT_WEBHOOK", hook_url)
    monkeypatch.setenv("IMPARTIAL_ALERT_TIMEOUT_S", "2")
    get_settings.cache_clear()
    try:
        with pytest.raises(alerts.AlertNotSentError, match="email"):
            alerts.notify("Impartial: test", "something happened")
    finally:
        get_settings.cache_clear()
    assert [hook["subject"] for hook in received] == ["Impartial: test"]


def test_bad_alert_settings_are_refused_with_what_to_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from pipeline.config import Settings

    for name, value, hint in (
        ("IMPARTIAL_SCAN_DEADLINE", "6h", "HH:MM"),
        ("IMPARTIAL_SMTP_URL", "mail.example.org", "smtp://"),
        ("IMPARTIAL_ALERT_WEBHOOK", "ftp://example.org", "http://"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError, match=hint):
            Settings()
        monkeypatch.delenv(name)
    monkeypatch.setenv("IMPARTIAL_SCAN_DEADLINE", "6:5")
    assert Settings().scan_deadline == "06:05"


def failure_context(run_after: datetime, **more) -> dict:
    """What Airflow gives a DAG's on_failure_callback (the parts the callback reads)."""
    return {
        "dag": SimpleNamespace(dag_id="nightly_scan"),
        "run_id": "manual__2026-03-09T07:30:00+00:00",
        "reason": "task_failure",
        "dag_run": SimpleNamespace(run_after=run_after, run_id="manual__2026-03-09"),
        "ti": SimpleNamespace(task_id="plan_rss", map_index=-1, try_number=1),
        **more,
    }


def test_a_failed_scan_leaves_a_failed_row_and_alerts_once_per_call(db: Session, alerting) -> None:
    run_after = datetime(2026, 3, 9, 7, 30, tzinfo=UTC)
    facts = failures.run_failed(failure_context(run_after))

    run = db.scalar(sa.select(ScanRun))
    assert run.run_key == "nightly_scan/2026-03-09T07:30:00+00:00" == facts["run_key"]
    assert run.status == "failed" and run.finished_at is not None
    assert "plan_rss" in run.errors["run"] and "task_failure" in run.errors["run"]
    assert len(alerting.mail) == len(alerting.hooks) == 1
    assert alerting.hooks[0]["details"]["task_id"] == "plan_rss"

    failures.run_failed(failure_context(run_after))  # the same failure again: the same row
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count(ScanRun.id))) == 1
    assert db.scalar(sa.select(ScanRun.status)) == "failed"


def test_a_failure_keeps_the_counts_and_outcome_of_a_scan_that_ended(db: Session) -> None:
    key = "nightly_scan/2026-03-09T07:00:00+00:00"
    db.add(ScanRun(run_key=key, trigger="airflow", status="partial", new_posts=41))
    db.commit()

    failures.record_failed_run(key, "nightly_scan run failed (task_failure)")

    db.expire_all()
    run = db.scalar(sa.select(ScanRun))
    assert (run.status, run.new_posts) == ("partial", 41)
    assert run.errors == {"run": "nightly_scan run failed (task_failure)"}


def test_a_run_that_died_in_progress_is_marked_failed(db: Session) -> None:
    key = "nightly_scan/2026-03-09T07:00:00+00:00"
    db.add(ScanRun(run_key=key, trigger="airflow", status="ingested", new_posts=7))
    db.commit()

    failures.record_failed_run(key, "nightly_scan run failed (timed_out)")

    db.expire_all()
    run = db.scalar(sa.select(ScanRun))
    assert (run.status, run.new_posts, run.heartbeat_at) == ("failed", 7, None)
    assert run.finished_at is not None


def test_the_scan_report_shows_status_counts_failures_and_the_run_error(db: Session) -> None:
    started = datetime.now(UTC) - timedelta(hours=1)
    db.add(
        ScanRun(
            run_key="nightly_scan/a",
            trigger="airflow",
            status="partial",
            started_at=started,
            new_posts=12,
            errors={"down.example": 2},
            failures=[{"account_id": 1, "kind": "transient"}, {"account_id": 2, "kind": "x"}],
        )
    )
    db.commit()
    failures.record_failed_run("nightly_scan/a", "nightly_scan run failed (task_failure)")

    [row] = reports.run_report("scan_runs").records()
    assert (row["status"], row["new_posts"], row["errors"]) == ("partial", 12, 2)
    assert row["failed_accounts"] == 2
    assert row["run_error"] == "nightly_scan run failed (task_failure)"


def test_a_failed_dag_run_fails_at_once_and_alerts(engine: sa.Engine, alerting, airflow_db) -> None:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    # retention refuses a date in the future (InputError): retrying cannot help, so the task
    # fails on its first try although it has retries left, and the DAG's callback alerts.
    future = datetime.now(UTC) + timedelta(days=30)
    result = airflow_local.run_once("retention", logical_date=future)  # the DAG's own retries

    assert result.state == "failed"
    assert result.tasks == {"run_retention": ["failed"]}
    with create_session() as session:
        ti = session.scalar(sa.select(TaskInstance).where(TaskInstance.run_id == result.run_id))
        assert (ti.try_number, ti.max_tries) == (1, 2)
    [hook] = alerting.hooks
    assert hook["subject"] == "Impartial: retention failed"
    assert hook["details"]["task_id"] == "run_retention"
    assert [mail["Subject"] for mail in alerting.mail] == ["Impartial: retention failed"]
