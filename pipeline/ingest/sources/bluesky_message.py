"""A Bluesky post view (``app.bsky.feed.defs#postView``) as the whole message: its :class:`Parts`.

The record's ``text`` shows links as the poster's client displayed them, often shortened
(``www.youtube.com/watch?v=e6Fu...``); its ``app.bsky.richtext.facet#link`` facets hold the full
URI over a range of the text's UTF-8 bytes, and replace that range. What the post embeds comes
from the view's hydrated ``embed`` (not the record's, which holds only blob and record
references): ``images#view`` / ``gallery#view`` / ``video#view`` alt texts become media
descriptions, ``external#view`` the link card (http and https only), ``record#view`` the quoted
post (its author, its own text with its links resolved and its media described, its bsky.app
URL; a quote that cannot be shown, or whose author asks not to be shown to logged-out readers
(``!no-unauthenticated``), says so instead), ``recordWithMedia#view`` both. The parent a post
answers becomes ``reply_to``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from pipeline.ingest.sources.parts import SELF, LinkCard, Media, Parts, Quote, flatten

LINK = "app.bsky.richtext.facet#link"
POST_COLLECTION = "app.bsky.feed.post"
UNAVAILABLE = {
    "app.bsky.embed.record#viewNotFound": "[quoted post not found: deleted or never public]",
    "app.bsky.embed.record#viewBlocked": "[quoted post unavailable: blocked]",
    "app.bsky.embed.record#viewDetached": "[quoted post unavailable: detached by its author]",
}
NO_UNAUTHENTICATED = "!no-unauthenticated"
HIDDEN = "[quoted post not kept: its author asks not to be shown to logged-out readers]"
OTHER_RECORDS = {  # quotable records that are not posts: say what they are
    "app.bsky.feed.defs#generatorView": ("Feed", "displayName", "creator"),
    "app.bsky.graph.defs#listView": ("List", "name", "creator"),
    "app.bsky.graph.defs#starterPackViewBasic": ("Starter pack", None, "creator"),
    "app.bsky.labeler.defs#labelerView": ("Labeler", None, "creator"),
}


def web_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL with a host, else None (``javascript:`` and such)."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def post_url(at_uri: Any) -> str | None:
    """The bsky.app address of a post's AT URI (``at://did/app.bsky.feed.post/rkey``), by DID,
    which stays when the author changes handle."""
    if not isinstance(at_uri, str) or not at_uri.startswith("at://"):
        return None
    pieces = at_uri[len("at://") :].split("/")
    if len(pieces) != 3 or pieces[1] != POST_COLLECTION or not pieces[0] or not pieces[2]:
        return None
    return f"https://bsky.app/profile/{pieces[0]}/post/{pieces[2]}"


def resolve_links(text: str, facets: Any) -> str:
    """``text`` with each link facet's byte range replaced by its full URI.

    Facets index the UTF-8 bytes of the text. A range whose text is the link shortened is
    replaced by the URI; a range that says something else (``click here``) keeps its words and
    gets the URI after them. Facets out of range, overlapping an earlier one, cutting a
    character in two, or with a URI that is not http(s) are left alone.
    """
    links: list[tuple[int, int, str]] = []
    for facet in facets if isinstance(facets, list) else ():
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        uri = next(
            (
                web_url(f.get("uri"))
                for f in features
                if isinstance(f, dict) and f.get("$type") == LINK and web_url(f.get("uri"))
            ),
            None,
        )
        if uri and isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
            links.append((start, end, uri))
    if not links:
        return text
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate is cleaned when stored
    out, position = [], 0
    for start, end, uri in sorted(links):
        if start < position or end > len(data):
            continue
        try:
            before = data[position:start].decode("utf-8", "surrogatepass")
            shown = data[start:end].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
        out.append(before + (uri if _shortened(shown, uri) else f"{shown} ({uri})"))
        position = end
    try:
        return "".join(out) + data[position:].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # pragma: no cover - the text itself came from valid JSON
        return text


def _shortened(shown: str, uri: str) -> bool:
    """Whether ``shown`` is the URI as clients display it: no scheme, perhaps cut short."""
    shown = shown.strip().removesuffix("...").removesuffix("…").lower()
    full = uri.lower().split("://", 1)[-1]
    bare = shown.split("://", 1)[-1]
    return bool(bare) and (full.startswith(bare) or full.removeprefix("www.").startswith(bare))


def message(item: dict[str, Any], post: dict[str, Any], record: dict[str, Any]) -> Parts:
    """The whole message of a feed item's post view (``record`` is ``post["record"]``)."""
    parts = Parts(body=resolve_links(record.get("text") or "", record.get("facets")))
    add_embed(parts, post.get("embed"))
    parts.reply_to = _reply_to(item, record)
    author = post.get("author") if isinstance(post.get("author"), dict) else {}
    if parts.quote and parts.quote.author and parts.quote.author == _handle(author):
        parts.quote = replace(parts.quote, author=SELF)  # the handle would name the author
    return parts


def add_embed(parts: Parts, embed: Any, *, depth: int = 0) -> None:
    """Add what an embed view shows to ``parts`` (media, link card, quote)."""
    if not isinstance(embed, dict):
        return
    kind = str(embed.get("$type", "")).split("#")[0]
    if kind == "app.bsky.embed.images":
        for image in _dicts(embed.get("images")):
            parts.media.append(Media("image", _text(image.get("alt"))))
    elif kind == "app.bsky.embed.gallery":
        for image in _dicts(embed.get("items")):
            parts.media.append(Media("image", _text(image.get("alt"))))
    elif kind == "app.bsky.embed.video":
        parts.media.append(Media("video", _text(embed.get("alt"))))
    elif kind == "app.bsky.embed.external":
        external = embed.get("external") if isinstance(embed.get("external"), dict) else {}
        url = web_url(external.get("uri"))
        if url:
            parts.link = LinkCard(
                url, _text(external.get("title")), _text(external.get("description"))
            )
    elif kind == "app.bsky.embed.record":
        parts.quote = quote(embed.get("record"), depth=depth)
    elif kind == "app.bsky.embed.recordWithMedia":
        record = embed.get("record")
        parts.quote = quote(record.get("record") if isinstance(record, dict) else None, depth=depth)
        add_embed(parts, embed.get("media"), depth=depth)


def quote(view: Any, *, depth: int = 0) -> Quote | None:
    """A ``record#view``'s record as a quote: a post, another kind of record, or why not shown."""
    if not isinstance(view, dict):
        return None
    kind = view.get("$type")
    if kind in UNAVAILABLE:
        return Quote(UNAVAILABLE[kind], None, post_url(view.get("uri")))
    if kind in OTHER_RECORDS:
        label, name_field, creator_field = OTHER_RECORDS[kind]
        creator = view.get(creator_field) if isinstance(view.get(creator_field), dict) else {}
        name = _text(view.get(name_field)) if name_field else None
        words = " — ".join(p for p in (name, _text(view.get("description"))) if p)
        return Quote(f"{label}: {words}" if words else label, _handle(creator), None)
    value = view.get("value")
    if kind != "app.bsky.embed.record#viewRecord" or not isinstance(value, dict):
        return None
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    if any(
        isinstance(label, dict) and label.get("val") == NO_UNAUTHENTICATED
        for label in _dicts(author.get("labels"))
    ):
        return Quote(HIDDEN, None, post_url(view.get("uri")))
    quoted = Parts(body=resolve_links(_text(value.get("text")) or "", value.get("facets")))
    if depth < 1:  # what the quoted post embeds, one level down (not a quote of a quote's quote)
        for embed in _dicts(view.get("embeds")):
            add_embed(quoted, embed, depth=depth + 1)
    return Quote(flatten(quoted), _handle(author), post_url(view.get("uri")))


def _reply_to(item: dict[str, Any], record: dict[str, Any]) -> str | None:
    reply = item.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    if isinstance(parent, dict) and isinstance(parent.get("uri"), str):
        return post_url(parent["uri"]) or parent["uri"]
    ref = record.get("reply")
    parent = ref.get("parent") if isinstance(ref, dict) else None
    if isinstance(parent, dict) and isinstance(parent.get("uri"), str):
        return post_url(parent["uri"]) or parent["uri"]
    return None


def _handle(actor: dict[str, Any]) -> str | None:
    handle = actor.get("handle")
    if isinstance(handle, str) and handle and handle != "handle.invalid":
        return f"@{handle}"
    return actor.get("did") if isinstance(actor.get("did"), str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
