"""A Mastodon status as a post with its whole message (``Parts``).

Read from the Status entity (docs.joinmastodon.org/entities/Status): ``content`` (sanitized
HTML) is the body, ``spoiler_text`` the content warning, ``poll.options[].title`` the poll,
``media_attachments[]`` (``type``, ``description``) the media, ``card`` the link (kept only
with an http(s) URL), ``in_reply_to_id`` the post it answers. Custom emoji stay as their
``:shortcode:`` text; hashtags and mentions stay as written.

Quotes come two ways. Mastodon 4.4+ sends ``quote``: a Quote that embeds ``quoted_status``
once the quote is accepted (or a ShallowQuote with only its id). For clients without quote
support, the server also writes a ``quote-inline`` element (``RE: <a href=…>``) into
``content``; bridges and other servers send only that element. When the quoted status is
embedded, the element leaves the body (the API documentation asks clients to hide it) and the
quote keeps the quoted post's own text. Otherwise the body keeps the "RE: url" the author's
server wrote, and the quote records only that URL: nothing is invented for a quote we cannot
read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from pipeline.ingest.sources.base import FetchedPost, OptedOut
from pipeline.ingest.sources.parts import SELF, LinkCard, Media, Parts, Quote, flatten
from pipeline.ingest.sources.text import html_to_text, parse_time

# states in which the Quote entity carries the quoted status (docs: entities/Quote)
QUOTE_SHOWN = frozenset({"accepted", "blocked_account", "blocked_domain", "muted_account"})
MEDIA_KINDS = frozenset({"image", "video", "gifv", "audio"})


def convert(status: Any, skipped: Counter[str], *, host: str | None = None) -> FetchedPost | None:
    """One status as a post, or ``None`` (counted in ``skipped`` by reason).

    ``host`` (the server's base URL) makes ``reply_to`` a link to the post answered.
    """
    if not isinstance(status, dict) or not isinstance(status.get("id"), str):
        skipped["malformed_item"] += 1
        return None
    if isinstance(status.get("account"), dict) and status["account"].get("noindex"):
        raise OptedOut(status["account"].get("acct", ""))
    if status.get("reblog"):
        skipped["reblog"] += 1
        return None
    if status.get("visibility") != "public":
        skipped["not_public"] += 1
        return None
    try:
        published = parse_time(status.get("created_at"))
        edited = parse_time(status["edited_at"]) if status.get("edited_at") else None
        parts = status_parts(status, host=host)
    except (ValueError, TypeError, AttributeError):
        skipped["malformed_item"] += 1
        return None
    if not parts.has_text():
        skipped["no_text"] += 1
        return None
    return FetchedPost(
        external_id=status["id"],
        text="",
        parts=parts,
        published_at=published,
        edited_at=edited,
        url=_string(status.get("url")) or _string(status.get("uri")),
        lang=_string(status.get("language")),
        meta={
            "in_reply_to_id": status.get("in_reply_to_id"),
            "sensitive": bool(status.get("sensitive")),
        },
    )


def status_parts(status: dict[str, Any], *, host: str | None = None, nested: bool = False) -> Parts:
    """The parts of one status; ``nested`` for a quoted status (its own quote not followed)."""
    html = _string(status.get("content")) or ""
    inline_url, without_inline = quote_inline(html)
    quote = status.get("quote") if isinstance(status.get("quote"), dict) else {}
    quoted = quote.get("quoted_status") if quote.get("state") in QUOTE_SHOWN else None
    found: Quote | None = None
    if isinstance(quoted, dict) and not nested:
        found = _quote(quoted)
        if _account_id(quoted) is not None and _account_id(quoted) == _account_id(status):
            found = replace(found, author=SELF)  # the handle would name the author
        html = without_inline
    elif inline_url:
        found = Quote(text="", url=inline_url)
    return Parts(
        body=html_to_text(html),
        content_warning=_string(status.get("spoiler_text")),
        quote=found,
        poll=_poll(status.get("poll")),
        media=_media(status.get("media_attachments")),
        link=_card(status.get("card")),
        reply_to=_reply_to(status, host),
    )


def _quote(quoted: dict[str, Any]) -> Quote:
    account = quoted.get("account") if isinstance(quoted.get("account"), dict) else {}
    acct = _string(account.get("acct"))
    return Quote(
        text=flatten(status_parts(quoted, nested=True)),
        author=f"@{acct}" if acct else None,
        url=web_url(quoted.get("url")) or web_url(quoted.get("uri")),
    )


def _account_id(status: dict[str, Any]) -> str | None:
    account = status.get("account")
    return _string(account.get("id")) if isinstance(account, dict) else None


def _poll(poll: Any) -> list[str]:
    if not isinstance(poll, dict) or not isinstance(poll.get("options"), list):
        return []
    titles = (o.get("title") for o in poll["options"] if isinstance(o, dict))
    return [title for title in titles if isinstance(title, str) and title.strip()]


def _media(attachments: Any) -> list[Media]:
    if not isinstance(attachments, list):
        return []
    return [
        Media(
            kind=a.get("type") if a.get("type") in MEDIA_KINDS else "unknown",
            description=_string(a.get("description")),
        )
        for a in attachments
        if isinstance(a, dict)
    ]


def _card(card: Any) -> LinkCard | None:
    if not isinstance(card, dict):
        return None
    url = web_url(card.get("url"))
    if url is None:
        return None  # a javascript: or data: URL is no link to follow
    return LinkCard(url, _string(card.get("title")), _string(card.get("description")))


def _reply_to(status: dict[str, Any], host: str | None) -> str | None:
    """The answered post as ``{host}/@acct/id`` (the server's own page for it), else its id."""
    reply_id = _string(status.get("in_reply_to_id"))
    if reply_id is None:
        return None
    account_id = status.get("in_reply_to_account_id")
    mentions = status.get("mentions") if isinstance(status.get("mentions"), list) else []
    accounts = [status.get("account"), *mentions]
    acct = next(
        (
            a.get("acct")
            for a in accounts
            if isinstance(a, dict) and a.get("id") == account_id and _string(a.get("acct"))
        ),
        None,
    )
    return f"{host.rstrip('/')}/@{acct}/{reply_id}" if host and acct else reply_id


def web_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL, else ``None``."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def quote_inline(html: str) -> tuple[str | None, str]:
    """(the link of the first ``quote-inline`` element, the HTML without that element)."""
    finder = _QuoteInline()
    finder.feed(html)
    finder.close()
    if finder.start is None:
        return None, html
    offsets = [0]
    for line in html.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    start = offsets[finder.start[0] - 1] + finder.start[1]
    if finder.end is None:
        end = len(html)
    else:
        end_tag = offsets[finder.end[0] - 1] + finder.end[1]
        end = html.find(">", end_tag) + 1 or len(html)
    return web_url(finder.href), html[:start] + html[end:]


class _QuoteInline(HTMLParser):
    """Where the first element of class ``quote-inline`` starts and ends, and its first link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.start: tuple[int, int] | None = None
        self.end: tuple[int, int] | None = None
        self.href: str | None = None
        self._tag: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.end is not None:
            return
        values = dict(attrs)
        if self._tag is None:
            if "quote-inline" in (values.get("class") or "").split():
                self._tag, self._depth, self.start = tag, 1, self.getpos()
                if tag == "a":
                    self.href = values.get("href")
            return
        if tag == self._tag:
            self._depth += 1
        if tag == "a" and self.href is None:
            self.href = values.get("href")

    def handle_endtag(self, tag: str) -> None:
        if self._tag == tag and self.end is None:
            self._depth -= 1
            if self._depth == 0:
                self.end = self.getpos()
