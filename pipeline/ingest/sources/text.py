"""Turning what platforms send into clean text we can store and hash."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import html2text

TRUNCATION_MARKER = " [… truncated by Impartial]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Sanitized post HTML (Mastodon ``content``, feed summaries) to plain text."""
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    return converter.handle(html).strip()


def clean(text: str, max_chars: int) -> str:
    """Remove NUL and control characters and lone surrogates; truncate with a marker."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")  # lone surrogates -> ?
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if len(text) > max_chars:
        text = text[: max_chars - len(TRUNCATION_MARKER)].rstrip() + TRUNCATION_MARKER
    return text


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(value: object) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime; ``ValueError`` when it is not one."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
