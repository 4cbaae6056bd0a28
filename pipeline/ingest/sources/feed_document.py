"""A feed's raw document: its characters, and the media descriptions feedparser does not keep.

**Characters.** feedparser decodes a document in the charset it declares, and when one byte is
not valid there it decodes the *whole* document in another charset (``windows-1252``), which
silently garbles every other item. We decode first, in the charset the document declares
(byte-order mark, then the HTTP ``charset``, then the XML declaration), replacing only the bad
bytes with U+FFFD, and hand feedparser UTF-8. A document that declares nothing is UTF-8 when
most of its non-ASCII bytes are valid UTF-8 (a stray bad byte), else ``windows-1252`` (a legacy
document that forgot its declaration). Either correction is reported, for the account's warning.

**Media.** feedparser reads ``media:description`` and ``media:title`` (Media RSS) as the entry's
own summary and title, so an image's description is lost. We read them from the document with
lxml (no DTD, no entity expansion, no network) and give them per item, in document order.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.ingest.sources.parts import Media
from pipeline.ingest.sources.text import html_to_text

UTF8_HEADERS = {"content-type": "application/xml; charset=utf-8"}
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
MEDIA_RSS = "http://search.yahoo.com/mrss/"
_ITEMS = ("item", "entry")
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>", re.IGNORECASE)


@dataclass
class Decoded:
    """The document as UTF-8 bytes, the charset it was read in, and what was corrected."""

    data: bytes
    charset: str
    warnings: list[str] = field(default_factory=list)


def declared_charset(data: bytes, content_type: str | None) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    http = _CHARSET.search(content_type or "")
    if http:
        return http.group(1).lower()
    xml = _XML_ENCODING.match(data[:512])
    return xml.group(1).decode("ascii").lower() if xml else None


def _mostly_utf8(data: bytes) -> bool:
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    return sum(1 for ch in text if ord(ch) > 127) - bad > bad


def decode(data: bytes, content_type: str | None) -> Decoded:
    """The document's characters, as UTF-8 bytes for feedparser (see the module docstring)."""
    charset = declared_charset(data, content_type)
    if charset == "gb2312":
        charset = "gb18030"  # its superset, as feedparser does
    warnings: list[str] = []
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            warnings.append(f"unknown charset {charset!r}: read as UTF-8")
            charset = None
    if charset is None:
        try:
            data.decode("utf-8")
            charset = "utf-8"
        except UnicodeDecodeError:
            charset = "utf-8" if _mostly_utf8(data) else "windows-1252"
            if charset == "windows-1252":
                warnings.append(
                    "no charset declared and the body is not UTF-8: read as windows-1252"
                )
    try:
        text = data.decode(charset)
    except UnicodeDecodeError:
        text = data.decode(charset, "replace")
        bad = text.count("\ufffd")
        warnings.append(f"{bad} byte(s) not valid in {charset} replaced with U+FFFD")
    return Decoded(text.encode("utf-8"), charset, warnings)


_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def complete(data: bytes) -> bool:
    """Whether the document's root element closes (it was not cut short): its closing tag is
    there, wherever stray bytes after it may be."""
    body = _DOCTYPE.sub(b"", data, count=1)
    root = _ROOT.search(body)
    return (
        root is not None
        and re.search(rb"</" + re.escape(root.group(1)) + rb"\s*>", body) is not None
    )


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _media_kind(content: etree._Element) -> str:
    medium = (content.get("medium") or "").lower()
    kind = medium or (content.get("type") or "").split("/", 1)[0].lower()
    return kind if kind in ("image", "video", "audio") else "unknown"


def _described(element: etree._Element) -> tuple[str, str]:
    """(description, its type) of a Media RSS element: its description, else its title."""
    for name in ("description", "title"):
        child = element.find(f"{{{MEDIA_RSS}}}{name}")
        if _text(child):
            return _text(child), (child.get("type") or "plain")
    return "", "plain"


def _item_media(item: etree._Element) -> list[tuple[str, str, str]]:
    """(kind, description, description type) of an item's described media."""
    found: list[tuple[str, str, str]] = []
    contents = list(item.iter(f"{{{MEDIA_RSS}}}content"))
    for content in contents:
        description, kind_of_text = _described(content)
        parent = content.getparent()
        if not description and parent is not None and _local(parent.tag) == "group":
            description, kind_of_text = _described(parent)
        if description:
            found.append((_media_kind(content), description, kind_of_text))
    if not found:
        # A description at the item (or its group) level describes the item's media.
        groups = [item, *item.findall(f"{{{MEDIA_RSS}}}group")]
        for holder in groups:
            description, kind_of_text = _described(holder)
            if description:
                kind = _media_kind(contents[0]) if contents else "image"
                found.append((kind, description, kind_of_text))
                break
    return found


def media_by_item(data: bytes) -> list[list[tuple[str, str, str]]] | None:
    """Each item's (kind, description, type) in document order; ``None`` when the document has
    no Media RSS or cannot be read."""
    if MEDIA_RSS.encode() not in data:
        return None
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:  # a feed needs no DTD: without it no entity can be declared, let alone expanded
        root = etree.fromstring(_DOCTYPE.sub(b"", data, count=1), parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    return [_item_media(el) for el in root.iter() if _local(el.tag) in _ITEMS]


def as_media(found: list[tuple[str, str, str]]) -> list[Media]:
    """``Media`` parts; descriptions of type html become plain text."""
    media: list[Media] = []
    for kind, description, kind_of_text in found:
        text = html_to_text(description) if "html" in kind_of_text else description
        if text and all(m.description != text for m in media):
            media.append(Media(kind, text))
    return media
