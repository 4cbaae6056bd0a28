"""The connector table: which module fetches which platform."""

from __future__ import annotations

from pipeline.ingest.sources import bluesky, feeds, mastodon
from pipeline.ingest.sources.base import Connector

CONNECTORS = {"mastodon": mastodon, "bluesky": bluesky, "rss": feeds}


def connector_for(platform: str) -> Connector:
    return CONNECTORS[platform]  # type: ignore[return-value]
