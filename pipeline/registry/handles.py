"""Parsing and normalizing what identifies an account on each platform.

An account is stored as (platform, host, handle): ``host`` is the API base URL
(``https://mastodon.social``), ``handle`` what the platform calls the account:
``user@domain`` on Mastodon, a handle or DID on Bluesky, the feed URL for RSS/Atom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.vocabulary import PLATFORMS

BLUESKY_APPVIEW = "https://public.api.bsky.app"
_MASTODON_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,29}$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[A-Za-z0-9.:%-]+)$")


@dataclass(frozen=True)
class AccountAddress:
    platform: str
    host: str
    handle: str


def normalize_host(host: str) -> str:
    """``example.org`` -> ``https://example.org``; keeps an explicit scheme and port."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise InputError(
            _("malformed host %(host)r: give a host name or an http(s) base URL") % {"host": host}
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def parse(platform: str, handle: str, host: str | None = None) -> AccountAddress:
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise InputError(
            _("unknown platform %(platform)r: use one of %(platforms)s")
            % {"platform": platform, "platforms": ", ".join(PLATFORMS)}
        )
    handle = handle.strip()
    if not handle:
        raise InputError(_("an account needs a handle (or a feed URL for rss)"))
    return {"mastodon": _mastodon, "bluesky": _bluesky, "rss": _feed}[platform](handle, host)


def _mastodon(handle: str, host: str | None) -> AccountAddress:
    user, _at, domain = handle.lstrip("@").partition("@")
    if not _MASTODON_USER.match(user) or (domain and not _DOMAIN.match(domain)):
        raise InputError(
            _("malformed Mastodon handle %(handle)r: expected @user@instance.example")
            % {"handle": handle}
        )
    if not domain:
        if host is None:
            raise InputError(
                _("Mastodon handle %(handle)r needs its instance: @user@instance")
                % {"handle": handle}
            )
        domain = urlsplit(normalize_host(host)).hostname or ""
    base = normalize_host(host) if host else normalize_host(domain)
    # Mastodon usernames are case-insensitive: store one spelling
    return AccountAddress("mastodon", base, f"{user.lower()}@{domain.lower()}")


def _bluesky(handle: str, host: str | None) -> AccountAddress:
    handle = handle.lstrip("@")
    if not (_DID.match(handle) or _DOMAIN.match(handle)):
        raise InputError(
            _(
                "malformed Bluesky handle %(handle)r: expected a handle like alice.bsky.social or a DID like did:plc:..."
            )
            % {"handle": handle}
        )
    if not handle.startswith("did:"):
        handle = handle.lower()
    return AccountAddress("bluesky", normalize_host(host or BLUESKY_APPVIEW), handle)


def _feed(url: str, host: str | None) -> AccountAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            _("malformed feed URL %(url)r: expected http(s)://host/path") % {"url": url}
        )
    origin = f"{parts.scheme}://{parts.netloc.lower()}"
    if host and normalize_host(host) != origin:
        raise InputError(
            _("the feed URL %(url)r is not on host %(host)r") % {"url": url, "host": host}
        )
    return AccountAddress("rss", origin, url)
