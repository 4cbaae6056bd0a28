"""Alerts to the operators: a mail (``IMPARTIAL_ALERT_EMAIL`` through ``IMPARTIAL_SMTP_URL``)
and a JSON POST to a webhook (``IMPARTIAL_ALERT_WEBHOOK``: chat tools take ``{"text": ...}``).

Every configured channel is tried, and an alert is always logged; a channel that fails does
not keep the others from being tried, and :func:`notify` raises afterwards, so the caller (a
failure callback, the deadline check) shows the delivery failure in its own log or state.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from pipeline.config import Settings, get_settings

log = logging.getLogger(__name__)


class AlertNotSentError(RuntimeError):
    """A configured alert channel could not deliver."""


def notify(
    subject: str,
    text: str,
    details: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> list[str]:
    """Send one alert on every configured channel; return the channels that delivered it."""
    settings = settings or get_settings()
    details = dict(details or {})
    log.warning("alert: %s: %s", subject, text)
    sent: list[str] = []
    problems: list[str] = []
    channels = []
    if settings.alert_email and settings.smtp_url:
        channels.append(("email", lambda: send_mail(subject, text, details, settings)))
    elif settings.alert_email:
        problems.append("email: IMPARTIAL_ALERT_EMAIL is set but IMPARTIAL_SMTP_URL is not")
    if settings.alert_webhook:
        channels.append(("webhook", lambda: post_webhook(subject, text, details, settings)))
    for name, deliver in channels:
        try:
            deliver()
            sent.append(name)
        except (OSError, smtplib.SMTPException, requests.RequestException) as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise AlertNotSentError(f"alert {subject!r} not sent: " + "; ".join(problems))
    return sent


def send_mail(subject: str, text: str, details: Mapping[str, Any], settings: Settings) -> None:
    """Mail the alert to ``alert_email`` through ``smtp_url``."""
    url = urlsplit(settings.smtp_url or "")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.alert_from
    message["To"] = ", ".join(settings.alert_email)
    body = text
    if details:
        body += "\n\n" + json.dumps(details, indent=2, sort_keys=True, default=str)
    message.set_content(body + "\n")
    tls = url.scheme == "smtps"
    smtp_class = smtplib.SMTP_SSL if tls else smtplib.SMTP
    port = url.port or (465 if tls else 25)
    with smtp_class(url.hostname or "localhost", port, timeout=settings.alert_timeout_s) as smtp:
        if not tls:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def post_webhook(subject: str, text: str, details: Mapping[str, Any], settings: Settings) -> None:
    """POST the alert as JSON to ``alert_webhook``; any answer but 2xx is a failure."""
    payload = {"text": f"{subject}: {text}", "subject": subject, "details": details}
    answer = requests.post(
        settings.alert_webhook or "",
        data=json.dumps(payload, default=str),
        headers={"Content-Type": "application/json", "User-Agent": settings.user_agent},
        timeout=settings.alert_timeout_s,
    )
    answer.raise_for_status()
