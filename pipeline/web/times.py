"""Times on pages and in the CLI: to the minute, in the reader's time zone.

Times are stored in UTC with microseconds. A page shows each as
``<time datetime="2026-11-02T09:00:00+00:00" data-local>2026-11-02 04:00 EST</time>``: the text
in ``Settings.timezone`` (America/Toronto unless set) and naming its zone, which
``static/local-time.js`` rewrites in the browser's own zone and the page's language; without
scripts the server's text stays, and says which zone it is in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from pipeline.clock import instant
from pipeline.config import get_settings


def local_text(at: datetime | str | None, zone: str | None = None) -> str:
    """``at`` as ``YYYY-MM-DD HH:MM ZZZ`` in ``zone`` (default: ``Settings.timezone``)."""
    moment = instant(at)
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone or get_settings().timezone))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def time_tag(at: datetime | str | None) -> Markup:
    """The ``<time>`` element for ``at`` (the Jinja filter ``local_time``); empty for None."""
    moment = instant(at)
    if moment is None:
        return Markup("")
    iso = moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return Markup('<time datetime="{}" data-local>{}</time>').format(
        escape(iso), escape(local_text(moment))
    )
