"""Turning what platforms send into clean text we can store and hash.

HTML (Mastodon's ``content``, feed entries) becomes plain text with inscriptis, which renders
HTML the way a browser lays it out rather than translating it to Markdown: paragraphs are
separated by a blank line, ``<br>`` is a line break, list items start with "- " or "1. ",
entities are decoded, scripts and styles are dropped, and no Markdown syntax (``1\\.``,
``\\-``, ``##``, ``> ``, trailing double spaces) is added to text that reviewers read and the
classifier scores. (html2text writes Markdown; html-text drops list markers.)
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_document_state import HtmlDocumentState
from inscriptis.model.html_element import HtmlElement
from inscriptis.model.tag import CustomHtmlTagHandlerMapping

TRUNCATION_MARKER = " [… truncated by Impartial]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)


def _unordered_list(state: HtmlDocumentState, _attrs: dict[str, str]) -> None:
    state.li_counter.append("- ")  # one bullet at every depth, not inscriptis' "* + o -"


def _config() -> ParserConfig:
    # The strict profile adds no spaces around inline elements (Mastodon's hidden link parts);
    # lists without indentation so that a bullet starts its line.
    css = CSS_PROFILES["strict"].copy()
    css["ul"] = HtmlElement(display=Display.block)
    css["ol"] = HtmlElement(display=Display.block)
    handlers = CustomHtmlTagHandlerMapping(
        start_tag_mapping={"ul": _unordered_list}, end_tag_mapping={}
    )
    return ParserConfig(css=css, custom_html_tag_handler_mapping=handlers)


_CONFIG = _config()


def html_to_text(html: str) -> str:
    """Sanitized post HTML (Mastodon ``content``, feed entries) to plain text."""
    if not html.strip():
        return ""
    text = get_text(html, _CONFIG)
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


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
